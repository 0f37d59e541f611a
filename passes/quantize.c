/* quantize: static post-training quantization to int8.
 *
 * The model is calibrated on --data (the float model run over the samples in the reference
 * executor, the range of every activation to quantize observed in a bounded histogram), then
 * rewritten with QuantizeLinear/DequantizeLinear pairs placed where onnxruntime fuses them into
 * integer kernels (quantize_plan.c), int8 weights per output channel and int32 biases; with
 * format=qoperator the pairs are then lowered to QLinearConv, QLinearMatMul, MatMulInteger and
 * ConvInteger (quant/qdq_lower.h). Groups onnxruntime would run in float are reported and, by
 * default, left in float. With max-accuracy-drop and labelled data, the layers whose
 * quantization costs the most accuracy are kept in float until the drop is within the budget.
 *
 * Everything the pass decided (groups kept in float, the fallback's measurements, the
 * calibration) is left as notes in the pass context, which the report prints. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "data/accuracy.h"
#include "exec/session.h"
#include "onnxlite/model_io.h"
#include "onnxlite/shape.h"
#include "pass/builtin_passes.h"
#include "pass/context.h"
#include "pass/text.h"
#include "pass_util.h"
#include "quant/calibrate.h"
#include "quant/qdq_lower.h"
#include "quantize.h"

#define REQUIRED_OPSET 13

static const ol_pass_option OPTIONS[] = {
    {.name = "method", .type = OL_OPTION_ENUM, .default_value = "minmax", .choices = "minmax|percentile|entropy|mse",
     .help = "how each activation's range is chosen from calibration"},
    {.name = "percentile", .type = OL_OPTION_FLOAT, .default_value = "99.999",
     .help = "method=percentile: percent of the values kept inside the range at each end"},
    {.name = "per-channel", .type = OL_OPTION_BOOL, .default_value = "true",
     .help = "one weight scale per output channel (else one per tensor)"},
    {.name = "activations", .type = OL_OPTION_ENUM, .default_value = "uint8", .choices = "uint8|int8",
     .help = "integer type of the activations"},
    {.name = "symmetric-activations", .type = OL_OPTION_BOOL, .default_value = "false",
     .help = "activation ranges symmetric around 0 (a Relu then cannot be folded)"},
    {.name = "format", .type = OL_OPTION_ENUM, .default_value = "qdq", .choices = "qdq|qoperator",
     .help = "qdq: QuantizeLinear/DequantizeLinear pairs; qoperator: QLinearConv, QLinearMatMul, ..."},
    {.name = "exclude-nodes", .type = OL_OPTION_STRING, .default_value = "",
     .help = "names of nodes kept in float, ';'-separated"},
    {.name = "exclude-ops", .type = OL_OPTION_STRING, .default_value = "",
     .help = "op types kept in float, ';'-separated (\"Gemm;Add\")"},
    {.name = "max-accuracy-drop", .type = OL_OPTION_FLOAT, .default_value = "-1",
     .help = "keep the most sensitive layers in float until top-1 accuracy on --data/--labels drops "
             "at most this many points (negative: off)"},
    {.name = "allow-unfused", .type = OL_OPTION_BOOL, .default_value = "false",
     .help = "also quantize groups onnxruntime runs in float (they are reported either way)"},
};

typedef struct quantizer {
    ol_model *model;
    ol_graph *graph;
    qz_options options;
    ol_pass_context *context;
    bool *excluded;          /* by node index: kept in float by exclude-nodes/exclude-ops */
    ol_dataset *data;
    size_t batch;
    qz_ranges ranges;
    size_t calibrated_samples;
    double calibration_seconds;
} quantizer;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void note(quantizer *qz, ol_pass_note_kind kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void note(quantizer *qz, ol_pass_note_kind kind, const char *fmt, ...)
{
    char *message = NULL;
    va_list ap;
    va_start(ap, fmt);
    int len = vasprintf(&message, fmt, ap);
    va_end(ap);
    if (len >= 0) {
        ol_pass_context_note(qz->context, kind, "%s", message);
        free(message);
    }
}

static void note_fn(void *user, bool warning, const char *message)
{
    note(user, warning ? OL_NOTE_WARNING : OL_NOTE_INFO, "%s", message);
}

/* ---------------------------------------------------------------------------------------------- */
/* Opset: per-channel DequantizeLinear needs 13. */

/* Default-domain ops that mean the same at opset 13 as at any version from `since` on. */
static const struct {
    const char *op;
    int since;
} STABLE_TO_13[] = {
    {"Abs", 6}, {"Add", 7}, {"And", 7}, {"AveragePool", 7}, {"BatchNormalization", 9}, {"Cast", 6},
    {"Clip", 11}, {"Concat", 4}, {"Constant", 9}, {"ConstantOfShape", 9}, {"Conv", 1}, {"Div", 7},
    {"Dropout", 7}, {"Elu", 6}, {"Equal", 11}, {"Erf", 9}, {"Exp", 6}, {"Expand", 8}, {"Flatten", 1},
    {"Gather", 1}, {"Gemm", 7}, {"GlobalAveragePool", 1}, {"GlobalMaxPool", 1}, {"Greater", 9},
    {"HardSigmoid", 6}, {"Identity", 1}, {"LeakyRelu", 6}, {"Less", 9}, {"Log", 6}, {"LogSoftmax", 1},
    {"MatMul", 1}, {"Max", 8}, {"MaxPool", 8}, {"Mean", 8}, {"Min", 8}, {"Mul", 7}, {"Neg", 6}, {"Not", 1},
    {"Or", 7}, {"Pad", 11}, {"Pow", 7}, {"Range", 11}, {"ReduceMax", 1}, {"ReduceMean", 1}, {"Relu", 6},
    {"Reshape", 5}, {"Resize", 11}, {"Shape", 1}, {"Sigmoid", 6}, {"Slice", 10}, {"Softmax", 1},
    {"Softplus", 1}, {"Split", 2}, {"Sqrt", 6}, {"Sub", 7}, {"Sum", 8}, {"Tanh", 6}, {"Tile", 6},
    {"Transpose", 1}, {"Where", 9},
};

static bool stable_to_13(const ol_node *node)
{
    if (!pass_is_onnx(node) || node->opset >= REQUIRED_OPSET)
        return true;
    for (size_t i = 0; i < sizeof STABLE_TO_13 / sizeof *STABLE_TO_13; i++) {
        if (strcmp(STABLE_TO_13[i].op, node->op_type) != 0)
            continue;
        if (node->opset < STABLE_TO_13[i].since)
            return false;
        /* Attributes that became inputs at 12/13. */
        if ((pass_is_op(node, "Dropout") && ol_node_attr(node, "ratio")) ||
            (pass_is_op(node, "Split") && ol_node_attr(node, "split")))
            return false;
        /* Softmax below 13 flattens to 2-D at `axis`: the same only when that is the last dim. */
        if (pass_is_op(node, "Softmax") || pass_is_op(node, "LogSoftmax")) {
            int rank = node->inputs[0] ? node->inputs[0]->type.rank : -1;
            int64_t axis = ol_node_attr_int(node, "axis", 1);
            return rank > 0 && (axis == -1 || axis == rank - 1);
        }
        return true;
    }
    return false;
}

static const ol_node *first_unstable(const ol_graph *graph)
{
    for (size_t i = 0; i < graph->n_nodes; i++) {
        const ol_node *node = graph->nodes[i];
        if (node->erased)
            continue;
        if (!stable_to_13(node))
            return node;
        for (size_t a = 0; a < node->n_attrs; a++) {
            const ol_attr *attr = &node->attrs[a];
            size_t n = attr->g ? 1 : (attr->graphs ? attr->n : 0);
            for (size_t k = 0; k < n; k++) {
                const ol_node *bad = first_unstable(attr->g ? attr->g : attr->graphs[k]);
                if (bad)
                    return bad;
            }
        }
    }
    return NULL;
}

static void set_node_opsets(ol_graph *graph, int64_t version)
{
    for (size_t i = 0; i < graph->n_nodes; i++) {
        ol_node *node = graph->nodes[i];
        if (pass_is_onnx(node))
            node->opset = version;
        for (size_t a = 0; a < node->n_attrs; a++) {
            ol_attr *attr = &node->attrs[a];
            size_t n = attr->g ? 1 : (attr->graphs ? attr->n : 0);
            for (size_t k = 0; k < n; k++)
                set_node_opsets(attr->g ? attr->g : attr->graphs[k], version);
        }
    }
}

static ol_status require_opset(quantizer *qz, ol_error *err)
{
    int64_t opset = ol_model_opset(qz->model, "");
    if (opset >= REQUIRED_OPSET)
        return OL_OK;
    const ol_node *bad = first_unstable(qz->graph);
    if (bad)
        return ol_fail(err, OL_ERR_UNSUPPORTED, "quantized models need opset %d (per-channel "
                       "DequantizeLinear) and the model imports opset %lld, where node '%s' (%s) does "
                       "not mean the same as at opset %d: export the model at opset %d or later",
                       REQUIRED_OPSET, (long long)opset, bad->name ? bad->name : "", bad->op_type,
                       REQUIRED_OPSET, REQUIRED_OPSET);
    if (ol_model_set_opset(qz->model, "", REQUIRED_OPSET) != 0)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    set_node_opsets(qz->graph, REQUIRED_OPSET);
    note(qz, OL_NOTE_INFO, "raised the model's opset from %lld to %d (per-channel DequantizeLinear needs it)",
         (long long)opset, REQUIRED_OPSET);
    return OL_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* Options and exclusions */

static ol_calib_method parse_method(const char *s)
{
    if (strcmp(s, "percentile") == 0)
        return OL_CALIB_PERCENTILE;
    if (strcmp(s, "entropy") == 0)
        return OL_CALIB_ENTROPY;
    if (strcmp(s, "mse") == 0)
        return OL_CALIB_MSE;
    return OL_CALIB_MINMAX;
}

static ol_status mark_excluded(quantizer *qz, const char *nodes, const char *ops, ol_error *err)
{
    ol_graph *g = qz->graph;
    qz->excluded = calloc(g->n_nodes + 1, sizeof *qz->excluded);
    if (!qz->excluded)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    ol_text names = {0};
    for (size_t i = 0; i < g->n_nodes; i++) {
        const ol_node *node = g->nodes[i];
        qz->excluded[i] = pass_list_contains(nodes, node->name) ||
                          (pass_is_onnx(node) && pass_list_contains(ops, node->op_type));
        if (qz->excluded[i])
            ol_text_appendf(&names, "%s%s", names.len ? ", " : "", node->name && *node->name ? node->name : node->op_type);
    }
    /* A name that matches nothing is a typo the user wants to hear about. */
    for (const char *p = nodes; p && *p;) {
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        bool found = n == 0;
        for (size_t i = 0; i < g->n_nodes && !found; i++)
            found = g->nodes[i]->name && strlen(g->nodes[i]->name) == n && memcmp(g->nodes[i]->name, p, n) == 0;
        if (!found) {
            ol_text_clear(&names);
            return ol_fail(err, OL_ERR_ARG, "exclude-nodes: the main graph has no node named '%.*s'", (int)n, p);
        }
        p = end ? end + 1 : NULL;
    }
    if (names.len)
        note(qz, OL_NOTE_INFO, "kept in float as asked (exclude-nodes, exclude-ops): %s", names.data);
    ol_text_clear(&names);
    return OL_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* Calibration */

static void progress(void *user, size_t done, size_t total)
{
    ol_pass_context_progress(user, "quantize: calibrating", done, total);
}

/* The tensors whose ranges the plan needs: each value with its own parameters, by the tensor its
 * range is taken from. With `subsets` (the fallback tries plans with more layers in float) also
 * the outputs of data movement ops, which such a plan may quantize on their own when their input
 * is no longer quantized; every other value such a plan quantizes is one of these. */
static ol_status observed_names(const qz_plan *plan, bool subsets, const char ***out, size_t *n, ol_error *err)
{
    const char **names = calloc(plan->n_values + 1, sizeof *names);
    if (!names)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    size_t count = 0;
    for (size_t k = 0; k < plan->n_values; k++) {
        const qz_value *v = &plan->values[k];
        if (v->shares != k && !subsets)
            continue;
        const char *name = v->shares == k ? v->range_of->name : v->value->name;
        bool seen = false;
        for (size_t i = 0; i < count && !seen; i++)
            seen = strcmp(names[i], name) == 0;
        if (!seen)
            names[count++] = name;
    }
    *out = names;
    *n = count;
    return OL_OK;
}

static ol_status open_data(quantizer *qz, ol_error *err)
{
    ol_status st = ol_pass_context_open_calibration_data(qz->context, qz->graph, &qz->data, err);
    if (st != OL_OK)
        ol_error_prefix(err, "calibration data: ");
    return st;
}

static ol_status calibrate(quantizer *qz, const qz_plan *plan, bool subsets, ol_error *err)
{
    const char **names = NULL;
    size_t n = 0;
    ol_status st = observed_names(plan, subsets, &names, &n, err);
    ol_histogram *hists = st == OL_OK ? calloc(n + 1, sizeof *hists) : NULL;
    if (st == OL_OK && !hists)
        st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
    size_t bins = qz->options.method == OL_CALIB_MINMAX ? 0 : OL_HISTOGRAM_DEFAULT_BINS;
    for (size_t k = 0; k < n && st == OL_OK; k++)
        st = ol_histogram_init(&hists[k], bins, err);
    qz->batch = ol_calibration_batch(qz->model, names, n, OL_CALIBRATION_BUDGET_BYTES);
    ol_calibration_options options = {
        .batch = qz->batch, .threads = qz->context->threads, .progress = progress, .progress_user = qz->context,
    };
    double t0 = now_seconds();
    if (st == OL_OK)
        st = ol_calibrate(qz->model, qz->data, names, n, &options, hists, &qz->calibrated_samples, err);
    ol_pass_context_progress_done(qz->context);
    qz->calibration_seconds = now_seconds() - t0;
    if (st == OL_OK && qz->calibrated_samples == 0)
        st = ol_fail(err, OL_ERR_INVALID, "calibration data '%s' has no samples", qz->context->data.path);
    qz_ranges *r = &qz->ranges;
    if (st == OL_OK) {
        r->names = calloc(n + 1, sizeof *r->names);
        r->lo = calloc(n + 1, sizeof *r->lo);
        r->hi = calloc(n + 1, sizeof *r->hi);
        if (!r->names || !r->lo || !r->hi)
            st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    ol_range_options range = {.method = qz->options.method, .percentile = qz->options.percentile, .bits = 8,
                              .symmetric = qz->options.symmetric};
    size_t non_finite = 0;
    for (size_t k = 0; k < n && st == OL_OK; k++) {
        if (!(r->names[k] = strdup(names[k])))
            st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
        r->n = k + 1;
        ol_histogram_range(&hists[k], &range, &r->lo[k], &r->hi[k]);
        non_finite += hists[k].non_finite != 0;
    }
    if (st == OL_OK && non_finite)
        note(qz, OL_NOTE_WARNING, "%zu calibrated tensor(s) took NaN or infinite values, left out of their ranges",
             non_finite);
    for (size_t k = 0; hists && k < n; k++)
        ol_histogram_clear(&hists[k]);
    free(hists);
    free(names);
    return st;
}

/* ---------------------------------------------------------------------------------------------- */
/* Quantized models */

/* Applies the plan with `keep_float` to `model` (the model quantized, or a copy of it). */
static ol_status quantize_into(quantizer *qz, ol_model *model, const bool *keep_float, qz_plan *plan_out,
                               ol_error *err)
{
    qz_plan plan;
    ol_status st = qz_plan_build(model->graph, &qz->options, keep_float, &plan, err);
    if (st == OL_OK)
        st = qz_plan_set_params(&plan, &qz->options, &qz->ranges, err);
    if (st == OL_OK)
        st = qz_rewrite(&plan, &qz->options, plan_out ? note_fn : NULL, qz, err);
    if (st == OL_OK && plan_out)
        *plan_out = plan;
    else
        qz_plan_clear(&plan);
    return st;
}

static ol_status copy_model(const ol_model *model, ol_model **out, ol_error *err)
{
    ol_bytes bytes = {0};
    ol_status st = ol_model_write_buffer(model, &bytes, err);
    if (st == OL_OK)
        st = ol_model_read_buffer(bytes.data, bytes.size, NULL, out, err);
    free(bytes.data);
    if (st == OL_OK && (st = ol_model_infer_shapes(*out, err)) != OL_OK) {
        ol_model_destroy(*out);
        *out = NULL;
    }
    return st;
}

/* Top-1 accuracy of the model quantized with `keep_float` (NULL: the float model itself). */
static ol_status accuracy_with(quantizer *qz, const bool *keep_float, bool quantized, double *accuracy,
                               ol_error *err)
{
    ol_model *copy = NULL;
    ol_session *session = NULL;
    ol_accuracy result = {0};
    ol_status st = copy_model(qz->model, &copy, err);
    /* keep_float is indexed by node position, which the copy must keep. */
    if (st == OL_OK && copy->graph->n_nodes != qz->graph->n_nodes)
        st = ol_fail(err, OL_ERR_INTERNAL, "the model's copy has %zu nodes, not %zu", copy->graph->n_nodes,
                     qz->graph->n_nodes);
    if (st == OL_OK && quantized)
        st = quantize_into(qz, copy, keep_float, NULL, err);
    if (st == OL_OK)
        st = ol_session_create(copy, &(ol_session_options){.threads = qz->context->threads}, &session, err);
    if (st == OL_OK)
        st = ol_accuracy_measure(session, qz->data, qz->batch, &result, err);
    if (st == OL_OK)
        *accuracy = ol_accuracy_percent(result.top1, result.samples);
    ol_session_destroy(session);
    ol_model_destroy(copy);
    if (st != OL_OK)
        ol_error_prefix(err, "measuring accuracy: ");
    return st;
}

typedef struct layer {
    size_t index;        /* in graph->nodes */
    double accuracy;     /* with only this layer in float */
} layer;

static int by_accuracy(const void *a, const void *b)
{
    const layer *x = a, *y = b;
    if (x->accuracy != y->accuracy)
        return x->accuracy > y->accuracy ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

static const char *node_label(const ol_node *node)
{
    return node->name && *node->name ? node->name : node->op_type;
}

/* The fallback: the fewest layers kept in float (greedily, most sensitive first, measuring after
 * each) for top-1 accuracy to drop at most `budget` points; fills keep_float. */
static ol_status fall_back(quantizer *qz, double budget, bool *keep_float, ol_error *err)
{
    ol_graph *g = qz->graph;
    if (!ol_dataset_has_labels(qz->data))
        return ol_fail(err, OL_ERR_ARG, "max-accuracy-drop needs labelled data: give --labels");
    double base, all;
    ol_status st = accuracy_with(qz, NULL, false, &base, err);
    if (st == OL_OK)
        st = accuracy_with(qz, keep_float, true, &all, err);
    if (st != OL_OK)
        return st;
    ol_text text = {0};
    ol_text_appendf(&text, "max-accuracy-drop %g: top-1 on %zu labelled samples: float %.2f%%, quantized %.2f%% "
                    "(%+.2f)", budget, ol_dataset_size(qz->data), base, all, all - base);
    if (base - all <= budget) {
        note(qz, OL_NOTE_INFO, "%s: within the budget, every layer quantized", text.data ? text.data : "");
        ol_text_clear(&text);
        return OL_OK;
    }
    qz_plan plan;
    if ((st = qz_plan_build(g, &qz->options, keep_float, &plan, err)) != OL_OK) {
        ol_text_clear(&text);
        return st;
    }
    layer *layers = calloc(plan.n_nodes + 1, sizeof *layers);
    size_t n = 0;
    if (!layers)
        st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < plan.n_nodes && st == OL_OK; i++) {
        if (!qz_role_is_layer(plan.roles[i]))
            continue;
        keep_float[i] = true;
        layers[n].index = i;
        st = accuracy_with(qz, keep_float, true, &layers[n].accuracy, err);
        keep_float[i] = false;
        n++;
    }
    qz_plan_clear(&plan);
    if (st == OL_OK) {
        qsort(layers, n, sizeof *layers, by_accuracy);
        ol_text_append(&text, "; accuracy with one layer in float:");
        for (size_t k = 0; k < n; k++)
            ol_text_appendf(&text, " %s %.2f%s", node_label(g->nodes[layers[k].index]), layers[k].accuracy,
                            k + 1 < n ? "," : "");
    }
    /* Greedy: most sensitive first, measured after each. */
    double acc = all;
    size_t kept = 0;
    for (; kept < n && st == OL_OK && base - acc > budget; kept++) {
        keep_float[layers[kept].index] = true;
        st = accuracy_with(qz, keep_float, true, &acc, err);
    }
    /* Then drop those the budget holds without, latest first: the fewest that meet it. */
    for (size_t k = kept; k-- > 0 && st == OL_OK;) {
        double without;
        keep_float[layers[k].index] = false;
        st = accuracy_with(qz, keep_float, true, &without, err);
        if (st == OL_OK && base - without <= budget)
            acc = without;
        else
            keep_float[layers[k].index] = true;
    }
    if (st == OL_OK) {
        ol_text_append(&text, "; kept in float:");
        size_t count = 0;
        for (size_t k = 0; k < kept; k++)
            if (keep_float[layers[k].index])
                ol_text_appendf(&text, "%s %s", count++ ? "," : "", node_label(g->nodes[layers[k].index]));
        ol_text_appendf(&text, "%s -> %.2f%% (%+.2f)", count ? "" : " none", acc, acc - base);
        note(qz, base - acc <= budget ? OL_NOTE_INFO : OL_NOTE_WARNING, "%s", text.data ? text.data : "");
    }
    ol_text_clear(&text);
    free(layers);
    return st;
}

/* ---------------------------------------------------------------------------------------------- */

static void report_plan(quantizer *qz, const qz_plan *plan)
{
    size_t counts[QZ_FOLDED + 1] = {0};
    for (size_t i = 0; i < plan->n_nodes; i++)
        counts[plan->roles[i]]++;
    for (size_t u = 0; u < plan->n_unfused; u++) {
        const ol_node *node = plan->unfused[u].node;
        if (qz->options.allow_unfused)
            note(qz, OL_NOTE_WARNING, "node '%s' (%s) quantized though onnxruntime will run it in float "
                 "between DequantizeLinear and QuantizeLinear: %s", node_label(node), node->op_type,
                 plan->unfused[u].reason);
        else
            note(qz, OL_NOTE_WARNING, "node '%s' (%s) kept in float: a QDQ group around it would not be "
                 "fused into an integer kernel by onnxruntime (%s; allow-unfused=true quantizes it anyway)",
                 node_label(node), node->op_type, plan->unfused[u].reason);
    }
    static const char *const METHODS[] = {"minmax", "percentile", "entropy", "mse"};
    note(qz, OL_NOTE_INFO, "quantized %zu of %zu nodes (%zu conv, %zu gemm, %zu matmul, %zu requantizing, "
         "%zu data movement, %zu unfused; %zu Relu/Clip folded), %zu activations %s %s, weights int8 %s; "
         "calibrated with %s on %zu samples (batches of %zu) in %.2f s",
         counts[QZ_CONV] + counts[QZ_GEMM] + counts[QZ_MATMUL] + counts[QZ_REQUANT] + counts[QZ_SHARED] +
             counts[QZ_UNFUSED],
         plan->n_nodes, counts[QZ_CONV], counts[QZ_GEMM], counts[QZ_MATMUL], counts[QZ_REQUANT],
         counts[QZ_SHARED], counts[QZ_UNFUSED], counts[QZ_FOLDED], plan->n_values,
         qz->options.activations == OL_UINT8 ? "uint8" : "int8", qz->options.symmetric ? "symmetric" : "asymmetric",
         qz->options.per_channel ? "per channel" : "per tensor", METHODS[qz->options.method],
         qz->calibrated_samples, qz->batch, qz->calibration_seconds);
}

static ol_status quantize(quantizer *qz, double budget, bool qoperator, bool *changed, ol_error *err)
{
    qz_plan plan = {0};
    ol_status st = qz_plan_build(qz->graph, &qz->options, qz->excluded, &plan, err);
    if (st != OL_OK)
        return st;
    if (plan.n_values == 0) {
        note(qz, OL_NOTE_INFO, "nothing to quantize: no Conv, Gemm, MatMul or other quantizable op reads a "
             "float32 activation");
        qz_plan_clear(&plan);
        return OL_OK;
    }
    int64_t opset = ol_model_opset(qz->model, "");
    st = require_opset(qz, err);
    if (st == OL_OK && opset != ol_model_opset(qz->model, "")) {
        /* Some placements depend on the opset (MaxPool runs on integers from 12). */
        qz_plan_clear(&plan);
        st = qz_plan_build(qz->graph, &qz->options, qz->excluded, &plan, err);
    }
    if (st == OL_OK)
        st = open_data(qz, err);
    if (st == OL_OK)
        st = calibrate(qz, &plan, budget >= 0, err);
    qz_plan_clear(&plan);
    bool *keep_float = st == OL_OK ? calloc(qz->graph->n_nodes + 1, sizeof *keep_float) : NULL;
    if (st == OL_OK && !keep_float)
        st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
    if (st == OL_OK) {
        memcpy(keep_float, qz->excluded, qz->graph->n_nodes * sizeof *keep_float);
        if (budget >= 0)
            st = fall_back(qz, budget, keep_float, err);
    }
    if (st == OL_OK)
        st = quantize_into(qz, qz->model, keep_float, &plan, err);
    if (st == OL_OK) {
        *changed = true;
        report_plan(qz, &plan);
        qz_plan_clear(&plan);
    }
    if (st == OL_OK && qoperator) {
        bool lowered = false;
        st = ol_qdq_lower_to_qoperator(qz->model, NULL, &lowered, err);
        if (st != OL_OK)
            ol_error_prefix(err, "format=qoperator: ");
    }
    free(keep_float);
    return st;
}

/* PyTorch exports feed a weight or bias shared by several layers through an Identity of the
 * initializer; the plan sees only constants it can quantize per layer, so such a Conv would stay in
 * float (squeezenet: 18 of 26). The Identity is dropped first and the layers read the initializer. */
static ol_status bypass_constant_identities(ol_graph *graph, bool *changed, ol_error *err)
{
    for (size_t i = 0; i < graph->n_nodes; i++) {
        ol_node *node = graph->nodes[i];
        if (node->erased || !pass_is_onnx(node) || !pass_is_op(node, "Identity") || node->n_outputs != 1 ||
            !pass_input(node, 0) || !pass_constant(node->inputs[0]) ||
            !pass_can_replace(node->outputs[0], node->inputs[0]) || node->outputs[0]->is_output)
            continue;
        ol_status st = ol_value_replace_all_uses(node->outputs[0], node->inputs[0], err);
        if (st == OL_OK)
            st = pass_erase_node(graph, node, err);
        if (st != OL_OK)
            return st;
        *changed = true;
    }
    ol_graph_compact(graph);
    return OL_OK;
}

static ol_status run_quantize(ol_model *model, const ol_option_values *values, bool *changed, ol_error *err)
{
    quantizer qz = {
        .model = model,
        .graph = model->graph,
        .context = ol_pass_context_of(values),
        .options = {
            .method = parse_method(ol_option_string(values, "method")),
            .percentile = ol_option_float(values, "percentile"),
            .per_channel = ol_option_bool(values, "per-channel"),
            .activations = strcmp(ol_option_string(values, "activations"), "int8") == 0 ? OL_INT8 : OL_UINT8,
            .symmetric = ol_option_bool(values, "symmetric-activations"),
            .allow_unfused = ol_option_bool(values, "allow-unfused"),
        },
    };
    if (!qz.context || !qz.context->data.path)
        return ol_fail(err, OL_ERR_ARG, "quantize calibrates on sample inputs: give them with --data");
    if (!(qz.options.percentile > 0 && qz.options.percentile <= 100))
        return ol_fail(err, OL_ERR_ARG, "percentile must be in (0, 100], got %g", qz.options.percentile);
    ol_status st = bypass_constant_identities(qz.graph, changed, err);
    /* Node indices (exclusions, the fallback's choices) refer to the sorted list from here on. */
    if (st == OL_OK)
        st = ol_graph_toposort(qz.graph, err);
    if (st == OL_OK)
        st = mark_excluded(&qz, ol_option_string(values, "exclude-nodes"), ol_option_string(values, "exclude-ops"),
                           err);
    if (st == OL_OK)
        st = quantize(&qz, ol_option_float(values, "max-accuracy-drop"),
                      strcmp(ol_option_string(values, "format"), "qoperator") == 0, changed, err);
    ol_dataset_close(qz.data);
    qz_ranges_clear(&qz.ranges);
    free(qz.excluded);
    return st;
}

const ol_pass_def ol_pass_quantize = {
    OL_PASS_DEF_VERSION,
    .name = "quantize",
    .description = "static int8 quantization calibrated on --data: QDQ placed as onnxruntime fuses it, "
                   "or QOperator",
    .options = OPTIONS,
    .n_options = sizeof OPTIONS / sizeof *OPTIONS,
    .flags = OL_PASS_NEEDS_SHAPES,
    .run = run_quantize,
};
