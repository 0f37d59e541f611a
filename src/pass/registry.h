/* The passes a pipeline can name: the built-ins (builtin_passes.c) and those plugins register.
 *
 * Every definition is checked when it is added (versions, name syntax, options and their defaults,
 * flags), so the parser and the manager can trust what they find here; a plugin's mistakes are
 * reported when it loads, naming the pass. */
#ifndef OL_PASS_REGISTRY_H
#define OL_PASS_REGISTRY_H

#include <stddef.h>

#include "onnxlite/pass.h"

typedef struct ol_pass_registry ol_pass_registry;

typedef struct ol_registered_pass {
    const ol_pass_def *def;
    char *origin;   /* NULL for a built-in pass, else the path of the plugin that registered it */
} ol_registered_pass;

/* An empty registry. */
ol_status ol_pass_registry_create(ol_pass_registry **out, ol_error *err);
/* Adds every pass of the built-in table, in table order. */
ol_status ol_pass_registry_add_builtins(ol_pass_registry *registry, ol_error *err);
/* Forgets the passes and unloads the plugins (their definitions go with them). */
void ol_pass_registry_destroy(ol_pass_registry *registry);

/* Checks `def` and adds it; `origin` (copied) is NULL for a built-in pass. The definition is
 * borrowed and must outlive the registry. */
ol_status ol_pass_registry_add(ol_pass_registry *registry, const ol_pass_def *def, const char *origin,
                               ol_error *err);

size_t ol_pass_registry_count(const ol_pass_registry *registry);
/* In registration order: built-ins first, in table order, then each plugin's. */
const ol_registered_pass *ol_pass_registry_at(const ol_pass_registry *registry, size_t index);
const ol_registered_pass *ol_pass_registry_find(const ol_pass_registry *registry, const char *name);
/* The registered name closest to `name` (a likely typo), or NULL. */
const char *ol_pass_registry_suggest(const ol_pass_registry *registry, const char *name);

/* Drops the passes registered after the first `count` (those of a plugin whose init failed). */
void ol_pass_registry_truncate(ol_pass_registry *registry, size_t count);
/* Keeps a dlopen()ed library loaded until the registry is destroyed, and `state` (malloc'ed: the
 * table handed to the plugin, which it may keep using) until then too. */
ol_status ol_pass_registry_keep_library(ol_pass_registry *registry, void *handle, void *state,
                                        ol_error *err);

/* Whether `name` is a valid pass or option name: a lower-case letter, then lower-case letters,
 * digits and single '-' between them. */
bool ol_pass_name_valid(const char *name);

#endif
