/* The quantize pass's parts (internal to passes/quantize*.c):
 *
 *   quantize.c              the pass: options, calibration, the fallback to float, the report
 *   quantize_plan.c         placement: which nodes run on integers and which values get a
 *                           QuantizeLinear -> DequantizeLinear pair, following what onnxruntime's
 *                           QDQ transformer fuses into integer kernels
 *   quantize_weights.c      int8 weights (per channel or per tensor) and int32 biases
 *   quantize_rewrite.c      the graph rewrite that emits the plan
 *
 * Only the main graph is quantized; subgraphs (If/Loop/Scan bodies) stay float. */
#ifndef OL_PASSES_QUANTIZE_H
#define OL_PASSES_QUANTIZE_H

#include <stdbool.h>
#include <stddef.h>

#include "data/dataset.h"
#include "onnxlite/ir.h"
#include "quant/histogram.h"
#include "quant/qparams.h"

typedef struct qz_options {
    ol_calib_method method;
    double percentile;
    bool per_channel;
    ol_dtype activations;        /* OL_UINT8 or OL_INT8 */
    bool symmetric;              /* activations symmetric around 0 */
    bool allow_unfused;          /* emit groups onnxruntime runs in float anyway */
} qz_options;

/* What the plan does with a node. */
typedef enum qz_role {
    QZ_FLOAT = 0,   /* stays float (its inputs may still come out of a DequantizeLinear) */
    QZ_CONV,        /* X quantized, W int8 per channel on axis 0, B int32 */
    QZ_GEMM,        /* A quantized, B int8 per channel, C int32; output quantized when read */
    QZ_MATMUL,      /* A quantized, B int8 per channel on axis 1 when constant, else quantized */
    QZ_REQUANT,     /* every float input quantized (constants too), output with its own range:
                       Add, Mul, Concat, AveragePool, GlobalAveragePool, LeakyRelu, Sigmoid, Softmax */
    QZ_SHARED,      /* data movement on input 0's integers: outputs take its scale and zero point */
    QZ_UNFUSED,     /* wrapped though onnxruntime runs it in float (allow-unfused=true) */
    QZ_FOLDED,      /* a Relu/Clip removed: its producer's output is quantized with its range */
} qz_role;

/* A float activation that gets QuantizeLinear -> DequantizeLinear. */
typedef struct qz_value {
    ol_value *value;
    ol_value *range_of;   /* the tensor whose calibrated range sets the parameters: the value, or
                             the output of the Relu/Clip folded after it */
    size_t shares;        /* index of the value whose parameters it takes (data movement), or its own */
    ol_qparams params;    /* set once the ranges are known */
} qz_value;

/* A node onnxruntime would not fuse, with why. */
typedef struct qz_unfused {
    ol_node *node;
    char reason[160];
} qz_unfused;

typedef struct qz_plan {
    ol_graph *graph;
    size_t n_nodes;          /* graph->nodes when planned */
    qz_role *roles;          /* by node index */
    qz_value *values;
    size_t n_values, cap_values;
    size_t *value_index;     /* by value id: index into values, or QZ_NONE */
    size_t n_ids;
    size_t *node_pos;        /* by node id: index in graph->nodes, or QZ_NONE */
    size_t n_node_ids;
    qz_unfused *unfused;     /* groups kept in float (or emitted anyway, with allow_unfused) */
    size_t n_unfused, cap_unfused;
} qz_plan;

#define QZ_NONE ((size_t)-1)

/* Plans the main graph, whose nodes must be in topological order. keep_float[i] (may be NULL)
 * keeps node i in float: excluded by the user or chosen by the fallback. */
ol_status qz_plan_build(ol_graph *graph, const qz_options *options, const bool *keep_float, qz_plan *plan,
                        ol_error *err);
void qz_plan_clear(qz_plan *plan);
/* The role the plan gives `node` (QZ_FLOAT for a node it did not plan). */
qz_role qz_plan_role(const qz_plan *plan, const ol_node *node);
/* The plan's entry for `value`, or NULL. */
qz_value *qz_plan_value(const qz_plan *plan, const ol_value *value);
/* Nodes computing on integers (Conv, Gemm, MatMul, requantizing ops): the layers the fallback
 * weighs. */
bool qz_role_is_layer(qz_role role);
const char *qz_role_name(qz_role role);

/* The calibrated range of each observed tensor, by name. */
typedef struct qz_ranges {
    char **names;
    double *lo, *hi;
    size_t n;
} qz_ranges;
bool qz_ranges_find(const qz_ranges *ranges, const char *name, double *lo, double *hi);
void qz_ranges_clear(qz_ranges *ranges);

/* Sets every value's parameters from `ranges` (shared values copy theirs). Fails naming a tensor
 * that was not calibrated. */
ol_status qz_plan_set_params(qz_plan *plan, const qz_options *options, const qz_ranges *ranges,
                             ol_error *err);

/* Rewrites the planned graph: weights and biases, QuantizeLinear/DequantizeLinear pairs, folded
 * Relu/Clip removed. Leaves the graph in topological order. *warnings counts bias values that had
 * to be clamped to int32 (noted through `note`, which may be NULL). */
typedef void (*qz_note_fn)(void *user, bool warning, const char *message);
ol_status qz_rewrite(const qz_plan *plan, const qz_options *options, qz_note_fn note, void *note_user,
                     ol_error *err);

/* Weights (quantize_weights.c). */

/* Symmetric int8 of `w` (float32), one scale per slice along `axis` (axis -1: one for the whole
 * tensor): q = round(w / scale) in [-127, 127], scale = max|w| / 127 (1 for an all-zero slice).
 * Returns the int8 tensor and the float32 scales (shape [C], or a scalar). */
ol_status qz_weight_int8(const ol_tensor *w, int axis, ol_tensor **q, ol_tensor **scale, ol_error *err);
/* int32 bias b / (input_scale * weight_scale[c]) rounded, with those scales; values beyond int32
 * are clamped and counted in *clamped. `weight_scale` has b's length or is a scalar. */
ol_status qz_bias_int32(const ol_tensor *b, float input_scale, const ol_tensor *weight_scale,
                        ol_tensor **q, ol_tensor **scale, size_t *clamped, ol_error *err);
/* `c` (float32) quantized like an activation, per tensor, from its own extremes. */
ol_status qz_constant_activation(const ol_tensor *c, const qz_options *options, ol_tensor **q,
                                 ol_qparams *params, ol_error *err);

#endif
