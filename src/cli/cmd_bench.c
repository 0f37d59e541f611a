/* onnx-lite bench: latency percentiles, throughput, planned activation memory and a per-op-type
 * profile of the reference executor on random inputs. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/tensor_io.h"
#include "data/random_input.h"
#include "exec/session.h"
#include "onnxlite/onnxlite.h"

static void bench_usage(FILE *out)
{
    fprintf(out,
            "usage: onnx-lite bench MODEL [--threads N] [--runs N] [--warmup N] [--batch N]\n"
            "                       [--profile] [--json] [--no-qdq-lowering]\n"
            "\n"
            "Runs MODEL on random inputs (symbolic first dims set to --batch, default 1) and reports\n"
            "latency (median, p90, p99 of --runs timed runs after --warmup untimed ones),\n"
            "throughput, peak planned activation memory, and with --profile the time per op type.\n"
            "--json prints one JSON object (times in milliseconds, keys ending in _ms).\n"
            "--no-qdq-lowering runs a quantized (QDQ) model's groups in float as written instead of\n"
            "with integer kernels.\n");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double percentile(const double *sorted, size_t n, double p)
{
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return sorted[i < n ? i : n - 1];
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void free_tensors(ol_ktensor *t, size_t n)
{
    for (size_t i = 0; t && i < n; i++) {
        free(t[i].data);
        t[i].data = NULL;
    }
}

typedef struct bench_result {
    double median, p90, p99, min, mean;
    ol_session_stats stats;
} bench_result;

static void print_text(const char *path, long batch, long threads, long runs, const bench_result *r,
                       bool profile)
{
    printf("model %s  batch %ld  threads %ld  runs %ld\n", path, batch, threads, runs);
    printf("latency ms: median %.3f  p90 %.3f  p99 %.3f  min %.3f  mean %.3f\n", r->median, r->p90,
           r->p99, r->min, r->mean);
    printf("throughput: %.1f samples/s\n", r->median > 0 ? 1000.0 * (double)batch / r->median : 0.0);
    printf("activation memory: peak %.2f MiB planned (all activations together %.2f MiB), "
           "scratch %.2f MiB\n", r->stats.arena_bytes / 1048576.0, r->stats.activation_bytes / 1048576.0,
           r->stats.scratch_bytes / 1048576.0);
    if (!profile)
        return;
    double total = 0;
    for (size_t i = 0; i < r->stats.n_op_times; i++)
        total += r->stats.op_times[i].total_ms;
    printf("%-24s %10s %8s %7s\n", "op type", "ms/run", "calls", "share");
    for (size_t i = 0; i < r->stats.n_op_times; i++) {
        const ol_op_time *t = &r->stats.op_times[i];
        printf("%-24s %10.3f %8zu %6.1f%%\n", t->op_type, t->total_ms / (double)runs,
               t->calls / (size_t)runs, total > 0 ? 100.0 * t->total_ms / total : 0.0);
    }
}

static void print_json(const char *path, long batch, long threads, long runs, const bench_result *r,
                       bool profile)
{
    json_t *o = json_object();
    json_object_set_new(o, "model", json_string(path));
    json_object_set_new(o, "batch", json_integer(batch));
    json_object_set_new(o, "threads", json_integer(threads));
    json_object_set_new(o, "runs", json_integer(runs));
    json_object_set_new(o, "median_ms", json_real(r->median));
    json_object_set_new(o, "p90_ms", json_real(r->p90));
    json_object_set_new(o, "p99_ms", json_real(r->p99));
    json_object_set_new(o, "min_ms", json_real(r->min));
    json_object_set_new(o, "mean_ms", json_real(r->mean));
    json_object_set_new(o, "throughput_per_s", json_real(r->median > 0 ? 1000.0 * (double)batch / r->median : 0));
    json_object_set_new(o, "peak_activation_bytes", json_integer((json_int_t)r->stats.arena_bytes));
    json_object_set_new(o, "activation_sum_bytes", json_integer((json_int_t)r->stats.activation_bytes));
    json_object_set_new(o, "scratch_bytes", json_integer((json_int_t)r->stats.scratch_bytes));
    if (profile) {
        json_t *ops = json_array();
        for (size_t i = 0; i < r->stats.n_op_times; i++) {
            const ol_op_time *t = &r->stats.op_times[i];
            json_t *e = json_object();
            json_object_set_new(e, "op_type", json_string(t->op_type));
            json_object_set_new(e, "ms_per_run", json_real(t->total_ms / (double)runs));
            json_object_set_new(e, "calls_per_run", json_integer((json_int_t)(t->calls / (size_t)runs)));
            json_array_append_new(ops, e);
        }
        json_object_set_new(o, "profile", ops);
    }
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    if (text)
        puts(text);
    free(text);
    json_decref(o);
}

int ol_cmd_bench(int argc, char **argv)
{
    static const struct option options[] = {
        {"threads", required_argument, NULL, 't'}, {"runs", required_argument, NULL, 'n'},
        {"warmup", required_argument, NULL, 'w'},  {"batch", required_argument, NULL, 'b'},
        {"profile", no_argument, NULL, 'p'},       {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},          {"no-qdq-lowering", no_argument, NULL, 'q'},
        {0},
    };
    long threads = 1, runs = 50, warmup = 5, batch = 1;
    bool profile = false, json = false, no_qdq_lowering = false;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "h", options, NULL)) != -1;) {
        switch (c) {
        case 't': threads = strtol(optarg, NULL, 10); break;
        case 'n': runs = strtol(optarg, NULL, 10); break;
        case 'w': warmup = strtol(optarg, NULL, 10); break;
        case 'b': batch = strtol(optarg, NULL, 10); break;
        case 'p': profile = true; break;
        case 'j': json = true; break;
        case 'q': no_qdq_lowering = true; break;
        case 'h': bench_usage(stdout); return 0;
        default: bench_usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || threads < 1 || runs < 1 || warmup < 0 || batch < 1) {
        bench_usage(stderr);
        return 2;
    }
    const char *path = argv[optind];
    ol_error err = {0};
    ol_model *model = NULL;
    ol_session *session = NULL;
    ol_ktensor *inputs = NULL, *outputs = NULL;
    double *times = calloc((size_t)runs, sizeof *times);
    size_t n_in = 0, n_out = 0;
    uint64_t seed = 0;
    int code = 1;
    if (!times || ol_model_read_file(path, &model, &err) != OL_OK ||
        ol_session_create(model,
                          &(ol_session_options){.threads = (int)threads, .profile = profile,
                                                .no_qdq_lowering = no_qdq_lowering},
                          &session, &err) != OL_OK)
        goto fail;
    n_in = ol_session_input_count(session);
    n_out = ol_session_output_count(session);
    inputs = calloc(n_in + 1, sizeof *inputs);
    outputs = calloc(n_out + 1, sizeof *outputs);
    for (size_t i = 0; i < n_in; i++) {
        const ol_value *v = ol_session_input(session, i);
        if (v->constant)
            continue;
        if (ol_random_input_shape(v, batch, &inputs[i], &err) != OL_OK ||
            ol_random_input_fill(&inputs[i], &seed, &err) != OL_OK)
            goto fail;
    }
    for (long r = 0; r < warmup + runs; r++) {
        if (r == warmup)
            ol_session_reset_profile(session);
        double t0 = now_ms();
        if (ol_session_run(session, inputs, outputs, &err) != OL_OK)
            goto fail;
        if (r >= warmup)
            times[r - warmup] = now_ms() - t0;
        free_tensors(outputs, n_out);
    }
    bench_result result = {0};
    double sum = 0;
    for (long r = 0; r < runs; r++)
        sum += times[r];
    qsort(times, (size_t)runs, sizeof *times, cmp_double);
    result.median = percentile(times, (size_t)runs, 0.5);
    result.p90 = percentile(times, (size_t)runs, 0.9);
    result.p99 = percentile(times, (size_t)runs, 0.99);
    result.min = times[0];
    result.mean = sum / (double)runs;
    ol_session_get_stats(session, &result.stats);
    if (json)
        print_json(path, batch, threads, runs, &result, profile);
    else
        print_text(path, batch, threads, runs, &result, profile);
    code = 0;
    goto cleanup;
fail:
    fprintf(stderr, "onnx-lite bench: %s\n", err.message);
cleanup:
    free_tensors(inputs, n_in);
    free_tensors(outputs, n_out);
    free(inputs);
    free(outputs);
    free(times);
    ol_session_destroy(session);
    ol_model_destroy(model);
    return code;
}
