/* onnx-lite eval: top-1 (and top-5) accuracy of a classifier on a labelled data set, run in the
 * reference executor. The figure every compression pass is judged by. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "data/accuracy.h"
#include "data/dataset.h"
#include "exec/session.h"
#include "onnxlite/onnxlite.h"

static void eval_usage(FILE *out)
{
    fprintf(out,
            "usage: onnx-lite eval MODEL --data PATH --labels PATH [--preprocess TEXT] [--batch N]\n"
            "                      [--limit N] [--threads N] [--json]\n"
            "\n"
            "Runs MODEL in the reference executor over a labelled data set and prints its top-1\n"
            "accuracy (and top-5 with 5 classes or more), the sample count and the throughput.\n"
            "--data is an IDX file (optionally .gz), a folder of .npy/.pb files or of\n"
            "test_data_set_*/input_N.pb folders, or a folder of PNG/JPEG images; --labels an IDX or\n"
            ".npy file of class indices, one per sample. --preprocess (images, IDX pixels) as\n"
            "'resize=256,crop=224,scale=0.0039,mean=0.485:0.456:0.406,std=0.229:0.224:0.225,\n"
            "layout=nchw,channels=rgb'. The model's first output must be [batch, classes].\n"
            "Defaults: --batch 32, all samples, --threads 1. --json prints one JSON object.\n");
}

/* A positive integer option, or -1. */
static long parse_positive(const char *text)
{
    char *end;
    long v = strtol(text, &end, 10);
    return *text && !*end && v > 0 ? v : -1;
}

/* The first output must be able to hold [batch, classes] scores. */
static ol_status check_output(const ol_session *session, const char *model_path, ol_error *err)
{
    if (ol_session_output_count(session) == 0)
        return ol_fail(err, OL_ERR_ARG, "%s has no outputs", model_path);
    const ol_value *v = ol_session_output(session, 0);
    if (v->type.kind == OL_TYPE_TENSOR && v->type.rank >= 0 && v->type.rank != 2)
        return ol_fail(err, OL_ERR_ARG, "%s: output '%s' has rank %d; eval needs class scores [batch, classes]",
                       model_path, v->name, v->type.rank);
    return OL_OK;
}

static void print_result(const char *model_path, const ol_dataset_options *data, size_t batch, long threads,
                         const ol_accuracy *acc, bool json)
{
    double rate = acc->seconds > 0 ? (double)acc->samples / acc->seconds : 0.0;
    bool top5 = acc->classes >= 5;
    if (!json) {
        printf("model %s  data %s  batch %zu  threads %ld\n", model_path, data->path, batch, threads);
        printf("samples     %zu (%zu classes)\n", acc->samples, acc->classes);
        printf("top-1       %.2f%% (%zu correct)\n", ol_accuracy_percent(acc->top1, acc->samples), acc->top1);
        if (top5)
            printf("top-5       %.2f%% (%zu correct)\n", ol_accuracy_percent(acc->top5, acc->samples), acc->top5);
        printf("throughput  %.1f samples/s (%.2f s)\n", rate, acc->seconds);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "model", json_string(model_path));
    json_object_set_new(o, "data", json_string(data->path));
    json_object_set_new(o, "labels", json_string(data->labels_path));
    json_object_set_new(o, "samples", json_integer((json_int_t)acc->samples));
    json_object_set_new(o, "classes", json_integer((json_int_t)acc->classes));
    json_object_set_new(o, "top1", json_real(ol_accuracy_percent(acc->top1, acc->samples)));
    json_object_set_new(o, "top1_correct", json_integer((json_int_t)acc->top1));
    if (top5) {
        json_object_set_new(o, "top5", json_real(ol_accuracy_percent(acc->top5, acc->samples)));
        json_object_set_new(o, "top5_correct", json_integer((json_int_t)acc->top5));
    }
    json_object_set_new(o, "batch", json_integer((json_int_t)batch));
    json_object_set_new(o, "threads", json_integer(threads));
    json_object_set_new(o, "seconds", json_real(acc->seconds));
    json_object_set_new(o, "samples_per_s", json_real(rate));
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    if (text)
        puts(text);
    free(text);
    json_decref(o);
}

int ol_cmd_eval(int argc, char **argv)
{
    static const struct option options[] = {
        {"data", required_argument, NULL, 'd'},    {"labels", required_argument, NULL, 'l'},
        {"preprocess", required_argument, NULL, 'p'}, {"batch", required_argument, NULL, 'b'},
        {"limit", required_argument, NULL, 'n'},   {"threads", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},          {"help", no_argument, NULL, 'h'},
        {0},
    };
    ol_dataset_options data = {0};
    long batch = 32, threads = 1, limit = 0;
    bool json = false;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "h", options, NULL)) != -1;) {
        switch (c) {
        case 'd': data.path = optarg; break;
        case 'l': data.labels_path = optarg; break;
        case 'p': data.preprocess = optarg; break;
        case 'b': batch = parse_positive(optarg); break;
        case 'n': limit = parse_positive(optarg); break;
        case 't': threads = parse_positive(optarg); break;
        case 'j': json = true; break;
        case 'h': eval_usage(stdout); return 0;
        default: eval_usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || batch < 1 || threads < 1 || limit < 0) {
        eval_usage(stderr);
        return 2;
    }
    if (!data.path || !data.labels_path) {
        fprintf(stderr, "onnx-lite eval: %s\n", !data.path ? "--data is required (the samples to evaluate on)"
                : "--labels is required (an IDX or .npy file of class indices, one per sample)");
        return 2;
    }
    data.limit = (size_t)limit;
    const char *model_path = argv[optind];
    ol_error err = {0};
    ol_preprocess pp;
    if (ol_preprocess_parse(data.preprocess, &pp, &err) != OL_OK) {   /* a usage error, before any reading */
        fprintf(stderr, "onnx-lite eval: %s\n", err.message);
        return 2;
    }
    ol_model *model = NULL;
    ol_session *session = NULL;
    ol_dataset *set = NULL;
    const ol_value **inputs = NULL;
    ol_accuracy acc;
    int code = 1;
    if (ol_model_read_file(model_path, &model, &err) != OL_OK ||
        ol_session_create(model, &(ol_session_options){.threads = (int)threads}, &session, &err) != OL_OK ||
        check_output(session, model_path, &err) != OL_OK)
        goto done;
    inputs = calloc(ol_session_input_count(session) + 1, sizeof *inputs);
    if (!inputs) {
        ol_fail(&err, OL_ERR_NOMEM, "out of memory");
        goto done;
    }
    size_t n_inputs = ol_accuracy_data_inputs(session, inputs);
    if (ol_dataset_open(&data, inputs, n_inputs, &set, &err) != OL_OK)
        goto done;
    if (ol_accuracy_measure(session, set, (size_t)batch, &acc, &err) != OL_OK) {
        ol_error_prefix(&err, "%s on %s (labels %s): ", model_path, data.path, data.labels_path);
        goto done;
    }
    print_result(model_path, &data, (size_t)batch, threads, &acc, json);
    code = 0;
done:
    if (code != 0)
        fprintf(stderr, "onnx-lite eval: %s\n", err.message);
    ol_dataset_close(set);
    free(inputs);
    ol_session_destroy(session);
    ol_model_destroy(model);
    return code;
}
