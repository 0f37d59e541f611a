/* The elementwise family: math, comparison, logic, activations, Where, Cast. The op functions are in
 * elementwise_binary.c, elementwise_unary.c and elementwise_cast.c; kernels in backends/kernels
 * (binary, unary, where, cast, broadcast). since_version is the oldest opset each handles; opset
 * differences (legacy broadcast attributes before 7, Clip's attributes before 11) are resolved in
 * the op functions. */
#include "exec/ops/elementwise_ops.h"

#define F16 OL_OP_F16_VIA_F32

const ol_op_def ol_ops_elementwise[] = {
    /* binary arithmetic, numpy broadcasting (legacy broadcast/axis attributes before opset 7) */
    {"Add", "", 1, ol_run_add, F16},
    {"Sub", "", 1, ol_run_sub, F16},
    {"Mul", "", 1, ol_run_mul, F16},
    {"Div", "", 1, ol_run_div, F16},
    {"Pow", "", 1, ol_run_pow, F16},
    {"Mod", "", 10, ol_run_mod, F16},
    {"PRelu", "", 1, ol_run_prelu, F16},
    {"BitShift", "", 11, ol_run_bit_shift, 0},
    {"BitwiseAnd", "", 18, ol_run_bitwise_and, 0},
    {"BitwiseOr", "", 18, ol_run_bitwise_or, 0},
    {"BitwiseXor", "", 18, ol_run_bitwise_xor, 0},
    /* variadic */
    {"Max", "", 1, ol_run_max, F16},
    {"Min", "", 1, ol_run_min, F16},
    {"Sum", "", 1, ol_run_sum, F16},
    {"Mean", "", 1, ol_run_mean, F16},
    /* comparison and logic */
    {"Equal", "", 1, ol_run_equal, F16},
    {"Greater", "", 1, ol_run_greater, F16},
    {"GreaterOrEqual", "", 12, ol_run_greater_or_equal, F16},
    {"Less", "", 1, ol_run_less, F16},
    {"LessOrEqual", "", 12, ol_run_less_or_equal, F16},
    {"And", "", 1, ol_run_and, 0},
    {"Or", "", 1, ol_run_or, 0},
    {"Xor", "", 1, ol_run_xor, 0},
    {"Not", "", 1, ol_run_not, 0},
    {"BitwiseNot", "", 18, ol_run_bitwise_not, 0},
    {"Where", "", 9, ol_run_where, 0},
    /* unary math */
    {"Neg", "", 1, ol_run_neg, F16},
    {"Abs", "", 1, ol_run_abs, F16},
    {"Sign", "", 9, ol_run_sign, F16},
    {"Reciprocal", "", 1, ol_run_reciprocal, F16},
    {"Floor", "", 1, ol_run_floor, F16},
    {"Ceil", "", 1, ol_run_ceil, F16},
    {"Round", "", 11, ol_run_round, F16},
    {"Sqrt", "", 1, ol_run_sqrt, F16},
    {"Exp", "", 1, ol_run_exp, F16},
    {"Log", "", 1, ol_run_log, F16},
    {"Sin", "", 7, ol_run_sin, F16},
    {"Cos", "", 7, ol_run_cos, F16},
    {"Tan", "", 7, ol_run_tan, F16},
    {"Asin", "", 7, ol_run_asin, F16},
    {"Acos", "", 7, ol_run_acos, F16},
    {"Atan", "", 7, ol_run_atan, F16},
    {"Sinh", "", 9, ol_run_sinh, F16},
    {"Cosh", "", 9, ol_run_cosh, F16},
    {"Asinh", "", 9, ol_run_asinh, F16},
    {"Acosh", "", 9, ol_run_acosh, F16},
    {"Atanh", "", 9, ol_run_atanh, F16},
    {"Erf", "", 9, ol_run_erf, F16},
    {"IsNaN", "", 9, ol_run_is_nan, F16},
    {"IsInf", "", 10, ol_run_is_inf, F16},
    /* activations */
    {"Relu", "", 1, ol_run_relu, F16},
    {"LeakyRelu", "", 1, ol_run_leaky_relu, F16},
    {"Elu", "", 1, ol_run_elu, F16},
    {"Selu", "", 1, ol_run_selu, F16},
    {"Celu", "", 12, ol_run_celu, F16},
    {"Sigmoid", "", 1, ol_run_sigmoid, F16},
    {"HardSigmoid", "", 1, ol_run_hard_sigmoid, F16},
    {"HardSwish", "", 14, ol_run_hard_swish, F16},
    {"Tanh", "", 1, ol_run_tanh, F16},
    {"Softplus", "", 1, ol_run_softplus, F16},
    {"Softsign", "", 1, ol_run_softsign, F16},
    {"Gelu", "", 20, ol_run_gelu, F16},
    {"Mish", "", 18, ol_run_mish, F16},
    {"Swish", "", 24, ol_run_swish, F16},
    {"ThresholdedRelu", "", 10, ol_run_thresholded_relu, F16},
    {"Shrink", "", 9, ol_run_shrink, F16},
    {"Clip", "", 1, ol_run_clip, F16},
    /* conversions (all dtypes handled directly) */
    {"Cast", "", 6, ol_run_cast, 0},
    {"CastLike", "", 15, ol_run_cast_like, 0},
    {0},
};
