/* onnx-lite passes: the passes a pipeline can name, with their options. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/commands.h"
#include "cli/pass_listing.h"

#define PROGRAM "onnx-lite passes"

static void passes_usage(FILE *out)
{
    fprintf(out,
            "usage: onnx-lite passes [--plugin LIB.so]...\n"
            "\n"
            "Lists the built-in passes and those of each plugin: name, properties, description,\n"
            "and each option as name=default, its type and what it does.\n");
}

int ol_cmd_passes(int argc, char **argv)
{
    static const struct option options[] = {
        {"plugin", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char **plugins = calloc((size_t)argc + 1, sizeof *plugins);
    size_t n_plugins = 0;
    int code = 2;
    if (!plugins) {
        fprintf(stderr, PROGRAM ": out of memory\n");
        return 1;
    }
    optind = 0;
    for (int c; (c = getopt_long(argc, argv, "h", options, NULL)) != -1;) {
        switch (c) {
        case 'l': plugins[n_plugins++] = optarg; break;
        case 'h': passes_usage(stdout); code = 0; goto done;
        default: passes_usage(stderr); goto done;
        }
    }
    if (optind != argc) {
        passes_usage(stderr);
        goto done;
    }
    ol_pass_registry *registry = ol_cli_load_passes(PROGRAM, plugins, n_plugins);
    code = 1;
    if (registry) {
        ol_cli_print_passes(stdout, registry);
        ol_pass_registry_destroy(registry);
        code = 0;
    }
done:
    free(plugins);
    return code;
}
