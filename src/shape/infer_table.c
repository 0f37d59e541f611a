/* The one table from default-domain op type to inference function. Ops missing here keep their
 * outputs as they are. */
#include <string.h>

#include "shape/infer_internal.h"

typedef struct op_entry {
    const char *op_type;
    infer_fn fn;
} op_entry;

static const op_entry op_table[] = {
    /* Unary ops whose output has the input's type and shape. */
    {"Abs", infer_unary}, {"Acos", infer_unary}, {"Acosh", infer_unary}, {"Asin", infer_unary},
    {"Asinh", infer_unary}, {"Atan", infer_unary}, {"Atanh", infer_unary},
    {"BitwiseNot", infer_unary}, {"Ceil", infer_unary}, {"Celu", infer_unary}, {"Cos", infer_unary},
    {"Cosh", infer_unary}, {"CumProd", infer_unary}, {"CumSum", infer_unary}, {"Elu", infer_unary},
    {"Erf", infer_unary}, {"Exp", infer_unary}, {"Floor", infer_unary}, {"Gelu", infer_unary},
    {"HardSigmoid", infer_unary}, {"HardSwish", infer_unary}, {"LeakyRelu", infer_unary},
    {"Log", infer_unary}, {"LRN", infer_unary}, {"LpNormalization", infer_unary},
    {"MeanVarianceNormalization", infer_unary}, {"Mish", infer_unary}, {"Neg", infer_unary},
    {"Reciprocal", infer_unary}, {"Relu", infer_unary}, {"ReverseSequence", infer_unary},
    {"Round", infer_unary}, {"Selu", infer_unary}, {"Shrink", infer_unary},
    {"Sigmoid", infer_unary}, {"Sign", infer_unary}, {"Sin", infer_unary}, {"Sinh", infer_unary},
    {"Softplus", infer_unary}, {"Softsign", infer_unary}, {"Sqrt", infer_unary},
    {"Swish", infer_unary}, {"Tan", infer_unary}, {"Tanh", infer_unary},
    {"ThresholdedRelu", infer_unary}, {"Trilu", infer_unary},
    {"RMSNormalization", infer_unary}, {"RotaryEmbedding", infer_unary},
    {"Softmax", infer_softmax}, {"LogSoftmax", infer_softmax}, {"Hardmax", infer_softmax},
    {"IsNaN", infer_unary_to_bool}, {"IsInf", infer_unary_to_bool}, {"Not", infer_not},
    {"Clip", infer_unary},

    /* Broadcasting binary and variadic ops. */
    {"Add", infer_binary}, {"Sub", infer_binary}, {"Mul", infer_binary}, {"Div", infer_binary},
    {"Mod", infer_binary}, {"BitShift", infer_binary}, {"BitwiseAnd", infer_binary},
    {"BitwiseOr", infer_binary}, {"BitwiseXor", infer_binary}, {"Pow", infer_pow},
    {"PRelu", infer_prelu},
    {"Equal", infer_compare}, {"Less", infer_compare}, {"Greater", infer_compare},
    {"LessOrEqual", infer_compare}, {"GreaterOrEqual", infer_compare},
    {"And", infer_logical}, {"Or", infer_logical}, {"Xor", infer_logical},
    {"Max", infer_variadic}, {"Min", infer_variadic}, {"Sum", infer_variadic},
    {"Mean", infer_variadic}, {"Where", infer_where},

    /* Convolution, pooling, normalization. */
    {"Conv", infer_conv}, {"ConvInteger", infer_conv_integer}, {"QLinearConv", infer_qlinear_conv},
    {"ConvTranspose", infer_conv_transpose},
    {"MaxPool", infer_pool}, {"AveragePool", infer_pool}, {"LpPool", infer_pool},
    {"GlobalAveragePool", infer_global_pool}, {"GlobalMaxPool", infer_global_pool},
    {"GlobalLpPool", infer_global_pool},
    {"DeformConv", infer_deform_conv}, {"GridSample", infer_grid_sample},
    {"MaxUnpool", infer_max_unpool},
    {"BatchNormalization", infer_batch_norm}, {"InstanceNormalization", infer_same_as_first},
    {"LayerNormalization", infer_layer_norm}, {"GroupNormalization", infer_group_norm},

    /* Matrix products. */
    {"Gemm", infer_gemm}, {"MatMul", infer_matmul}, {"MatMulInteger", infer_matmul_integer},
    {"QLinearMatMul", infer_qlinear_matmul}, {"Einsum", infer_einsum},
    {"Attention", infer_attention},
    {"Det", infer_det},

    /* Shape manipulation. */
    {"Reshape", infer_reshape}, {"Flatten", infer_flatten}, {"Squeeze", infer_squeeze},
    {"Unsqueeze", infer_unsqueeze}, {"Expand", infer_expand}, {"Tile", infer_tile},
    {"Transpose", infer_transpose}, {"Concat", infer_concat}, {"Split", infer_split},
    {"Slice", infer_slice}, {"Pad", infer_pad}, {"DepthToSpace", infer_depth_to_space},
    {"SpaceToDepth", infer_space_to_depth}, {"Shape", infer_shape}, {"Size", infer_size},
    {"Resize", infer_resize}, {"Upsample", infer_upsample},
    {"CenterCropPad", infer_center_crop_pad},

    /* Indexing. */
    {"Gather", infer_gather}, {"GatherElements", infer_gather_elements},
    {"GatherND", infer_gather_nd}, {"Scatter", infer_scatter}, {"ScatterElements", infer_scatter},
    {"ScatterND", infer_scatter}, {"OneHot", infer_one_hot}, {"NonZero", infer_nonzero},
    {"TopK", infer_topk},
    {"NonMaxSuppression", infer_nonmax_suppression}, {"Compress", infer_compress},
    {"Unique", infer_unique},

    /* Reductions. */
    {"ReduceSum", infer_reduce}, {"ReduceMean", infer_reduce}, {"ReduceMax", infer_reduce},
    {"ReduceMin", infer_reduce}, {"ReduceProd", infer_reduce}, {"ReduceL1", infer_reduce},
    {"ReduceL2", infer_reduce}, {"ReduceLogSum", infer_reduce}, {"ReduceLogSumExp", infer_reduce},
    {"ReduceSumSquare", infer_reduce}, {"ArgMax", infer_arg_reduce}, {"ArgMin", infer_arg_reduce},
    {"NegativeLogLikelihoodLoss", infer_loss}, {"SoftmaxCrossEntropyLoss", infer_loss},

    /* Values made from attributes or shapes, and type changes. */
    {"Constant", infer_constant}, {"ConstantOfShape", infer_constant_of_shape},
    {"Range", infer_range}, {"EyeLike", infer_eye_like}, {"RandomNormalLike", infer_random_like},
    {"RandomUniformLike", infer_random_like}, {"Bernoulli", infer_random_like},
    {"RandomNormal", infer_random}, {"RandomUniform", infer_random},
    {"SequenceLength", infer_sequence_length},
    {"Cast", infer_cast}, {"CastLike", infer_cast_like}, {"Identity", infer_identity},
    {"Dropout", infer_dropout},

    /* Quantization. */
    {"QuantizeLinear", infer_quantize_linear}, {"DequantizeLinear", infer_dequantize_linear},
    {"DynamicQuantizeLinear", infer_dynamic_quantize_linear},

    /* Control flow. */
    {"If", infer_if}, {"Loop", infer_loop},

    /* Recurrent layers. */
    {"RNN", infer_recurrent}, {"GRU", infer_recurrent}, {"LSTM", infer_recurrent},
};

infer_fn infer_lookup(const char *op_type)
{
    /* A linear scan over ~150 short strings costs less than the inference it dispatches to. */
    for (size_t i = 0; i < sizeof op_table / sizeof *op_table; i++)
        if (strcmp(op_table[i].op_type, op_type) == 0)
            return op_table[i].fn;
    return NULL;
}
