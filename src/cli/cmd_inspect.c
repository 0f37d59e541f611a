/* onnx-lite inspect: what a model is made of and how much arithmetic it does.
 *
 * The counting lives in src/analysis/; this file parses the options, runs the analysis and prints
 * it as text or, with --json, as one JSON object on one line. JSON keys, in this order:
 *   "file"          the path as given
 *   "producer"      {"name": str|null, "version": str|null}
 *   "ir_version"    integer
 *   "opsets"        [{"domain": str ("" for the default domain, as everywhere in the JSON),
 *                     "version": int}], in file order
 *   "inputs"        [{"name": str, "dtype": str|null, "shape": SHAPE, "analyzed_shape": SHAPE}]
 *   "outputs"       the same; "shape" is as declared in the file, "analyzed_shape" what the analysis
 *                   used after --overwrite-input-shape, assumed dims and shape inference.
 *                   SHAPE is [int|str|null] (str: symbolic dim, null: unknown dim) or null (rank
 *                   unknown). Inputs that have an initializer are constants and are not listed.
 *   "assumed_dims"  [{"input": str, "axis": int, "symbol": str|null, "value": int}]: the dims that
 *                   were neither fixed by the model nor by --overwrite-input-shape, taken as 1
 *   then the statistics keys of src/analysis/model_stats_json.h, "node_count" .. "heaviest_layers";
 *   "macs" is the headline figure (Conv/ConvTranspose/Gemm/MatMul families, bias excluded), the
 *   convention of published figures such as torchvision's. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "analysis/input_shapes.h"
#include "analysis/json_text.h"
#include "analysis/model_stats.h"
#include "analysis/model_stats_json.h"
#include "analysis/shape_format.h"
#include "cli/commands.h"
#include "onnxlite/model_io.h"

#define PROGRAM "onnx-lite inspect"
#define TOP_LAYERS 10
/* What a symbolic or unknown dim (a dynamic batch, say) is taken to be when no shape is given. */
#define ASSUMED_DIM 1
#define SHAPE_TEXT_SIZE 256

typedef struct inspect_options {
    const char *path;
    bool json;
    ol_input_shape *shapes;
    size_t n_shapes, cap_shapes;
} inspect_options;

/* Everything printed: the model after analysis, plus its interface as declared in the file. */
typedef struct inspection {
    const char *path;
    ol_model *model;
    ol_type *declared_inputs;  /* parallel to model->graph->inputs */
    ol_type *declared_outputs; /* parallel to model->graph->outputs */
    ol_assumed_dims assumed;
    ol_model_stats stats;
} inspection;

/* ---------------------------------------------------------------------------------------------- */
/* Options */

static void print_usage(FILE *out)
{
    fprintf(out,
            "usage: onnx-lite inspect MODEL [--json] [--overwrite-input-shape NAME:D0,D1,...]...\n"
            "\n"
            "Prints producer, IR version, opsets, inputs and outputs, op histogram, parameter\n"
            "count, weight bytes by dtype, and MACs with the heaviest layers.\n"
            "\n"
            "  --json                         print one JSON object instead of text\n"
            "  --overwrite-input-shape NAME:D0,D1,...\n"
            "                                 give input NAME this static shape (repeatable);\n"
            "                                 symbolic dims not given are assumed to be %d\n"
            "  -h, --help                     show this help\n"
            "\n"
            "MACs count one per multiply-add of Conv, ConvTranspose, Gemm, MatMul and their\n"
            "QLinear/Integer forms, bias excluded: the convention of published model figures.\n"
            "Other ops (pooling, normalization, elementwise) are counted separately.\n",
            ASSUMED_DIM);
}

static void options_clear(inspect_options *opts)
{
    for (size_t i = 0; i < opts->n_shapes; i++)
        ol_input_shape_clear(&opts->shapes[i]);
    free(opts->shapes);
    *opts = (inspect_options){0};
}

static int add_shape_option(inspect_options *opts, const char *text)
{
    if (opts->n_shapes == opts->cap_shapes) {
        size_t cap = opts->cap_shapes ? 2 * opts->cap_shapes : 4;
        ol_input_shape *grown = realloc(opts->shapes, cap * sizeof *grown);
        if (!grown) {
            fprintf(stderr, PROGRAM ": out of memory\n");
            return 1;
        }
        opts->shapes = grown;
        opts->cap_shapes = cap;
    }
    ol_error err = {0};
    if (ol_input_shape_parse(text, &opts->shapes[opts->n_shapes], &err) != OL_OK) {
        fprintf(stderr, PROGRAM ": --overwrite-input-shape: %s\n", err.message);
        return err.status == OL_ERR_ARG ? 2 : 1;
    }
    opts->n_shapes++;
    return 0;
}

/* Returns -1 to go on, or the exit code to stop with. */
static int parse_options(int argc, char **argv, inspect_options *opts)
{
    static const struct option long_options[] = {
        {"json", no_argument, NULL, 'j'},
        {"overwrite-input-shape", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    /* 0, not 1: glibc and musl then also reset their scan state, in case main used getopt. */
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        switch (c) {
        case 'j': opts->json = true; break;
        case 's': {
            int code = add_shape_option(opts, optarg);
            if (code != 0)
                return code;
            break;
        }
        case 'h': print_usage(stdout); return 0;
        case ':':
            fprintf(stderr, PROGRAM ": option '%s' needs a value\n", argv[optind - 1]);
            fprintf(stderr, "Try 'onnx-lite inspect --help'.\n");
            return 2;
        default:
            fprintf(stderr, PROGRAM ": unknown option '%s'\n", argv[optind - 1]);
            fprintf(stderr, "Try 'onnx-lite inspect --help'.\n");
            return 2;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, PROGRAM ": %s\n",
                argc - optind < 1 ? "no MODEL given" : "more than one MODEL given");
        print_usage(stderr);
        return 2;
    }
    opts->path = argv[optind];
    return -1;
}

/* ---------------------------------------------------------------------------------------------- */
/* Analysis */

static void free_types(ol_type *types, size_t n)
{
    for (size_t i = 0; types && i < n; i++)
        ol_type_clear(&types[i]);
    free(types);
}

static void inspection_clear(inspection *insp)
{
    if (insp->model && insp->model->graph) {
        free_types(insp->declared_inputs, insp->model->graph->n_inputs);
        free_types(insp->declared_outputs, insp->model->graph->n_outputs);
    }
    ol_assumed_dims_clear(&insp->assumed);
    ol_model_stats_free(&insp->stats);
    ol_model_destroy(insp->model);
    *insp = (inspection){0};
}

static ol_status snapshot_types(ol_value **values, size_t n, ol_type **out, ol_error *err)
{
    *out = calloc(n ? n : 1, sizeof **out);
    if (!*out)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        (*out)[i] = (ol_type){.kind = OL_TYPE_UNKNOWN, .rank = -1};
        if (ol_type_copy(&(*out)[i], &values[i]->type) != 0)
            return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    return OL_OK;
}

static ol_status analyze(const inspect_options *opts, inspection *insp, ol_error *err)
{
    insp->path = opts->path;
    ol_status st = ol_model_read_file(opts->path, &insp->model, err);
    if (st != OL_OK)
        return st;
    ol_graph *graph = insp->model->graph;
    if (!graph)
        return ol_fail(err, OL_ERR_INVALID, "model has no graph");
    st = snapshot_types(graph->inputs, graph->n_inputs, &insp->declared_inputs, err);
    if (st == OL_OK)
        st = snapshot_types(graph->outputs, graph->n_outputs, &insp->declared_outputs, err);
    if (st == OL_OK)
        st = ol_model_override_input_shapes(insp->model, opts->shapes, opts->n_shapes, err);
    if (st == OL_OK)
        st = ol_model_bind_unknown_input_dims(insp->model, ASSUMED_DIM, &insp->assumed, err);
    if (st == OL_OK)
        st = ol_model_stats_compute(insp->model, &insp->stats, err);
    return st;
}

/* ---------------------------------------------------------------------------------------------- */
/* Text output */

static const char *domain_label(const char *domain)
{
    return domain && *domain ? domain : "ai.onnx";
}

/* 1814073344 -> "1,814,073,344" */
static char *format_grouped(uint64_t n, char *buf, size_t size)
{
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%" PRIu64, n);
    size_t out = 0;
    for (int i = 0; i < len && out + 2 < size; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[out++] = ',';
        buf[out++] = digits[i];
    }
    buf[out] = '\0';
    return buf;
}

/* 1814073344 -> "1.814 G" (decimal prefixes, as MAC figures are quoted) */
static char *format_scaled(uint64_t n, char *buf, size_t size)
{
    static const char *const prefixes[] = {"K", "M", "G", "T", "P", "E"};
    if (n < 1000) {
        snprintf(buf, size, "%" PRIu64, n);
        return buf;
    }
    double value = (double)n;
    size_t p = 0;
    value /= 1000.0;
    while (value >= 1000.0 && p + 1 < sizeof prefixes / sizeof *prefixes) {
        value /= 1000.0;
        p++;
    }
    snprintf(buf, size, "%.3f %s", value, prefixes[p]);
    return buf;
}

static const char *dtype_label(const ol_type *type)
{
    if (type->kind == OL_TYPE_OTHER)
        return "(other)";
    if (type->kind != OL_TYPE_TENSOR || type->elem == OL_UNDEFINED)
        return "?";
    return ol_dtype_name(type->elem);
}

/* A graph input with an initializer is a constant with a default, not part of the interface. */
static bool is_listed(const ol_value *value, bool skip_constants)
{
    return !(skip_constants && value->constant);
}

static int name_width(ol_value **values, size_t n, bool skip_constants, int width)
{
    for (size_t i = 0; i < n; i++) {
        int len = (int)strlen(values[i]->name);
        if (is_listed(values[i], skip_constants) && len > width)
            width = len;
    }
    return width;
}

static void print_interface(const char *title, ol_value **values, const ol_type *declared, size_t n,
                            bool skip_constants, int width)
{
    printf("%s\n", title);
    size_t listed = 0;
    for (size_t i = 0; i < n; i++) {
        const ol_value *value = values[i];
        if (!is_listed(value, skip_constants))
            continue;
        char shape[SHAPE_TEXT_SIZE], analyzed[SHAPE_TEXT_SIZE];
        printf("  %-*s  %-8s  %s", width, value->name, dtype_label(&declared[i]),
               ol_shape_format(&declared[i], shape, sizeof shape));
        if (!ol_type_equal(&declared[i], &value->type))
            printf("  analyzed as %s", ol_shape_format(&value->type, analyzed, sizeof analyzed));
        printf("\n");
        listed++;
    }
    if (listed == 0)
        printf("  (none)\n");
}

static void print_header(const inspection *insp)
{
    const ol_model *model = insp->model;
    printf("file          %s\n", insp->path);
    printf("producer      %s%s%s\n",
           model->producer_name && *model->producer_name ? model->producer_name : "(none)",
           model->producer_version && *model->producer_version ? " " : "",
           model->producer_version ? model->producer_version : "");
    printf("ir version    %" PRId64 "\n", model->ir_version);
    printf("opsets       ");
    for (size_t i = 0; i < model->n_opsets; i++)
        printf(" %s %" PRId64 "%s", domain_label(model->opsets[i].domain), model->opsets[i].version,
               i + 1 < model->n_opsets ? "," : "");
    printf("%s\n\n", model->n_opsets ? "" : " (none)");
}

static void print_assumed(const ol_assumed_dims *assumed)
{
    for (size_t i = 0; i < assumed->n; i++) {
        const ol_assumed_dim *dim = &assumed->items[i];
        printf("assumed %s dim %d (%s) = %" PRId64 "\n", dim->input, dim->axis,
               dim->symbol ? dim->symbol : "unnamed", dim->value);
    }
    if (assumed->n)
        printf("  (set them with --overwrite-input-shape NAME:D0,D1,...)\n");
}

static void print_weights(const ol_model_stats *stats)
{
    char a[32], b[32];
    printf("nodes         %s\n", format_grouped(stats->node_count, a, sizeof a));
    printf("parameters    %s\n", format_grouped(stats->parameter_count, a, sizeof a));
    printf("weight bytes  %s (%.2f MiB)\n", format_grouped(stats->weight_bytes, a, sizeof a),
           (double)stats->weight_bytes / (1024.0 * 1024.0));
    for (int dtype = 0; dtype < OL_DTYPE_COUNT; dtype++) {
        const ol_weight_total *total = &stats->weights_by_dtype[dtype];
        if (total->elements || total->bytes)
            printf("  %-10s  %15s elements  %15s bytes\n", ol_dtype_name((ol_dtype)dtype),
                   format_grouped(total->elements, a, sizeof a),
                   format_grouped(total->bytes, b, sizeof b));
    }
    printf("\n");
}

static void print_histogram(const ol_model_stats *stats)
{
    printf("op types\n");
    for (size_t i = 0; i < stats->n_ops; i++) {
        const ol_op_count *op = &stats->ops[i];
        char label[256];
        snprintf(label, sizeof label, "%s%s%s", op->domain, *op->domain ? "::" : "", op->op_type);
        printf("  %-24s %zu\n", label, op->count);
    }
    if (stats->n_ops == 0)
        printf("  (none)\n");
    printf("\n");
}

static void print_mac_line(const char *label, uint64_t macs, const char *what)
{
    char scaled[32], grouped[32];
    printf("%-12s  %-10s (%s)%s%s\n", label, format_scaled(macs, scaled, sizeof scaled),
           format_grouped(macs, grouped, sizeof grouped), *what ? "  " : "", what);
}

static void print_macs(const ol_model_stats *stats)
{
    print_mac_line("MACs", stats->linear_macs,
                   "Conv, ConvTranspose, Gemm, MatMul (+ QLinear/Integer forms), bias excluded");
    print_mac_line("other ops", stats->other_macs,
                   "pooling, normalization, elementwise: not in MACs");
    print_mac_line("all ops", stats->total_macs, "");
    if (stats->unknown_mac_nodes == 0)
        return;
    printf("not counted   %zu node(s) without static shapes:", stats->unknown_mac_nodes);
    size_t shown = 0;
    for (size_t i = 0; i < stats->n_costs && shown < 5; i++) {
        const ol_node *node = stats->costs[i].node;
        if (stats->costs[i].macs.known)
            continue;
        bool named = node->name && *node->name;
        printf("%s %s%s(%s)", shown ? "," : "", named ? node->name : "", named ? " " : "",
               node->op_type);
        shown++;
    }
    printf("%s\n", stats->unknown_mac_nodes > shown ? ", ..." : "");
}

static void print_heaviest(const ol_model_stats *stats)
{
    const ol_node_cost *top[TOP_LAYERS];
    size_t n = ol_model_stats_heaviest(stats, top, TOP_LAYERS);
    if (n == 0)
        return;
    printf("\nheaviest layers (top %d by MACs)\n", TOP_LAYERS);
    printf("  %-11s %6s  %-16s %-20s %s\n", "MACs", "share", "op", "output shape", "name");
    for (size_t i = 0; i < n; i++) {
        const ol_node *node = top[i]->node;
        const ol_value *output = node->n_outputs ? node->outputs[0] : NULL;
        char scaled[32], shape[SHAPE_TEXT_SIZE];
        double share =
            stats->total_macs ? 100.0 * (double)top[i]->macs.macs / (double)stats->total_macs : 0.0;
        printf("  %-11s %5.1f%%  %-16s %-20s %s\n",
               format_scaled(top[i]->macs.macs, scaled, sizeof scaled), share, node->op_type,
               output ? ol_shape_format(&output->type, shape, sizeof shape) : "-",
               node->name && *node->name ? node->name : "(unnamed)");
    }
}

static void print_text(const inspection *insp)
{
    const ol_graph *graph = insp->model->graph;
    print_header(insp);
    int width = name_width(graph->inputs, graph->n_inputs, true, 0);
    width = name_width(graph->outputs, graph->n_outputs, false, width);
    print_interface("inputs", graph->inputs, insp->declared_inputs, graph->n_inputs, true, width);
    print_interface("outputs", graph->outputs, insp->declared_outputs, graph->n_outputs, false,
                    width);
    print_assumed(&insp->assumed);
    printf("\n");
    print_weights(&insp->stats);
    print_histogram(&insp->stats);
    print_macs(&insp->stats);
    print_heaviest(&insp->stats);
}

/* ---------------------------------------------------------------------------------------------- */
/* JSON output */

static json_t *interface_json(ol_value **values, const ol_type *declared, size_t n,
                              bool skip_constants)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++) {
        if (!is_listed(values[i], skip_constants))
            continue;
        const ol_type *type = &declared[i];
        bool has_dtype = type->kind == OL_TYPE_TENSOR && type->elem != OL_UNDEFINED;
        json_t *item = json_object();
        int bad = !item;
        bad |= json_object_set_new(item, "name", ol_json_text(values[i]->name));
        bad |= json_object_set_new(
            item, "dtype", has_dtype ? json_string(ol_dtype_name(type->elem)) : json_null());
        bad |= json_object_set_new(item, "shape", ol_shape_json(type));
        bad |= json_object_set_new(item, "analyzed_shape", ol_shape_json(&values[i]->type));
        if (json_array_append_new(list, item) != 0 || bad) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

static json_t *opsets_json(const ol_model *model)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < model->n_opsets; i++) {
        json_t *item = json_object();
        int bad = !item;
        bad |= json_object_set_new(
            item, "domain", ol_json_text(model->opsets[i].domain ? model->opsets[i].domain : ""));
        bad |= json_object_set_new(item, "version", json_integer(model->opsets[i].version));
        if (json_array_append_new(list, item) != 0 || bad) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

static json_t *assumed_json(const ol_assumed_dims *assumed)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < assumed->n; i++) {
        const ol_assumed_dim *dim = &assumed->items[i];
        json_t *item = json_object();
        int bad = !item;
        bad |= json_object_set_new(item, "input", ol_json_text(dim->input));
        bad |= json_object_set_new(item, "axis", json_integer(dim->axis));
        bad |= json_object_set_new(item, "symbol", ol_json_text(dim->symbol));
        bad |= json_object_set_new(item, "value", json_integer(dim->value));
        if (json_array_append_new(list, item) != 0 || bad) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

static int print_json(const inspection *insp)
{
    const ol_model *model = insp->model;
    const ol_graph *graph = model->graph;
    json_t *root = json_object();
    json_t *producer = json_object();
    int bad = !root || !producer;
    bad |= json_object_set_new(producer, "name", ol_json_text(model->producer_name));
    bad |= json_object_set_new(producer, "version", ol_json_text(model->producer_version));
    bad |= json_object_set_new(root, "file", ol_json_text(insp->path));
    bad |= json_object_set_new(root, "producer", producer);
    bad |= json_object_set_new(root, "ir_version", json_integer(model->ir_version));
    bad |= json_object_set_new(root, "opsets", opsets_json(model));
    bad |= json_object_set_new(
        root, "inputs",
        interface_json(graph->inputs, insp->declared_inputs, graph->n_inputs, true));
    bad |= json_object_set_new(
        root, "outputs",
        interface_json(graph->outputs, insp->declared_outputs, graph->n_outputs, false));
    bad |= json_object_set_new(root, "assumed_dims", assumed_json(&insp->assumed));
    bad |= ol_model_stats_add_json(root, &insp->stats, TOP_LAYERS) != 0;
    if (!bad)
        bad = json_dumpf(root, stdout, JSON_PRESERVE_ORDER) != 0 || fputc('\n', stdout) == EOF;
    json_decref(root);
    if (bad) {
        fprintf(stderr, PROGRAM ": %s: out of memory writing JSON\n", insp->path);
        return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------- */

int ol_cmd_inspect(int argc, char **argv)
{
    inspect_options opts = {0};
    int code = parse_options(argc, argv, &opts);
    if (code >= 0) {
        options_clear(&opts);
        return code;
    }
    inspection insp = {0};
    ol_error err = {0};
    if (analyze(&opts, &insp, &err) != OL_OK) {
        /* The reader's messages already name the file; the analysis's do not. */
        if (!strstr(err.message, opts.path))
            ol_error_prefix(&err, "%s: ", opts.path);
        fprintf(stderr, PROGRAM ": %s\n", err.message);
        code = 1;
    } else if (opts.json) {
        code = print_json(&insp);
    } else {
        print_text(&insp);
        code = 0;
    }
    if (fflush(stdout) != 0 && code == 0) {
        fprintf(stderr, PROGRAM ": writing the report failed\n");
        code = 1;
    }
    inspection_clear(&insp);
    options_clear(&opts);
    return code;
}
