/* onnx-lite optimize: run a pass pipeline over a model and write the result.
 *
 * Order of work, so that nothing is written unless everything succeeded: options, passes (built-in
 * and plugins), the pipeline text, the model and its input-shape overrides, the pipeline (IR
 * verifier before and after, and after each pass with --verify-each), numerical verification
 * against the input model (--verify; with --verify-each a failure reruns the pipeline checking
 * after each pass to name the first that diverges), then the output model, then the report. A
 * failure at any step leaves no output model; the report (--report) is written whenever the
 * pipeline ran, failed or not, since that is when it explains something. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis/input_shapes.h"
#include "cli/commands.h"
#include "cli/pass_listing.h"
#include "onnxlite/model_io.h"
#include "pass/bisect.h"
#include "pass/context.h"
#include "pass/manager.h"
#include "pass/pipeline.h"
#include "pass/report.h"
#include "pass/verify.h"

#define PROGRAM "onnx-lite optimize"

typedef struct optimize_options {
    const char *input, *output;
    const char *pipeline_text;   /* -p */
    int level;                   /* -O0 / -O1; -1 when not given */
    const char **skips;          /* --skip-passes lists */
    size_t n_skips;
    ol_input_shape *shapes;
    size_t n_shapes;
    ol_write_options write;
    bool list_passes;
    bool verify, verify_each;
    bool tolerance_given;
    double tolerance;
    long samples, batch;
    const char *report_path;
    const char **plugins;
    size_t n_plugins;
    /* What built-in passes reach through the pass context (pass/context.h). */
    const char *data, *labels, *preprocess;
    long calibration_samples;
    long threads;
} optimize_options;

/* Samples the quantize pass calibrates on unless --calibration-samples says otherwise. */
#define DEFAULT_CALIBRATION_SAMPLES 256

static void print_usage(FILE *out)
{
    fprintf(out,
            "usage: onnx-lite optimize IN -o OUT [-p PIPELINE | -O0 | -O1] [options]\n"
            "\n"
            "Runs a pipeline of passes over IN and writes OUT (atomically; nothing is written on any\n"
            "error). Without -p, -O1 runs the built-in lossless passes; -O0 only checks and rewrites.\n"
            "\n"
            "  -p, --pipeline TEXT          passes to run, e.g. 'eliminate-dead,pass{option=value}'\n"
            "  -O0, -O1                     a default pipeline (see 'onnx-lite passes')\n"
            "  --skip-passes A,B            leave these passes out of the pipeline\n"
            "  --overwrite-input-shape NAME:D0,D1,...\n"
            "                               give input NAME this static shape first (repeatable)\n"
            "  --save-as-external-data      put tensors of at least --external-threshold bytes\n"
            "                               (default %d) into OUT.data\n"
            "  --verify                     run IN and OUT on random inputs and compare the outputs\n"
            "  --tolerance X                largest error allowed, relative to each output's largest\n"
            "                               magnitude (default %g for lossless pipelines)\n"
            "  --verify-samples N           random input sets (default %d)\n"
            "  --verify-batch N             size of a symbolic first dim (default 1)\n"
            "  --verify-each                IR verifier after every pass; with --verify, a failure\n"
            "                               names the first pass whose output diverges\n"
            "  --data PATH                  samples for passes that calibrate (quantize, float16's\n"
            "                               activation range check) and, with\n"
            "                               --verify, the inputs compared instead of random ones:\n"
            "                               an IDX file (.gz too), a folder of .npy/.pb files or\n"
            "                               of ONNX test data sets, or a folder of PNG/JPEG images\n"
            "  --labels PATH                class labels of the --data samples (IDX or .npy), for\n"
            "                               quantize{max-accuracy-drop=...}\n"
            "  --preprocess TEXT            how images and IDX pixels become inputs, e.g.\n"
            "                               'resize=256,crop=224,mean=0.485:0.456:0.406,std=...'\n"
            "  --calibration-samples N      samples a calibrating pass reads (default %d; 0: all)\n"
            "  --threads N                  executor threads for calibration and --verify\n"
            "  --report FILE.json           write passes, times, statistics and verification\n"
            "  --plugin LIB.so              load passes from a plugin (repeatable)\n"
            "  --list-passes                list the passes (with plugins) and exit\n"
            "  -h, --help                   show this help\n",
            OL_DEFAULT_EXTERNAL_THRESHOLD, OL_VERIFY_LOSSLESS_TOLERANCE, OL_VERIFY_DEFAULT_SAMPLES,
            DEFAULT_CALIBRATION_SAMPLES);
}

static void options_clear(optimize_options *opts)
{
    for (size_t i = 0; i < opts->n_shapes; i++)
        ol_input_shape_clear(&opts->shapes[i]);
    free(opts->shapes);
    free(opts->skips);
    free(opts->plugins);
}

static bool parse_long(const char *text, long min, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (!*text || *end || errno == ERANGE || v < min)
        return false;
    *out = v;
    return true;
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, PROGRAM ": ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'onnx-lite optimize --help'.\n");
    return 2;
}

/* Returns -1 to go on, or the exit code to stop with. */
static int parse_options(int argc, char **argv, optimize_options *opts)
{
    enum { SKIP = 256, SHAPE, EXTERNAL, THRESHOLD, LIST, VERIFY, TOLERANCE, SAMPLES, BATCH, EACH,
           REPORT, PLUGIN, DATA, LABELS, PREPROCESS, CALIBRATION, THREADS };
    static const struct option long_options[] = {
        {"output", required_argument, NULL, 'o'},
        {"pipeline", required_argument, NULL, 'p'},
        {"skip-passes", required_argument, NULL, SKIP},
        {"overwrite-input-shape", required_argument, NULL, SHAPE},
        {"save-as-external-data", no_argument, NULL, EXTERNAL},
        {"external-threshold", required_argument, NULL, THRESHOLD},
        {"list-passes", no_argument, NULL, LIST},
        {"verify", no_argument, NULL, VERIFY},
        {"tolerance", required_argument, NULL, TOLERANCE},
        {"verify-samples", required_argument, NULL, SAMPLES},
        {"verify-batch", required_argument, NULL, BATCH},
        {"verify-each", no_argument, NULL, EACH},
        {"report", required_argument, NULL, REPORT},
        {"plugin", required_argument, NULL, PLUGIN},
        {"data", required_argument, NULL, DATA},
        {"labels", required_argument, NULL, LABELS},
        {"preprocess", required_argument, NULL, PREPROCESS},
        {"calibration-samples", required_argument, NULL, CALIBRATION},
        {"threads", required_argument, NULL, THREADS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    size_t max = (size_t)argc + 1;
    opts->skips = calloc(max, sizeof *opts->skips);
    opts->plugins = calloc(max, sizeof *opts->plugins);
    opts->shapes = calloc(max, sizeof *opts->shapes);
    if (!opts->skips || !opts->plugins || !opts->shapes) {
        fprintf(stderr, PROGRAM ": out of memory\n");
        return 1;
    }
    optind = 0;
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, ":o:p:O:h", long_options, NULL)) != -1;) {
        long v;
        char *end;
        switch (c) {
        case 'o': opts->output = optarg; break;
        case 'p': opts->pipeline_text = optarg; break;
        case 'O':
            if (strcmp(optarg, "0") != 0 && strcmp(optarg, "1") != 0)
                return usage_error("unknown optimization level -O%s (there are -O0 and -O1)", optarg);
            opts->level = optarg[0] - '0';
            break;
        case SKIP: opts->skips[opts->n_skips++] = optarg; break;
        case SHAPE: {
            ol_error err = {0};
            if (ol_input_shape_parse(optarg, &opts->shapes[opts->n_shapes], &err) != OL_OK)
                return usage_error("--overwrite-input-shape: %s", err.message);
            opts->n_shapes++;
            break;
        }
        case EXTERNAL: opts->write.external_data = 1; break;
        case THRESHOLD:
            if (!parse_long(optarg, 0, &v))
                return usage_error("--external-threshold needs a byte count, got '%s'", optarg);
            opts->write.external_threshold = (size_t)v;
            break;
        case LIST: opts->list_passes = true; break;
        case VERIFY: opts->verify = true; break;
        case TOLERANCE:
            opts->tolerance = strtod(optarg, &end);
            if (!*optarg || *end || !isfinite(opts->tolerance) || opts->tolerance < 0)
                return usage_error("--tolerance needs a non-negative number, got '%s'", optarg);
            opts->tolerance_given = true;
            break;
        case SAMPLES:
            if (!parse_long(optarg, 1, &opts->samples))
                return usage_error("--verify-samples needs a positive count, got '%s'", optarg);
            break;
        case BATCH:
            if (!parse_long(optarg, 1, &opts->batch))
                return usage_error("--verify-batch needs a positive size, got '%s'", optarg);
            break;
        case EACH: opts->verify_each = true; break;
        case REPORT: opts->report_path = optarg; break;
        case PLUGIN: opts->plugins[opts->n_plugins++] = optarg; break;
        case DATA: opts->data = optarg; break;
        case LABELS: opts->labels = optarg; break;
        case PREPROCESS: opts->preprocess = optarg; break;
        case CALIBRATION:
            if (!parse_long(optarg, 0, &opts->calibration_samples))
                return usage_error("--calibration-samples needs a count (0: all), got '%s'", optarg);
            break;
        case THREADS:
            if (!parse_long(optarg, 1, &opts->threads) || opts->threads > 1024)
                return usage_error("--threads needs a count from 1 to 1024, got '%s'", optarg);
            break;
        case 'h': print_usage(stdout); return 0;
        case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
        default: return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (opts->list_passes)
        return -1;
    if (argc - optind != 1)
        return usage_error("%s", argc - optind < 1 ? "no input model given" : "more than one input model given");
    opts->input = argv[optind];
    if (!opts->output)
        return usage_error("%s", "no output given (-o OUT)");
    if (opts->pipeline_text && opts->level >= 0)
        return usage_error("%s", "give either -p PIPELINE or -O0/-O1, not both");
    if ((opts->tolerance_given || opts->samples || opts->batch) && !opts->verify)
        return usage_error("%s", "--tolerance, --verify-samples and --verify-batch need --verify");
    if ((opts->labels || opts->preprocess) && !opts->data)
        return usage_error("%s", "--labels and --preprocess describe --data: give --data too");
    return -1;
}

/* The output must not be the input: writing it would replace (and, with external data, truncate)
 * the file the model is still mapped from. */
static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int build_pipeline(const optimize_options *opts, const ol_pass_registry *registry,
                          ol_pipeline *pipeline)
{
    ol_error err = {0};
    size_t offset = OL_PIPELINE_NO_POSITION;
    ol_status st = opts->pipeline_text
                       ? ol_pipeline_parse(registry, opts->pipeline_text, pipeline, &offset, &err)
                       : ol_pipeline_default(registry, opts->level >= 0 ? opts->level : 1, pipeline, &err);
    if (st != OL_OK) {
        fprintf(stderr, PROGRAM ": bad pipeline: %s\n", err.message);
        if (offset != OL_PIPELINE_NO_POSITION)
            fprintf(stderr, "  %s\n  %*s^\n", opts->pipeline_text, (int)offset, "");
        return st == OL_ERR_ARG ? 2 : 1;
    }
    for (size_t i = 0; i < opts->n_skips; i++)
        if ((st = ol_pipeline_skip(pipeline, registry, opts->skips[i], &err)) != OL_OK) {
            fprintf(stderr, PROGRAM ": %s\n", err.message);
            return st == OL_ERR_ARG ? 2 : 1;
        }
    return -1;
}

/* The input model with the shape overrides applied: what the pipeline starts from, and the
 * reference verification compares with. */
static ol_status read_input(const optimize_options *opts, ol_model **out, ol_error *err)
{
    ol_status st = ol_model_read_file(opts->input, out, err);
    if (st == OL_OK && opts->n_shapes &&
        (st = ol_model_override_input_shapes(*out, opts->shapes, opts->n_shapes, err)) != OL_OK)
        ol_error_prefix(err, "--overwrite-input-shape: ");
    if (st != OL_OK) {
        ol_model_destroy(*out);
        *out = NULL;
    }
    return st;
}

static void warn_iteration_limits(const ol_pipeline_report *report)
{
    for (size_t i = 0; i < report->n_steps; i++)
        if (report->steps[i].hit_iteration_limit)
            fprintf(stderr, PROGRAM ": warning: pass '%s' still changed the model after %u runs; "
                    "stopped at the bound\n", report->steps[i].pass->name, report->max_iterations);
}

/* One line naming the worst output, for the error message. */
static void describe_failure(const ol_verify_result *result, double tolerance, char *buf, size_t size)
{
    for (size_t i = 0; i < result->n_outputs; i++) {
        const ol_output_error *e = &result->outputs[i];
        if (e->ok)
            continue;
        if (e->reason[0])
            snprintf(buf, size, "output '%s': %s", e->name, e->reason);
        else
            snprintf(buf, size, "output '%s' differs by %.3g relative to its largest magnitude (max abs "
                     "error %.3g), above the tolerance %g", e->name, e->max_rel_error, e->max_abs_error,
                     tolerance);
        return;
    }
    snprintf(buf, size, "the outputs differ");
}

/* Numerical verification of `optimized` against the input; with --verify-each, a failure is
 * followed by a rerun that names the first pass whose output diverges. */
static ol_status verify_numerically(const optimize_options *opts, const ol_pipeline *pipeline,
                                    ol_pass_context *context, const ol_model *optimized,
                                    ol_pipeline_report *report, ol_error *err)
{
    ol_model *reference = NULL, *fresh = NULL;
    ol_verifier *verifier = NULL;
    report->verify_options = (ol_verify_options){
        .samples = opts->samples ? (size_t)opts->samples : OL_VERIFY_DEFAULT_SAMPLES,
        .batch = opts->batch,
        .tolerance = opts->tolerance_given ? opts->tolerance : OL_VERIFY_LOSSLESS_TOLERANCE,
        .threads = (int)opts->threads,
        .data = opts->data ? &context->data : NULL,
    };
    ol_status st = read_input(opts, &reference, err);
    if (st == OL_OK)
        st = ol_verifier_create(reference, &report->verify_options, &verifier, err);
    ol_model_destroy(reference);
    if (st == OL_OK) {
        report->verify_options.samples = ol_verifier_options(verifier)->samples;   /* data may have fewer */
        st = ol_verifier_check(verifier, optimized, &report->verification, err);
    }
    if (st != OL_OK) {
        ol_error_prefix(err, "cannot verify: ");
        ol_verifier_destroy(verifier);
        return st;
    }
    report->verified = true;
    if (!report->verification.ok && opts->verify_each) {
        ol_pass_manager_options manager = {.verify_each = true, .context = context};
        st = read_input(opts, &fresh, err);
        if (st == OL_OK)
            st = ol_pipeline_bisect(pipeline, fresh, verifier, &manager, &report->bisection, err);
        ol_model_destroy(fresh);
        if (st != OL_OK)
            ol_error_prefix(err, "--verify-each: ");
    }
    ol_verifier_destroy(verifier);
    if (st == OL_OK && !report->verification.ok) {
        char what[600];
        describe_failure(&report->verification, report->verify_options.tolerance, what, sizeof what);
        if (report->bisection.found)
            st = ol_fail(err, OL_ERR_INVALID, "verification failed: %s; the first pass whose output "
                         "diverges is #%zu %s", what, report->bisection.step + 1,
                         report->bisection.pass_text);
        else
            st = ol_fail(err, OL_ERR_INVALID, "verification failed: %s%s", what,
                         opts->verify_each ? "" : " (add --verify-each to find the pass)");
    }
    return st;
}

/* The output model and its side file, when a later step fails after writing them. */
static void remove_output(const optimize_options *opts)
{
    unlink(opts->output);
    if (opts->write.external_data) {
        size_t len = strlen(opts->output) + sizeof ".data";
        char *side = malloc(len);
        if (side) {
            snprintf(side, len, "%s.data", opts->output);
            unlink(side);
            free(side);
        }
    }
}

static int optimize(const optimize_options *opts, const ol_pipeline *pipeline)
{
    ol_pass_context context = {
        .data = {.path = opts->data, .labels_path = opts->labels, .preprocess = opts->preprocess},
        .calibration_samples = (size_t)opts->calibration_samples,
        .threads = (int)opts->threads,
        .progress = isatty(STDERR_FILENO),
    };
    ol_error err = {0};
    ol_model *model = NULL;
    ol_pipeline_report report = {0};
    bool pipeline_ran = false, written = false;
    ol_status st = read_input(opts, &model, &err);
    /* A bad --overwrite-input-shape is a usage error; everything after reading is not. */
    int failure_code = st == OL_ERR_ARG ? 2 : 1;
    if (st == OL_OK) {
        ol_pass_manager_options manager = {.verify_each = opts->verify_each, .measure = true,
                                           .context = &context};
        st = ol_pass_manager_run(pipeline, model, &manager, &report, &err);
        pipeline_ran = true;
        ol_pipeline_report_print(&report, stdout);
        warn_iteration_limits(&report);
    }
    if (st == OL_OK && opts->verify) {
        st = verify_numerically(opts, pipeline, &context, model, &report, &err);
        ol_pipeline_report_print_verification(&report, stdout);
    }
    if (st == OL_OK) {
        st = ol_model_write_file(model, opts->output, &opts->write, &err);
        written = st == OL_OK;
    }
    if (pipeline_ran) {
        report.ok = st == OL_OK;
        if (st != OL_OK)
            snprintf(report.error, sizeof report.error, "%s", err.message);
    }
    if (pipeline_ran && opts->report_path) {
        ol_error report_err = {0};
        if (ol_pipeline_report_write_json(&report, opts->input, written ? opts->output : NULL,
                                          opts->report_path, &report_err) != OL_OK) {
            fprintf(stderr, PROGRAM ": %s\n", report_err.message);
            if (written)
                remove_output(opts);
            if (st == OL_OK)
                st = report_err.status;
        }
    }
    if (st != OL_OK && err.status != OL_OK)
        fprintf(stderr, PROGRAM ": %s\n", err.message);
    ol_pipeline_report_clear(&report);
    ol_pass_context_clear(&context);
    ol_model_destroy(model);
    return st == OL_OK ? 0 : failure_code;
}

int ol_cmd_optimize(int argc, char **argv)
{
    optimize_options opts = {.level = -1, .write = {.external_threshold = OL_DEFAULT_EXTERNAL_THRESHOLD},
                             .calibration_samples = DEFAULT_CALIBRATION_SAMPLES};
    ol_pass_registry *registry = NULL;
    ol_pipeline pipeline = {0};
    int code = parse_options(argc, argv, &opts);
    if (code < 0 && !(registry = ol_cli_load_passes(PROGRAM, opts.plugins, opts.n_plugins)))
        code = 1;
    if (code < 0 && opts.list_passes) {
        ol_cli_print_passes(stdout, registry);
        code = 0;
    }
    if (code < 0 && same_file(opts.input, opts.output))
        code = usage_error("the output '%s' is the input model: write to another file", opts.output);
    if (code < 0)
        code = build_pipeline(&opts, registry, &pipeline);
    if (code < 0 && opts.verify && !opts.tolerance_given && !ol_pipeline_is_lossless(&pipeline))
        code = usage_error("%s", "--verify with a lossy pass in the pipeline needs --tolerance");
    if (code < 0)
        code = optimize(&opts, &pipeline);
    ol_pipeline_clear(&pipeline);
    ol_pass_registry_destroy(registry);
    options_clear(&opts);
    return code;
}
