/* How an operator plugs into the executor. An op reads its node's attributes and its input views,
 * asks the executor for outputs (which come from the memory plan) and calls IR-free kernels from
 * backends/kernels. One file per op family under src/exec/ops/ exports a table of ol_op_def. */
#ifndef OL_EXEC_OP_H
#define OL_EXEC_OP_H

#include <stdbool.h>

#include "kernels/ktensor.h"
#include "onnxlite/ir.h"

typedef struct ol_op_ctx ol_op_ctx;
typedef ol_status (*ol_op_run_fn)(ol_op_ctx *ctx);

enum {
    /* The op computes float32 only; the executor converts float16/bfloat16 inputs to float32 and
     * the float32 outputs back, so "float16 via float32" is written once, here. */
    OL_OP_F16_VIA_F32 = 1 << 0,
};

typedef struct ol_op_def {
    const char *op_type;
    const char *domain;      /* "" for ai.onnx */
    int since_version;       /* oldest opset this implementation handles */
    ol_op_run_fn run;
    unsigned flags;
} ol_op_def;

/* The op tables of the families; each ends with an entry whose op_type is NULL. */
extern const ol_op_def ol_ops_elementwise[];
extern const ol_op_def ol_ops_linear[];        /* Conv, ConvTranspose, Gemm, MatMul, pooling, Einsum */
extern const ol_op_def ol_ops_normalize[];     /* normalizations, softmax, reductions, TopK, CumSum */
extern const ol_op_def ol_ops_layout[];        /* reshape/transpose/concat/slice/gather/... */
extern const ol_op_def ol_ops_quant[];         /* Quantize/Dequantize and integer ops */
extern const ol_op_def ol_ops_control[];       /* If, Loop */
extern const ol_op_def ol_ops_extra[];         /* Attention, losses, Scan, GridSample, RNNs, NMS, ... */

/* Finds the implementation for a node (matching domain, opset >= since_version); NULL if none. */
const ol_op_def *ol_op_lookup(const char *op_type, const char *domain, int64_t opset);

/* ---- the context an op runs in ---- */

const ol_node *ol_op_node(const ol_op_ctx *ctx);
int64_t ol_op_opset(const ol_op_ctx *ctx);
int ol_op_threads(const ol_op_ctx *ctx);

size_t ol_op_input_count(const ol_op_ctx *ctx);
/* NULL when input i is omitted (empty name) or beyond the node's inputs. */
const ol_ktensor *ol_op_input(const ol_op_ctx *ctx, size_t i);

size_t ol_op_output_count(const ol_op_ctx *ctx);
/* False when output i is omitted; such outputs need not be computed. */
bool ol_op_output_wanted(const ol_op_ctx *ctx, size_t i);
/* Storage for output i with the given type and shape (uninitialized). NULL with the error set on
 * failure. For an omitted output it returns a scratch tensor, so ops need no special case. */
ol_ktensor *ol_op_output(ol_op_ctx *ctx, size_t i, ol_dtype dtype, int rank, const int64_t *dims);
/* Output i shares input `in`'s bytes under a new shape (Reshape, Squeeze, Identity, ...). */
ol_status ol_op_alias_output(ol_op_ctx *ctx, size_t i, size_t in, int rank, const int64_t *dims);
/* Output i takes ownership of malloc'ed `data` holding a tensor of that shape (If, Loop). */
ol_status ol_op_adopt_output(ol_op_ctx *ctx, size_t i, ol_dtype dtype, int rank, const int64_t *dims,
                             void *data);

/* Temporary memory valid until the op returns (im2col buffers, packed weights). Reused between
 * ops, so it costs no allocation once warmed up. NULL with the error set on failure. */
void *ol_op_scratch(ol_op_ctx *ctx, size_t bytes);

/* True when input i cannot change while the session exists (an initializer the caller cannot
 * override, or a Constant node's value), so what an op derives from it may be kept. */
bool ol_op_input_is_fixed(const ol_op_ctx *ctx, size_t i);
/* What this step's op derived from its fixed inputs on an earlier run (transformed or folded
 * weights), or NULL. Kept per step for the session's lifetime, so an op prepares its weights once. */
void *ol_op_prepared(const ol_op_ctx *ctx);
/* Hands `data` to the step (replacing and destroying any earlier one); the session calls
 * destroy(data) when it ends. */
void ol_op_set_prepared(ol_op_ctx *ctx, void *data, void (*destroy)(void *data));

/* Compile-time fusion: the executor may run an op together with the nodes around it, as one step,
 * without changing the model: a zero Pad before it, a per-channel Mul and Add after it (an
 * unfolded BatchNormalization), a residual Add and an activation. Conv takes all of these (its step
 * then reads the Pad's input and writes the last fused node's output); BatchNormalization takes a
 * Relu or Clip. */
typedef enum ol_fused_activation {
    OL_FUSED_NONE,
    OL_FUSED_RELU,
    OL_FUSED_CLIP,           /* alpha = min, beta = max */
    OL_FUSED_LEAKY_RELU,     /* alpha */
    OL_FUSED_SIGMOID,
    OL_FUSED_TANH,
    OL_FUSED_HARD_SIGMOID,   /* alpha, beta */
    OL_FUSED_HARD_SWISH,     /* x * max(0, min(1, alpha * x + beta)): HardSwish (1/6, 1/2), or
                                x * HardSigmoid(x) */
    OL_FUSED_SWISH,          /* x * sigmoid(x), from x * Sigmoid(x) */
} ol_fused_activation;

typedef struct ol_op_fusion {
    ol_fused_activation activation;
    float alpha, beta;
    /* Input 3 (after X, W and the possibly omitted B) is a residual added before the activation; it
     * may broadcast to the op's result. */
    bool sum;
    /* Inputs 4 and 5 (each possibly omitted) are fixed per-channel constants (one value, or one
     * per output channel along axis 1): the result is multiplied by input 4, then input 5 is added,
     * before the residual and the activation. */
    bool scale_shift;
    /* Zero padding in ONNX Pad order (the begins of every axis, then the ends) that a fused Pad
     * applied to input 0; only spatial axes are non-zero. */
    bool padded;
    int64_t pads[2 * OL_KMAX_RANK];
} ol_op_fusion;

/* What was fused into this step; NULL when it runs its node alone. */
const ol_op_fusion *ol_op_fusion_of(const ol_op_ctx *ctx);

/* Records an error prefixed with the node's name and op type; returns `status`. */
ol_status ol_op_fail(ol_op_ctx *ctx, ol_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
ol_error *ol_op_error(ol_op_ctx *ctx);

/* Runs a subgraph of this node (If branch, Loop body). `inputs` bind the subgraph's inputs in
 * order; outer-scope values are visible. On success outputs[k] holds malloc'ed data the caller owns
 * (free(outputs[k].data)). */
ol_status ol_op_run_subgraph(ol_op_ctx *ctx, const ol_graph *graph, const ol_ktensor *const *inputs,
                             size_t n_inputs, ol_ktensor *outputs, size_t n_outputs);

#endif
