/* Shared by `onnx-lite passes` and `onnx-lite optimize --list-passes`: the registered passes with
 * their properties and options, and the -O1 pipeline. Also loads --plugin libraries. */
#ifndef OL_CLI_PASS_LISTING_H
#define OL_CLI_PASS_LISTING_H

#include <stddef.h>
#include <stdio.h>

#include "pass/registry.h"

/* A registry with the built-in passes and those of each plugin, or NULL after printing the error
 * (prefixed with `program`) to stderr. */
ol_pass_registry *ol_cli_load_passes(const char *program, const char *const *plugins, size_t n_plugins);

void ol_cli_print_passes(FILE *out, const ol_pass_registry *registry);

#endif
