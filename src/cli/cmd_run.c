/* onnx-lite run: execute a model once on given (or random) inputs and save the outputs. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "cli/tensor_io.h"
#include "data/npy.h"
#include "data/random_input.h"
#include "data/tensor_load.h"
#include "exec/session.h"
#include "onnxlite/onnxlite.h"

static void run_usage(FILE *out)
{
    fprintf(out,
            "usage: onnx-lite run MODEL [--input NAME=FILE]... [--random] [--seed N] [--batch N]\n"
            "                     [--output-dir DIR] [--format npy|pb] [--threads N] [--no-qdq-lowering]\n"
            "\n"
            "Runs MODEL in the reference executor. Inputs are .npy or TensorProto .pb files; inputs\n"
            "left out are an error unless --random fills them (symbolic dims: the first one is\n"
            "--batch, default 1, the others 1). With --output-dir each output is written to\n"
            "DIR/<output name>.npy (or .pb with --format pb). A summary goes to the terminal.\n"
            "Quantized (QDQ) models run with integer kernels; --no-qdq-lowering runs their\n"
            "DequantizeLinear -> op -> QuantizeLinear groups in float as written instead.\n");
}

typedef struct named_file {
    char *name;
    const char *path;
} named_file;

/* Output file name from a tensor name: path separators and odd characters become '_'. */
static void safe_file_name(const char *name, char *out, size_t size)
{
    size_t i = 0;
    for (; name[i] && i + 1 < size; i++) {
        char c = name[i];
        out[i] = (c == '/' || c == '\\' || c == ':' || (i == 0 && c == '.')) ? '_' : c;
    }
    out[i] = '\0';
}

static ol_status save_output(const char *dir, const char *format, const char *name, const ol_ktensor *t,
                             ol_error *err)
{
    char file[512], path[4096];
    safe_file_name(name, file, sizeof file);
    snprintf(path, sizeof path, "%s/%s.%s", dir, file, format);
    if (strcmp(format, "npy") == 0)
        return ol_npy_write(path, t, err);
    ol_tensor *tensor = ol_tensor_create_borrowed(t->dtype, t->rank, t->dims, t->data, ol_ktensor_nbytes(t),
                                                  NULL, err);
    if (!tensor)
        return err->status;
    tensor->owner = NULL;
    ol_tensor_set_name(tensor, name);
    ol_status st = ol_tensor_write_file(tensor, path, err);
    tensor->data = NULL;   /* borrowed from the output: not the tensor's to free */
    ol_tensor_destroy(tensor);
    return st;
}

int ol_cmd_run(int argc, char **argv)
{
    static const struct option options[] = {
        {"input", required_argument, NULL, 'i'},  {"random", no_argument, NULL, 'r'},
        {"seed", required_argument, NULL, 's'},   {"batch", required_argument, NULL, 'b'},
        {"output-dir", required_argument, NULL, 'o'}, {"format", required_argument, NULL, 'f'},
        {"threads", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
        {"no-qdq-lowering", no_argument, NULL, 'q'},
        {0},
    };
    named_file *files = calloc((size_t)argc + 1, sizeof *files);
    size_t n_files = 0;
    bool random = false, no_qdq_lowering = false;
    uint64_t seed = 0;
    long batch = 1, threads = 1;
    const char *out_dir = NULL, *format = "npy";
    int code = 1;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "i:o:h", options, NULL)) != -1;) {
        switch (c) {
        case 'i': {
            const char *eq = strrchr(optarg, '=');
            if (!eq || eq == optarg || !eq[1]) {
                fprintf(stderr, "onnx-lite run: --input wants NAME=FILE, got '%s'\n", optarg);
                code = 2;
                goto done;
            }
            files[n_files].name = strndup(optarg, (size_t)(eq - optarg));
            files[n_files++].path = eq + 1;
            break;
        }
        case 'r': random = true; break;
        case 's': seed = strtoull(optarg, NULL, 10); break;
        case 'b': batch = strtol(optarg, NULL, 10); break;
        case 'o': out_dir = optarg; break;
        case 'f': format = optarg; break;
        case 't': threads = strtol(optarg, NULL, 10); break;
        case 'q': no_qdq_lowering = true; break;
        case 'h': run_usage(stdout); code = 0; goto done;
        default: run_usage(stderr); code = 2; goto done;
        }
    }
    if (optind != argc - 1 || batch < 1 || threads < 1 ||
        (strcmp(format, "npy") != 0 && strcmp(format, "pb") != 0)) {
        run_usage(stderr);
        code = 2;
        goto done;
    }
    const char *model_path = argv[optind];
    ol_error err = {0};
    ol_model *model = NULL;
    ol_session *session = NULL;
    ol_ktensor *inputs = NULL, *outputs = NULL;
    size_t n_in = 0, n_out = 0;
    if (ol_model_read_file(model_path, &model, &err) != OL_OK ||
        ol_session_create(model,
                          &(ol_session_options){.threads = (int)threads, .no_qdq_lowering = no_qdq_lowering},
                          &session, &err) != OL_OK)
        goto fail;
    n_in = ol_session_input_count(session);
    n_out = ol_session_output_count(session);
    inputs = calloc(n_in + 1, sizeof *inputs);
    outputs = calloc(n_out + 1, sizeof *outputs);
    for (size_t f = 0; f < n_files; f++) {
        size_t i = 0;
        while (i < n_in && strcmp(ol_session_input(session, i)->name, files[f].name) != 0)
            i++;
        if (i == n_in) {
            ol_fail(&err, OL_ERR_ARG, "%s has no input named '%s'", model_path, files[f].name);
            goto fail;
        }
        if (ol_tensor_load_file(files[f].path, &inputs[i], &err) != OL_OK)
            goto fail;
    }
    for (size_t i = 0; i < n_in; i++) {
        const ol_value *v = ol_session_input(session, i);
        if (inputs[i].data || v->constant)
            continue;
        if (!random) {
            ol_fail(&err, OL_ERR_ARG, "input '%s' was not given (use --input %s=FILE, or --random)",
                    v->name, v->name);
            goto fail;
        }
        if (ol_random_input_shape(v, batch, &inputs[i], &err) != OL_OK ||
            ol_random_input_fill(&inputs[i], &seed, &err) != OL_OK)
            goto fail;
    }
    if (ol_session_run(session, inputs, outputs, &err) != OL_OK)
        goto fail;
    if (out_dir && mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
        ol_fail(&err, OL_ERR_IO, "cannot create '%s': %s", out_dir, strerror(errno));
        goto fail;
    }
    for (size_t i = 0; i < n_out; i++) {
        const char *name = ol_session_output(session, i)->name;
        ol_cli_print_summary(stdout, name, &outputs[i]);
        if (out_dir && save_output(out_dir, format, name, &outputs[i], &err) != OL_OK)
            goto fail;
    }
    code = 0;
    goto cleanup;
fail:
    fprintf(stderr, "onnx-lite run: %s\n", err.message);
    code = 1;
cleanup:
    for (size_t i = 0; inputs && i < n_in; i++)
        free(inputs[i].data);
    for (size_t i = 0; outputs && i < n_out; i++)
        free(outputs[i].data);
    free(inputs);
    free(outputs);
    ol_session_destroy(session);
    ol_model_destroy(model);
done:
    for (size_t f = 0; f < n_files; f++)
        free(files[f].name);
    free(files);
    return code;
}
