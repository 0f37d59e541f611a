/* float16: weights and compute in float16, half the file.
 *
 * Every float32 node that can run in float16 does: its float32 inputs and outputs become float16
 * and float32 constants read only by such nodes are stored in float16. Nodes that stay float32 get
 * Casts where a float16 value meets them, and back. With keep-io-float32 (the default) the graph's
 * inputs and outputs stay float32, converted at the boundary by Casts, so callers see the same
 * interface.
 *
 * Never overflowing: a constant holding finite values beyond float16's range (|x| > 65504, which
 * would become infinities) is kept in float32 together with the nodes reading it
 * (out-of-range=keep), or clamped to +-65504 (out-of-range=clamp); non-zero values below the
 * smallest float16 subnormal become +-2^-24 instead of 0 (a LayerNorm epsilon stays non-zero).
 * Both are counted in the pass notes. Every float32 activation entering float16 (a graph input,
 * the result of a node kept in float32, which may well be large when it read such a constant)
 * goes through a Clip to +-65504 before its Cast, so the conversion itself never makes an
 * infinity.
 *
 * What a float16 node computes is checked on data when `optimize` has a data set (--data, the
 * first --calibration-samples samples): the float32 model runs over them first (ol_calibrate, the
 * observers keeping only min and max), and a node whose output's observed magnitude exceeds
 * 65504 / activation-headroom stays float32, with the usual Casts around it (its float16 readers
 * get its result through the Clip and Cast above: a mask's -1e9 enters float16 as -65504). The
 * headroom (2 by default: one binade) is there because the samples are not every input the model
 * will see: an activation that reached 40000 on them may well reach 70000 on another. Not
 * guaranteed even then: values outside what the samples produce beyond that margin, and what a
 * node computes inside itself (a MatMul's partial sums, a LayerNorm's sum of squares): only node
 * outputs are observed. A float16 node reading a value beyond the range reads it clipped, which is
 * finite but exact only where the size past 65504 does not matter (a mask before a Softmax, not a
 * large value scaled back down). Without a data set, activations are not checked (the notes say
 * so), and float16 arithmetic beyond the range gives infinities as it would in any float16
 * runtime.
 *
 * What stays float32, and why:
 *  - ops onnxruntime's CPU provider does not load or run in float16 even with its automatic
 *    casts, found by trying every single-node model of the ONNX conformance suite in float16 with
 *    onnxruntime 1.32 (tests/integration/float16_ort_ops.py reruns the trial and checks this
 *    table): MeanVarianceNormalization (its function body mixes float32 constants in),
 *    NonMaxSuppression and TfIdfVectorizer (float32 only), ScatterElements/ScatterND with a
 *    reduction (no float16 reduction kernel); LayerNormalization only while its Mean/InvStdDev
 *    outputs are unused (they are float32 by stash_type);
 *  - ops whose float inputs are defined as float32 only: Resize/Upsample scales and roi stay as
 *    they are (the data input converts);
 *  - quantization ops (their scales are float32 before opset 19), ops that make values of an
 *    attribute-given type (EyeLike, Random*, the window functions, ...), sequence ops, nodes with
 *    subgraphs (If/Loop/Scan, whose bodies are left alone, as are values they read), other domains,
 *    and nodes whose types shape inference could not tell;
 *  - nodes and op types named in exclude-nodes / exclude-ops.
 * Only the main graph is converted. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/ktensor.h"
#include "pass/builtin_passes.h"
#include "pass/context.h"
#include "pass/text.h"
#include "pass_tensor.h"
#include "pass_util.h"
#include "quant/calibrate.h"

#define HALF_MAX 65504.0f
#define HALF_OVERFLOW 65520.0f                          /* the first magnitude that rounds to infinity */
#define HALF_MIN_SUBNORMAL 5.9604644775390625e-08f      /* 2^-24 */
#define NAMES_IN_NOTE 3          /* nodes named in the note on nodes kept for their range */

static const ol_pass_option OPTIONS[] = {
    {.name = "keep-io-float32", .type = OL_OPTION_BOOL, .default_value = "true",
     .help = "graph inputs and outputs stay float32 (Casts at the boundary)"},
    {.name = "out-of-range", .type = OL_OPTION_ENUM, .default_value = "keep", .choices = "keep|clamp",
     .help = "constants beyond +-65504: keep them (and their readers) in float32, or clamp them"},
    {.name = "activation-headroom", .type = OL_OPTION_FLOAT, .default_value = "2",
     .help = "with --data: a node whose output reached beyond 65504 / this on the samples stays float32 "
             "(at least 1)"},
    {.name = "exclude-nodes", .type = OL_OPTION_STRING, .default_value = "",
     .help = "names of nodes kept in float32, ';'-separated"},
    {.name = "exclude-ops", .type = OL_OPTION_STRING, .default_value = "",
     .help = "op types kept in float32, ';'-separated (\"Softmax;ReduceSum\")"},
};

/* Ops that stay float32 whatever their types (see the file comment for why). */
static const char *const KEEP_FLOAT32[] = {
    /* onnxruntime CPU cannot load or run them in float16 */
    "MeanVarianceNormalization", "NonMaxSuppression", "TfIdfVectorizer",
    /* quantization */
    "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv", "QLinearMatMul",
    "MatMulInteger", "ConvInteger",
    /* outputs typed by an attribute */
    "EyeLike", "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial",
    "Bernoulli", "BlackmanWindow", "HammingWindow", "HannWindow", "MelWeightMatrix", "BitCast",
    /* sequences */
    "SplitToSequence", "SequenceConstruct", "SequenceInsert", "SequenceAt", "SequenceErase",
    "ConcatFromSequence", "SequenceEmpty", "SequenceLength", "SequenceMap",
};

/* How a node's input takes part: converted with the node (T), kept as it is (float32-only
 * parameters), or read whatever its type (Cast, Shape). */
typedef enum input_role { IN_T, IN_KEEP, IN_ANY } input_role;

static input_role role_of(const ol_node *node, size_t i)
{
    if (pass_is_op(node, "Resize") || pass_is_op(node, "Upsample") || pass_is_op(node, "Dropout"))
        return i == 0 ? IN_T : IN_KEEP;
    if (pass_is_op(node, "Cast") || pass_is_op(node, "Shape") || pass_is_op(node, "Size"))
        return IN_ANY;
    if (pass_is_op(node, "CastLike"))
        return i == 0 ? IN_ANY : IN_T;
    return IN_T;
}

/* LayerNormalization's Mean and InvStdDev are float32 whatever X is. */
static bool output_converts(const ol_node *node, size_t o)
{
    return !pass_is_op(node, "LayerNormalization") || o == 0;
}

typedef struct f16_ctx {
    ol_graph *graph;
    bool keep_io, clamp;
    const char *exclude_nodes, *exclude_ops;
    size_t n_ids;
    bool *half;            /* by value id: the value becomes float16 */
    ol_value **to_half;    /* by value id: its Cast to float16, made once */
    ol_value **to_float;   /* by value id: its Cast back to float32 */
    ol_value *bounds[2];   /* -65504 and 65504 for the Clips before Casts to float16 */
    size_t n_nodes;        /* graph->nodes before the rewrite */
    bool *converts;        /* by node index */
    ol_pass_context *context;   /* may be NULL */
    double headroom;
    /* for the notes */
    size_t n_converted, n_kept;   /* nodes with float32 inputs or outputs, converted or not */
    size_t n_clamped, n_raised, n_constants_kept, n_casts;
    size_t float_bytes, half_bytes;
    size_t range_samples;         /* samples the activations were checked on; 0: not checked */
    size_t n_range_kept;          /* nodes kept float32 for their observed range */
    size_t n_range_checked;       /* observed outputs of nodes that convert */
    double largest_converted;     /* the largest magnitude a converted node's output reached */
    ol_text range_kept;           /* the first NAMES_IN_NOTE of them, for the note */
} f16_ctx;

static bool keeps_float32(const ol_node *node)
{
    for (size_t i = 0; i < sizeof KEEP_FLOAT32 / sizeof *KEEP_FLOAT32; i++)
        if (strcmp(node->op_type, KEEP_FLOAT32[i]) == 0)
            return true;
    return false;
}

static bool is_float32(const ol_value *v)
{
    return v && pass_elem_type(v) == OL_FLOAT && (pass_constant(v) || v->type.kind == OL_TYPE_TENSOR);
}

static bool has_implicit_use(const ol_value *v)
{
    for (size_t u = 0; u < v->n_uses; u++)
        if (v->uses[u].index == OL_IMPLICIT_USE)
            return true;
    return false;
}

/* Element i of float32 data that may sit unaligned in a decoded protobuf. */
static float element(const ol_tensor *t, int64_t i)
{
    float f;
    memcpy(&f, (const char *)t->data + i * (int64_t)sizeof f, sizeof f);
    return f;
}

/* A float32 constant's values that float16 cannot hold: finite ones that round to infinity. */
static bool out_of_range(const ol_tensor *t)
{
    for (int64_t i = 0, n = ol_tensor_numel(t); i < n; i++) {
        float v = element(t, i);
        if (isfinite(v) && fabsf(v) >= HALF_OVERFLOW)
            return true;
    }
    return false;
}

/* The float32 tensor a Constant or ConstantOfShape carries in its `value` attribute, if any. */
static const ol_tensor *attr_value(const ol_node *node)
{
    const ol_tensor *t = ol_node_attr_tensor(node, "value");
    return t && t->dtype == OL_FLOAT ? t : NULL;
}

/* ---- deciding ---- */

static bool node_converts(f16_ctx *c, const ol_node *node)
{
    if (!pass_is_onnx(node) || pass_has_subgraphs(node) || keeps_float32(node) || pass_is_op(node, "Constant") ||
        pass_list_contains(c->exclude_nodes, node->name) || pass_list_contains(c->exclude_ops, node->op_type))
        return false;
    size_t len;
    const char *reduction = ol_node_attr_string(node, "reduction", &len);
    if ((pass_is_op(node, "ScatterElements") || pass_is_op(node, "ScatterND")) && reduction &&
        !(len == 4 && memcmp(reduction, "none", 4) == 0))
        return false;
    if (pass_is_op(node, "ConstantOfShape") && attr_value(node) && !c->clamp && out_of_range(attr_value(node)))
        return false;
    /* A Cast from float16 to float32 is a boundary (ours from an earlier run, or the model's own):
     * converting it would make an identity and ask for the same Cast again. */
    if (pass_is_op(node, "Cast") && node->n_inputs == 1 && pass_elem_type(node->inputs[0]) == OL_FLOAT16)
        return false;
    /* Nor a node whose float32 results only go to Casts to float16 (the Clip before such a Cast):
     * converting it would just move the boundary up, run after run. */
    bool feeds_only_casts = true, has_readers = false;
    for (size_t o = 0; o < node->n_outputs; o++) {
        const ol_value *v = node->outputs[o];
        if (!v || v->type.elem != OL_FLOAT)
            continue;
        feeds_only_casts = feeds_only_casts && !v->is_output;
        for (size_t u = 0; u < v->n_uses; u++) {
            const ol_node *r = v->uses[u].node;
            has_readers = true;
            feeds_only_casts = feeds_only_casts && pass_is_op(r, "Cast") &&
                               ol_node_attr_int(r, "to", 0) == OL_FLOAT16;
        }
    }
    if (has_readers && feeds_only_casts)
        return false;
    bool any_float = pass_is_op(node, "ConstantOfShape") && (!ol_node_attr(node, "value") || attr_value(node));
    for (size_t i = 0; i < node->n_inputs; i++) {
        const ol_value *v = node->inputs[i];
        if (!v)
            continue;
        if (pass_elem_type(v) == OL_UNDEFINED || (!pass_constant(v) && v->type.kind != OL_TYPE_TENSOR))
            return false;   /* unknown type, or a sequence */
        if (is_float32(v) && role_of(node, i) == IN_T) {
            any_float = true;
            const ol_tensor *t = pass_constant(v);
            if (!c->clamp && t && out_of_range(t))
                return false;
        }
    }
    for (size_t o = 0; o < node->n_outputs; o++) {
        const ol_value *v = node->outputs[o];
        if (!v)
            continue;
        if (v->type.kind != OL_TYPE_TENSOR || v->type.elem == OL_UNDEFINED || has_implicit_use(v))
            return false;
        if (v->type.elem == OL_FLOAT) {
            if (!output_converts(node, o) && !pass_output_unused(node, o))
                return false;
            any_float = any_float || output_converts(node, o);
        }
    }
    return any_float;
}

/* A float32 constant (initializer or Constant output) goes float16 when every reader takes it as a
 * converted T input (or reads it whatever its type) and at least one does. */
static bool constant_converts(f16_ctx *c, const ol_value *v, const bool *converts_by_id)
{
    const ol_tensor *t = pass_constant(v);
    if (!t || t->dtype != OL_FLOAT || v->is_output || has_implicit_use(v) || (!c->clamp && out_of_range(t)))
        return false;
    if (v->producer && (!pass_is_op(v->producer, "Constant") || !attr_value(v->producer) ||
                        pass_list_contains(c->exclude_nodes, v->producer->name) ||
                        pass_list_contains(c->exclude_ops, "Constant")))
        return false;
    bool wanted = false;
    for (size_t u = 0; u < v->n_uses; u++) {
        const ol_node *reader = v->uses[u].node;
        input_role role = role_of(reader, (size_t)v->uses[u].index);
        if (role == IN_ANY)
            continue;
        if (role != IN_T || !converts_by_id[reader->id])
            return false;
        wanted = true;
    }
    return wanted;
}

/* ---- checking activations on data ---- */

static void range_progress(void *user, size_t done, size_t total)
{
    ol_pass_context_progress(user, "float16: checking activation ranges", done, total);
}

/* Runs the float32 model over the data set, observing the float32 outputs of the nodes decided to
 * convert, and keeps in float32 those whose outputs went beyond HALF_MAX / headroom. */
static ol_status check_ranges(f16_ctx *c, ol_error *err)
{
    ol_graph *g = c->graph;
    const char **names = calloc(g->n_values + 1, sizeof *names);
    size_t *owner = calloc(g->n_values + 1, sizeof *owner);   /* node index of each observed output */
    if (!names || !owner) {
        free(names);
        free(owner);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory in float16");
    }
    size_t n = 0;
    for (size_t i = 0; i < c->n_nodes; i++) {
        const ol_node *node = g->nodes[i];
        for (size_t o = 0; c->converts[i] && o < node->n_outputs; o++) {
            const ol_value *v = node->outputs[o];
            if (v && v->type.elem == OL_FLOAT && output_converts(node, o) && !v->constant && v->name && *v->name &&
                n < g->n_values) {
                names[n] = v->name;
                owner[n++] = i;
            }
        }
    }
    ol_dataset *data = NULL;
    ol_histogram *observers = n ? calloc(n, sizeof *observers) : NULL;
    ol_status st = OL_OK;
    if (n && !observers)
        st = ol_fail(err, OL_ERR_NOMEM, "out of memory in float16");
    if (st == OL_OK && n)
        st = ol_pass_context_open_calibration_data(c->context, g, &data, err);
    for (size_t k = 0; k < n && st == OL_OK; k++)
        st = ol_histogram_init(&observers[k], 0, err);   /* min and max are all it needs */
    if (st == OL_OK && n) {
        ol_calibration_options options = {
            .batch = ol_calibration_batch(g->model, names, n, OL_CALIBRATION_BUDGET_BYTES),
            .threads = c->context->threads,
            .progress = range_progress,
            .progress_user = c->context,
        };
        st = ol_calibrate(g->model, data, names, n, &options, observers, &c->range_samples, err);
        ol_pass_context_progress_done(c->context);
        if (st == OL_OK && c->range_samples == 0)
            st = ol_fail(err, OL_ERR_INVALID, "data set '%s' has no samples", c->context->data.path);
    }
    double limit = HALF_MAX / c->headroom;
    for (size_t k = 0; k < n && st == OL_OK; k++) {
        double largest = fmax(fabs(observers[k].min), fabs(observers[k].max));
        if (observers[k].total == 0 || !c->converts[owner[k]] || largest <= limit)
            continue;
        const ol_node *node = g->nodes[owner[k]];
        c->converts[owner[k]] = false;
        if (c->n_range_kept++ < NAMES_IN_NOTE)
            ol_text_appendf(&c->range_kept, "%s'%s' (%s, %.3g)", c->n_range_kept > 1 ? ", " : "",
                            node->name && *node->name ? node->name : names[k], node->op_type, largest);
    }
    /* For the note, once every node is settled (a node may have several outputs). */
    for (size_t k = 0; k < n && st == OL_OK; k++)
        if (observers[k].total && c->converts[owner[k]]) {
            c->largest_converted =
                fmax(c->largest_converted, fmax(fabs(observers[k].min), fabs(observers[k].max)));
            c->n_range_checked++;
        }
    if (st != OL_OK)
        ol_error_prefix(err, "checking activation ranges on --data: ");
    for (size_t k = 0; observers && k < n; k++)
        ol_histogram_clear(&observers[k]);
    free(observers);
    ol_dataset_close(data);
    free(names);
    free(owner);
    return st;
}

static ol_status decide(f16_ctx *c, ol_error *err)
{
    ol_graph *g = c->graph;
    for (size_t i = 0; i < c->n_nodes; i++)
        c->converts[i] = !g->nodes[i]->erased && node_converts(c, g->nodes[i]);
    if (c->context && c->context->data.path) {
        ol_status st = check_ranges(c, err);
        if (st != OL_OK)
            return st;
    }
    uint32_t max_node_id = 0;
    for (size_t i = 0; i < c->n_nodes; i++)
        max_node_id = g->nodes[i]->id > max_node_id ? g->nodes[i]->id : max_node_id;
    bool *by_id = calloc((size_t)max_node_id + 1, sizeof *by_id);
    if (!by_id)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory in float16");
    for (size_t i = 0; i < c->n_nodes; i++) {
        ol_node *node = g->nodes[i];
        by_id[node->id] = c->converts[i];
        if (!c->converts[i] && !node->erased && !pass_is_op(node, "Constant")) {
            bool touches_float = false;
            for (size_t k = 0; k < node->n_inputs; k++)
                touches_float = touches_float || (is_float32(node->inputs[k]) && role_of(node, k) != IN_ANY);
            for (size_t o = 0; o < node->n_outputs; o++)
                touches_float = touches_float || is_float32(node->outputs[o]);
            c->n_kept += touches_float;
        }
        if (c->converts[i])
            for (size_t o = 0; o < node->n_outputs; o++)
                if (node->outputs[o] && node->outputs[o]->type.elem == OL_FLOAT && output_converts(node, o))
                    c->half[node->outputs[o]->id] = true;
    }
    for (size_t i = 0; i < g->n_values; i++) {
        ol_value *v = g->values[i];
        if (v->erased || v->id >= c->n_ids || !is_float32(v))
            continue;
        if (v->is_input && !v->outer)
            c->half[v->id] = !c->keep_io && !has_implicit_use(v);
        else if (pass_constant(v) && !v->outer)
            c->half[v->id] = constant_converts(c, v, by_id);
    }
    free(by_id);
    return OL_OK;
}

/* ---- rewriting ---- */

/* v clipped to +-65504 (float32): what a float32 activation goes through before its Cast to
 * float16, so that a large value becomes the largest float16 rather than an infinity. */
static ol_value *clipped(f16_ctx *c, ol_value *v, ol_error *err)
{
    bool inputs = ol_model_opset(c->graph->model, "") >= 11;
    for (int k = 0; inputs && k < 2 && !c->bounds[k]; k++) {
        ol_tensor *t = ol_tensor_create(OL_FLOAT, 0, NULL, err);
        float *d = t ? ol_tensor_mutable_data(t, err) : NULL;
        if (!d) {
            ol_tensor_destroy(t);
            return NULL;
        }
        *d = k ? HALF_MAX : -HALF_MAX;
        c->bounds[k] = pass_add_initializer(c->graph, k ? "float16_max" : "float16_min", t, err);
        pass_prefer_name(c->bounds[k], k ? "float16_max" : "float16_min", NULL);
        if (!c->bounds[k])
            return NULL;
    }
    char *node_name = pass_node_name(c->graph, v->name, "clip_float16");
    ol_node *clip = ol_graph_add_node(c->graph, "Clip", "", node_name, err);
    free(node_name);
    char hint[512];
    snprintf(hint, sizeof hint, "%s_clipped", v->name);
    char *name = clip ? ol_model_fresh_name(c->graph->model, hint) : NULL;
    ol_value *out = name ? ol_node_new_output(clip, name, err) : NULL;
    free(name);
    ol_status st = out ? ol_node_add_input(clip, v, err) : OL_ERR_NOMEM;
    if (st == OL_OK && inputs && (st = ol_node_add_input(clip, c->bounds[0], err)) == OL_OK)
        st = ol_node_add_input(clip, c->bounds[1], err);
    if (st == OL_OK && !inputs && (st = ol_node_set_attr_float(clip, "min", -HALF_MAX, err)) == OL_OK)
        st = ol_node_set_attr_float(clip, "max", HALF_MAX, err);
    if (st != OL_OK || ol_type_copy(&out->type, &v->type) != 0) {
        ol_fail(err, OL_ERR_NOMEM, "out of memory adding a Clip for '%s'", v->name);
        return NULL;
    }
    pass_prefer_name(out, v->name, "_clipped");
    return out;
}

static ol_value *cast_of(f16_ctx *c, ol_value *v, ol_dtype to, ol_error *err)
{
    ol_value **slot = to == OL_FLOAT16 ? &c->to_half[v->id] : &c->to_float[v->id];
    if (*slot)
        return *slot;
    /* Constants are known to fit (those that do not keep their readers in float32). */
    ol_value *source = to == OL_FLOAT16 && !pass_constant(v) ? clipped(c, v, err) : v;
    if (!source)
        return NULL;
    const char *suffix = to == OL_FLOAT16 ? "_float16" : "_float32";
    char *node_name = pass_node_name(c->graph, v->name, to == OL_FLOAT16 ? "to_float16" : "to_float32");
    ol_node *cast = ol_graph_add_node(c->graph, "Cast", "", node_name, err);
    free(node_name);
    char hint[512];
    snprintf(hint, sizeof hint, "%s%s", v->name, suffix);
    char *name = cast ? ol_model_fresh_name(c->graph->model, hint) : NULL;
    ol_value *out = name ? ol_node_new_output(cast, name, err) : NULL;
    free(name);
    if (!out || ol_node_add_input(cast, source, err) != OL_OK ||
        ol_node_set_attr_int(cast, "to", to, err) != OL_OK ||
        ol_type_copy(&out->type, &v->type) != 0) {
        ol_fail(err, OL_ERR_NOMEM, "out of memory adding a Cast for '%s'", v->name);
        return NULL;
    }
    out->type.kind = OL_TYPE_TENSOR;
    out->type.elem = to;
    pass_prefer_name(out, v->name, suffix);
    c->n_casts++;
    return *slot = out;
}

/* Gives graph output `v` (float16 now where float32 is wanted, or the reverse) to a Cast: the Cast
 * produces a value that takes over v's name and place in the outputs, v's readers stay on v. */
static ol_status cast_graph_output(f16_ctx *c, ol_value *v, ol_dtype to, ol_error *err)
{
    char *node_name = pass_node_name(c->graph, v->name, "output_cast");
    ol_node *cast = ol_graph_add_node(c->graph, "Cast", "", node_name, err);
    free(node_name);
    ol_value *w = cast ? ol_node_new_output(cast, NULL, err) : NULL;
    if (!w || ol_node_set_attr_int(cast, "to", to, err) != OL_OK || ol_type_copy(&w->type, &v->type) != 0)
        return err->status ? err->status : ol_fail(err, OL_ERR_NOMEM, "out of memory");
    w->type.kind = OL_TYPE_TENSOR;
    w->type.elem = to;
    ol_status st = ol_value_replace_all_uses(v, w, err);   /* w takes the name and the output slot */
    while (st == OL_OK && w->n_uses > 0)                   /* the readers go back to v */
        st = ol_node_set_input(w->uses[0].node, (size_t)w->uses[0].index, v, err);
    if (st == OL_OK)
        st = ol_node_add_input(cast, v, err);
    pass_prefer_name(v, w->name, to == OL_FLOAT ? "_float16" : "_float32");
    c->n_casts++;
    return st;
}

/* The float16 copy of float32 `t`, rounded to nearest even: values that would round to infinity
 * clamped to +-65504 (counted), non-zero ones that would flush to zero raised to +-2^-24
 * (counted). */
static ol_tensor *to_half_tensor(f16_ctx *c, const ol_tensor *t, ol_error *err)
{
    ol_tensor *h = ol_tensor_create(OL_FLOAT16, t->rank, t->dims, err);
    uint16_t *data = h ? ol_tensor_mutable_data(h, err) : NULL;
    if (!data) {
        ol_tensor_destroy(h);
        return NULL;
    }
    for (int64_t i = 0, n = ol_tensor_numel(t); i < n; i++) {
        float v = element(t, i);
        if (isfinite(v) && fabsf(v) >= HALF_OVERFLOW) {
            v = copysignf(HALF_MAX, v);
            c->n_clamped++;
        } else if (v != 0 && fabsf(v) < HALF_MIN_SUBNORMAL) {
            v = copysignf(HALF_MIN_SUBNORMAL, v);
            c->n_raised++;
        }
        data[i] = ol_float_to_half(v);
    }
    return h;
}

static ol_status convert_constant(f16_ctx *c, ol_value *v, ol_error *err)
{
    const ol_tensor *t = pass_constant(v);
    ol_tensor *h = to_half_tensor(c, t, err);
    if (!h)
        return err->status;
    c->float_bytes += t->nbytes;
    c->half_bytes += h->nbytes;
    /* A new initializer in its place, under its name; a Constant node producing it goes. */
    return pass_replace_with_constant(c->graph, v, h, err);
}

static ol_status convert_node(f16_ctx *c, ol_node *node, ol_error *err)
{
    if (pass_is_op(node, "Cast") && ol_node_attr_int(node, "to", 0) == OL_FLOAT) {
        ol_status st = ol_node_set_attr_int(node, "to", OL_FLOAT16, err);
        if (st != OL_OK)
            return st;
    }
    if (pass_is_op(node, "ConstantOfShape")) {
        const ol_tensor *value = attr_value(node);
        ol_tensor *zero = value ? NULL : ol_tensor_create(OL_FLOAT, 1, (int64_t[]){1}, err);
        ol_tensor *h = value || zero ? to_half_tensor(c, value ? value : zero, err) : NULL;
        ol_tensor_destroy(zero);
        if (!h || ol_node_set_attr_tensor(node, "value", h, err) != OL_OK)
            return err->status;
    }
    for (size_t o = 0; o < node->n_outputs; o++) {
        ol_value *v = node->outputs[o];
        if (v && v->type.elem == OL_FLOAT && output_converts(node, o))
            v->type.elem = OL_FLOAT16;
    }
    c->n_converted++;
    return OL_OK;
}

static ol_status rewrite(f16_ctx *c, ol_error *err)
{
    ol_graph *g = c->graph;
    ol_status st = OL_OK;
    /* 1. Casts where a value's new type is not what its reader takes. */
    for (size_t i = 0; i < c->n_nodes && st == OL_OK; i++) {
        ol_node *node = g->nodes[i];
        if (node->erased)
            continue;
        for (size_t k = 0; k < node->n_inputs && st == OL_OK; k++) {
            ol_value *v = node->inputs[k];
            input_role role = role_of(node, k);
            if (!v || v->id >= c->n_ids || !is_float32(v) || role == IN_ANY)
                continue;
            bool want_half = c->converts[i] && role == IN_T;
            if (want_half == c->half[v->id])
                continue;
            ol_value *cast = cast_of(c, v, want_half ? OL_FLOAT16 : OL_FLOAT, err);
            st = cast ? ol_node_set_input(node, k, cast, err) : err->status;
        }
    }
    /* 2. Graph outputs keep their type (keep-io-float32) or all become float16. */
    for (size_t i = 0; i < g->n_outputs && st == OL_OK; i++) {
        ol_value *v = g->outputs[i];
        if (v->id >= c->n_ids || !is_float32(v) || v->is_input || pass_constant(v) || has_implicit_use(v))
            continue;
        bool want_half = !c->keep_io;
        if (want_half != c->half[v->id])
            st = cast_graph_output(c, v, want_half ? OL_FLOAT16 : OL_FLOAT, err);
    }
    /* 3. The conversions themselves: node outputs, inputs, constants. */
    for (size_t i = 0; i < c->n_nodes && st == OL_OK; i++)
        if (c->converts[i] && !g->nodes[i]->erased)
            st = convert_node(c, g->nodes[i], err);
    for (size_t i = 0; i < g->n_inputs && st == OL_OK; i++)
        if (g->inputs[i]->id < c->n_ids && c->half[g->inputs[i]->id] && !pass_constant(g->inputs[i]))
            g->inputs[i]->type.elem = OL_FLOAT16;
    /* Constants last: replacing one can erase the Constant node producing it. */
    size_t n_values = g->n_values;
    for (size_t i = 0; i < n_values && st == OL_OK; i++) {
        ol_value *v = g->values[i];
        if (!v->erased && v->id < c->n_ids && c->half[v->id] && pass_constant(v) && !v->is_input)
            st = convert_constant(c, v, err);
        else if (!v->erased && v->id < c->n_ids && pass_constant(v) && is_float32(v) && !v->is_input &&
                 !c->half[v->id] && !c->clamp && out_of_range(pass_constant(v)))
            c->n_constants_kept++;
    }
    return st;
}

static void notes(const f16_ctx *c)
{
    ol_pass_context *context = c->context;
    if (!context)
        return;
    ol_pass_context_note(context, OL_NOTE_INFO,
                         "%zu nodes in float16, %zu kept in float32, %zu Casts; constants %zu -> %zu bytes",
                         c->n_converted, c->n_kept, c->n_casts, c->float_bytes, c->half_bytes);
    if (c->n_clamped)
        ol_pass_context_note(context, OL_NOTE_WARNING,
                             "%zu constant values beyond float16's range were clamped to +-65504", c->n_clamped);
    if (c->n_constants_kept)
        ol_pass_context_note(context, OL_NOTE_WARNING,
                             "%zu constants hold values beyond float16's range: kept in float32 with the "
                             "nodes reading them (out-of-range=clamp would clamp them)", c->n_constants_kept);
    if (c->n_raised)
        ol_pass_context_note(context, OL_NOTE_INFO,
                             "%zu non-zero constant values below float16's smallest subnormal were raised to "
                             "+-2^-24 rather than flushed to 0 (epsilons stay non-zero)",
                             c->n_raised);
    if (!context->data.path)
        ol_pass_context_note(context, OL_NOTE_INFO,
                             "activations were not range-checked (a node computing beyond +-65504 in float16 "
                             "gives infinities): --data checks them on samples");
    else if (c->n_range_checked)
        ol_pass_context_note(context, OL_NOTE_INFO,
                             "activations checked on %zu samples of --data: largest output of a float16 node "
                             "%.3g (limit 65504 / activation-headroom %g)",
                             c->range_samples, c->largest_converted, c->headroom);
    if (c->n_range_kept)
        ol_pass_context_note(context, OL_NOTE_WARNING,
                             "%zu nodes kept in float32: their outputs went beyond 65504 / activation-headroom "
                             "%g on the samples of --data: %s%s", c->n_range_kept, c->headroom,
                             c->range_kept.data ? c->range_kept.data : "",
                             c->n_range_kept > NAMES_IN_NOTE ? ", ..." : "");
}

static ol_status run_float16(ol_model *model, const ol_option_values *options, bool *changed, ol_error *err)
{
    ol_graph *g = model->graph;
    if (!g)
        return ol_fail(err, OL_ERR_INVALID, "model has no graph");
    if (ol_model_opset(model, "") < 6)
        return ol_fail(err, OL_ERR_UNSUPPORTED,
                       "the model imports opset %lld of the default domain; float16 writes Casts of opset 6 "
                       "or later", (long long)ol_model_opset(model, ""));
    f16_ctx c = {.graph = g,
                 .keep_io = ol_option_bool(options, "keep-io-float32"),
                 .clamp = strcmp(ol_option_string(options, "out-of-range"), "clamp") == 0,
                 .exclude_nodes = ol_option_string(options, "exclude-nodes"),
                 .exclude_ops = ol_option_string(options, "exclude-ops"),
                 .n_ids = g->next_value_id,
                 .n_nodes = g->n_nodes,
                 .context = ol_pass_context_of(options),
                 .headroom = ol_option_float(options, "activation-headroom")};
    if (!(c.headroom >= 1) || !isfinite(c.headroom))
        return ol_fail(err, OL_ERR_ARG, "activation-headroom must be a finite factor of at least 1, got %g",
                       c.headroom);
    for (const char *p = c.exclude_nodes; p && *p;) {
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        bool found = n == 0;
        for (size_t i = 0; i < g->n_nodes && !found; i++)
            found = g->nodes[i]->name && strlen(g->nodes[i]->name) == n && memcmp(g->nodes[i]->name, p, n) == 0;
        if (!found)
            return ol_fail(err, OL_ERR_ARG, "exclude-nodes: the main graph has no node named '%.*s'", (int)n, p);
        p = end ? end + 1 : NULL;
    }
    c.half = calloc(c.n_ids + 1, sizeof *c.half);
    c.to_half = calloc(c.n_ids + 1, sizeof *c.to_half);
    c.to_float = calloc(c.n_ids + 1, sizeof *c.to_float);
    c.converts = calloc(c.n_nodes + 1, sizeof *c.converts);
    ol_status st = OL_OK;
    if (!c.half || !c.to_half || !c.to_float || !c.converts)
        st = ol_fail(err, OL_ERR_NOMEM, "out of memory in float16");
    if (st == OL_OK)
        st = decide(&c, err);
    if (st == OL_OK)
        st = rewrite(&c, err);
    if (st == OL_OK)
        st = ol_graph_toposort(g, err);
    *changed = c.n_converted > 0 || c.float_bytes > 0 || c.n_casts > 0;
    if (st == OL_OK)
        notes(&c);
    ol_text_clear(&c.range_kept);
    free(c.half);
    free(c.to_half);
    free(c.to_float);
    free(c.converts);
    return st;
}

const ol_pass_def ol_pass_float16 = {
    OL_PASS_DEF_VERSION,
    .name = "float16",
    .description = "weights and compute in float16, never overflowing (activations checked on --data; "
                   "inputs/outputs optionally kept float32)",
    .options = OPTIONS,
    .n_options = sizeof OPTIONS / sizeof *OPTIONS,
    .flags = OL_PASS_NEEDS_SHAPES,
    .run = run_float16,
};
