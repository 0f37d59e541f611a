/* onnx-lite convert: read a model into the IR and write it back. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "onnxlite/onnxlite.h"

static void convert_usage(FILE *out)
{
    fprintf(out,
            "usage: onnx-lite convert IN -o OUT [--save-as-external-data] [--external-threshold BYTES]\n"
            "\n"
            "Reads IN and writes it to OUT (written to a temporary file, then renamed; IN is never\n"
            "modified). With --save-as-external-data, tensors of at least BYTES bytes (default %d)\n"
            "go to OUT.data next to OUT.\n",
            OL_DEFAULT_EXTERNAL_THRESHOLD);
}

int ol_cmd_convert(int argc, char **argv)
{
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'},
        {"save-as-external-data", no_argument, NULL, 'x'},
        {"external-threshold", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *output = NULL;
    ol_write_options write = {.external_threshold = OL_DEFAULT_EXTERNAL_THRESHOLD};
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "o:h", options, NULL)) != -1;) {
        switch (c) {
        case 'o': output = optarg; break;
        case 'x': write.external_data = 1; break;
        case 't': {
            char *end;
            long long v = strtoll(optarg, &end, 10);
            if (*end || v < 0) {
                fprintf(stderr, "onnx-lite convert: --external-threshold needs a byte count, got '%s'\n",
                        optarg);
                return 2;
            }
            write.external_threshold = (size_t)v;
            break;
        }
        case 'h': convert_usage(stdout); return 0;
        default: convert_usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || !output) {
        convert_usage(stderr);
        return 2;
    }
    const char *input = argv[optind];
    ol_error err = {0};
    ol_model *model = NULL;
    if (ol_model_read_file(input, &model, &err) != OL_OK ||
        ol_model_write_file(model, output, &write, &err) != OL_OK) {
        fprintf(stderr, "onnx-lite convert: %s\n", err.message);
        ol_model_destroy(model);
        return 1;
    }
    ol_model_destroy(model);
    return 0;
}
