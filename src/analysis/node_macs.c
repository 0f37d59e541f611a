#include <string.h>

#include "analysis/node_macs.h"

/* How a node's count follows from its shapes. Every rule needs static shapes of the values it reads
 * (after shape inference); initializers count as static through their tensor dims. */
typedef enum mac_rule {
    /* Linear class: one MAC per multiply-add, bias not counted. */

    /* numel(Y) * prod(W.dims[1:]): W is [M, C/group, k...], so this is output elements x
     * (C/group x kernel area) whatever group and strides. */
    RULE_CONV,
    /* numel(X) * prod(W.dims[1:]): W is [C, M/group, k...] and every input element is scattered
     * through its M/group x kernel-area weights. */
    RULE_CONV_TRANSPOSE,
    /* numel(Y) * K, K from A (or B) honouring transA/transB. */
    RULE_GEMM,
    /* numel(Y) * K, K = A's last dim (numpy matmul, broadcast batch included). */
    RULE_MATMUL,

    /* Other class: a per-element figure, `factor` MACs per element counted. */

    RULE_PER_OUTPUT,      /* factor * numel(Y) */
    RULE_PER_INPUT,       /* factor * numel(X) */
    RULE_PER_EXTRA_INPUT, /* numel(Y) * (present inputs - 1), at least numel(Y): Sum, Max... */
    RULE_POOL_WINDOW,     /* numel(Y) * prod(kernel_shape): each output reads its window once */
} mac_rule;

typedef struct mac_model {
    const char *op_type;
    mac_rule rule;
    /* RULE_CONV*: weight input index. RULE_GEMM/RULE_MATMUL: B input index (A is input 0).
     * RULE_PER_OUTPUT/RULE_PER_INPUT: MACs per element. */
    int arg;
} mac_model;

/* Ops of the default domain (ai.onnx) that have a cost model. Ops not listed count nothing:
 * reshapes, transposes, concatenation, gathers, casts, comparisons, control flow, Resize.
 *
 * The "other" figures are deliberately simple, one per element of work:
 *  - elementwise arithmetic and activations: 1 per output element (Relu, Add, Sigmoid, Clip, ...);
 *    quantize/dequantize: 1 per element (a scale and a shift);
 *  - variadic Sum/Mean/Max/Min: 1 per output element per input beyond the first;
 *  - BatchNormalization: 1 per element (inference form, a folded scale and shift);
 *  - Instance/Layer/Group/Lp normalization: 2 per element (one pass of statistics, one to normalize);
 *  - windowed pooling: kernel area per output element; global pooling and reductions: 1 per input
 *    element;
 *  - Softmax/LogSoftmax/Hardmax: 2 per input element (exponent plus sum, then divide). */
static const mac_model LINEAR_MODELS[] = {
    {"Conv", RULE_CONV, 1},
    {"ConvInteger", RULE_CONV, 1},
    {"QLinearConv", RULE_CONV, 3},
    {"ConvTranspose", RULE_CONV_TRANSPOSE, 1},
    {"Gemm", RULE_GEMM, 1},
    {"MatMul", RULE_MATMUL, 1},
    {"MatMulInteger", RULE_MATMUL, 1},
    {"QLinearMatMul", RULE_MATMUL, 3},
};

static const mac_model OTHER_MODELS[] = {
    /* elementwise binary */
    {"Add", RULE_PER_OUTPUT, 1},
    {"Sub", RULE_PER_OUTPUT, 1},
    {"Mul", RULE_PER_OUTPUT, 1},
    {"Div", RULE_PER_OUTPUT, 1},
    {"Pow", RULE_PER_OUTPUT, 1},
    {"Mod", RULE_PER_OUTPUT, 1},
    {"PRelu", RULE_PER_OUTPUT, 1},
    /* variadic */
    {"Sum", RULE_PER_EXTRA_INPUT, 0},
    {"Mean", RULE_PER_EXTRA_INPUT, 0},
    {"Max", RULE_PER_EXTRA_INPUT, 0},
    {"Min", RULE_PER_EXTRA_INPUT, 0},
    /* elementwise unary and activations */
    {"Relu", RULE_PER_OUTPUT, 1},
    {"LeakyRelu", RULE_PER_OUTPUT, 1},
    {"Elu", RULE_PER_OUTPUT, 1},
    {"Selu", RULE_PER_OUTPUT, 1},
    {"Celu", RULE_PER_OUTPUT, 1},
    {"ThresholdedRelu", RULE_PER_OUTPUT, 1},
    {"Sigmoid", RULE_PER_OUTPUT, 1},
    {"HardSigmoid", RULE_PER_OUTPUT, 1},
    {"HardSwish", RULE_PER_OUTPUT, 1},
    {"Tanh", RULE_PER_OUTPUT, 1},
    {"Softplus", RULE_PER_OUTPUT, 1},
    {"Softsign", RULE_PER_OUTPUT, 1},
    {"Gelu", RULE_PER_OUTPUT, 1},
    {"Mish", RULE_PER_OUTPUT, 1},
    {"Erf", RULE_PER_OUTPUT, 1},
    {"Exp", RULE_PER_OUTPUT, 1},
    {"Log", RULE_PER_OUTPUT, 1},
    {"Sqrt", RULE_PER_OUTPUT, 1},
    {"Reciprocal", RULE_PER_OUTPUT, 1},
    {"Neg", RULE_PER_OUTPUT, 1},
    {"Abs", RULE_PER_OUTPUT, 1},
    {"Clip", RULE_PER_OUTPUT, 1},
    {"QuantizeLinear", RULE_PER_OUTPUT, 1},
    {"DequantizeLinear", RULE_PER_OUTPUT, 1},
    /* normalization */
    {"BatchNormalization", RULE_PER_INPUT, 1},
    {"InstanceNormalization", RULE_PER_INPUT, 2},
    {"LayerNormalization", RULE_PER_INPUT, 2},
    {"GroupNormalization", RULE_PER_INPUT, 2},
    {"LpNormalization", RULE_PER_INPUT, 2},
    /* pooling */
    {"MaxPool", RULE_POOL_WINDOW, 0},
    {"AveragePool", RULE_POOL_WINDOW, 0},
    {"LpPool", RULE_POOL_WINDOW, 0},
    {"GlobalAveragePool", RULE_PER_INPUT, 1},
    {"GlobalMaxPool", RULE_PER_INPUT, 1},
    {"GlobalLpPool", RULE_PER_INPUT, 1},
    /* reductions */
    {"ReduceSum", RULE_PER_INPUT, 1},
    {"ReduceMean", RULE_PER_INPUT, 1},
    {"ReduceMax", RULE_PER_INPUT, 1},
    {"ReduceMin", RULE_PER_INPUT, 1},
    {"ReduceProd", RULE_PER_INPUT, 1},
    {"ReduceL1", RULE_PER_INPUT, 1},
    {"ReduceL2", RULE_PER_INPUT, 1},
    {"ReduceSumSquare", RULE_PER_INPUT, 1},
    {"ReduceLogSum", RULE_PER_INPUT, 1},
    {"ReduceLogSumExp", RULE_PER_INPUT, 1},
    /* softmax family */
    {"Softmax", RULE_PER_INPUT, 2},
    {"LogSoftmax", RULE_PER_INPUT, 2},
    {"Hardmax", RULE_PER_INPUT, 2},
};

static const mac_model *find_model(const mac_model *models, size_t n, const char *op_type)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(models[i].op_type, op_type) == 0)
            return &models[i];
    return NULL;
}

static bool mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
    if (a != 0 && b > UINT64_MAX / a)
        return false;
    *out = a * b;
    return true;
}

/* Static dims of `value`, from its type or, failing that, from its constant tensor. */
static bool static_dims(const ol_value *value, int64_t dims[OL_MAX_RANK], int *rank)
{
    if (!value)
        return false;
    const ol_type *type = &value->type;
    if (ol_type_is_static(type) && type->rank <= OL_MAX_RANK) {
        for (int i = 0; i < type->rank; i++)
            dims[i] = type->dims[i].value;
        *rank = type->rank;
        return true;
    }
    const ol_tensor *tensor = ol_value_constant(value);
    if (!tensor || tensor->rank > OL_MAX_RANK)
        return false;
    for (int i = 0; i < tensor->rank; i++)
        dims[i] = tensor->dims[i];
    *rank = tensor->rank;
    return true;
}

static bool dims_product(const int64_t *dims, int from, int to, uint64_t *out)
{
    uint64_t n = 1;
    for (int i = from; i < to; i++)
        if (dims[i] < 0 || !mul_u64(n, (uint64_t)dims[i], &n))
            return false;
    *out = n;
    return true;
}

static const ol_value *node_input(const ol_node *node, int index)
{
    return index >= 0 && (size_t)index < node->n_inputs ? node->inputs[index] : NULL;
}

static bool value_numel(const ol_value *value, uint64_t *out)
{
    int64_t dims[OL_MAX_RANK];
    int rank;
    return static_dims(value, dims, &rank) && dims_product(dims, 0, rank, out);
}

/* prod(W.dims[1:]) for the Conv family's weight. */
static bool weight_fan(const ol_node *node, int weight_index, uint64_t *out)
{
    int64_t dims[OL_MAX_RANK];
    int rank;
    return static_dims(node_input(node, weight_index), dims, &rank) && rank >= 2 &&
           dims_product(dims, 1, rank, out);
}

/* Reduction length K of a matrix product; A's dims when known, else B's. Gemm's operands are 2-D and
 * may be transposed; MatMul follows numpy (a 1-D operand is a vector). */
static bool reduction_length(const ol_node *node, int b_index, bool is_gemm, uint64_t *k)
{
    int64_t dims[OL_MAX_RANK];
    int rank;
    if (static_dims(node_input(node, 0), dims, &rank) && rank >= 1) {
        int axis = rank - 1;
        if (is_gemm)
            axis = ol_node_attr_int(node, "transA", 0) ? 0 : 1;
        if (axis < rank && dims[axis] >= 0) {
            *k = (uint64_t)dims[axis];
            return true;
        }
    }
    if (static_dims(node_input(node, b_index), dims, &rank) && rank >= 1) {
        int axis = rank >= 2 ? rank - 2 : 0;
        if (is_gemm)
            axis = ol_node_attr_int(node, "transB", 0) ? 1 : 0;
        if (axis < rank && dims[axis] >= 0) {
            *k = (uint64_t)dims[axis];
            return true;
        }
    }
    return false;
}

static bool pool_window(const ol_node *node, uint64_t *out)
{
    size_t n;
    const int64_t *kernel = ol_node_attr_ints(node, "kernel_shape", &n);
    if (!kernel || n == 0 || n > OL_MAX_RANK)
        return false;
    return dims_product(kernel, 0, (int)n, out);
}

static size_t present_inputs(const ol_node *node)
{
    size_t n = 0;
    for (size_t i = 0; i < node->n_inputs; i++)
        n += node->inputs[i] != NULL;
    return n;
}

static bool apply_rule(const ol_node *node, const mac_model *model, uint64_t *macs)
{
    const ol_value *y = node->n_outputs ? node->outputs[0] : NULL;
    uint64_t a, b;
    switch (model->rule) {
    case RULE_CONV:
        return value_numel(y, &a) && weight_fan(node, model->arg, &b) && mul_u64(a, b, macs);
    case RULE_CONV_TRANSPOSE:
        return value_numel(node_input(node, 0), &a) && weight_fan(node, model->arg, &b) &&
               mul_u64(a, b, macs);
    case RULE_GEMM:
    case RULE_MATMUL:
        return value_numel(y, &a) &&
               reduction_length(node, model->arg, model->rule == RULE_GEMM, &b) &&
               mul_u64(a, b, macs);
    case RULE_PER_OUTPUT: return value_numel(y, &a) && mul_u64(a, (uint64_t)model->arg, macs);
    case RULE_PER_INPUT:
        return value_numel(node_input(node, 0), &a) && mul_u64(a, (uint64_t)model->arg, macs);
    case RULE_PER_EXTRA_INPUT: {
        size_t inputs = present_inputs(node);
        return value_numel(y, &a) && mul_u64(a, inputs > 1 ? inputs - 1 : 1, macs);
    }
    case RULE_POOL_WINDOW:
        return value_numel(y, &a) && pool_window(node, &b) && mul_u64(a, b, macs);
    }
    return false;
}

ol_node_macs ol_node_mac_count(const ol_node *node)
{
    ol_node_macs result = {.mac_class = OL_MACS_NONE, .known = true, .macs = 0};
    if (node->domain[0] != '\0' && strcmp(node->domain, "ai.onnx") != 0)
        return result;
    const mac_model *model =
        find_model(LINEAR_MODELS, sizeof LINEAR_MODELS / sizeof *LINEAR_MODELS, node->op_type);
    result.mac_class = OL_MACS_LINEAR;
    if (!model) {
        model = find_model(OTHER_MODELS, sizeof OTHER_MODELS / sizeof *OTHER_MODELS, node->op_type);
        result.mac_class = OL_MACS_OTHER;
    }
    if (!model) {
        result.mac_class = OL_MACS_NONE;
        return result;
    }
    uint64_t macs = 0;
    result.known = apply_rule(node, model, &macs);
    result.macs = result.known ? macs : 0;
    return result;
}

const char *ol_mac_class_name(ol_mac_class mac_class)
{
    switch (mac_class) {
    case OL_MACS_LINEAR: return "linear";
    case OL_MACS_OTHER: return "other";
    case OL_MACS_NONE: return "none";
    }
    return "none";
}
