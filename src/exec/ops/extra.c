/* The extra family's table: ops whose glue lives in the extra_*.c files. */
#include "exec/ops/extra_ops.h"

#define F16 OL_OP_F16_VIA_F32

const ol_op_def ol_ops_extra[] = {
    {"Attention", "", 23, ol_run_attention, F16},
    {"NegativeLogLikelihoodLoss", "", 12, ol_run_nll_loss, F16},
    {"SoftmaxCrossEntropyLoss", "", 12, ol_run_softmax_cross_entropy, F16},
    {"Scan", "", 8, ol_run_scan, 0},
    {"GridSample", "", 16, ol_run_grid_sample, F16},
    {"AffineGrid", "", 20, ol_run_affine_grid, F16},
    {"RotaryEmbedding", "", 23, ol_run_rotary_embedding, F16},
    {"CumProd", "", 26, ol_run_cumprod, 0},
    {"LpNormalization", "", 1, ol_run_lp_normalization, F16},
    {"EyeLike", "", 9, ol_run_eye_like, 0},
    {"Compress", "", 9, ol_run_compress, 0},
    {"Unique", "", 11, ol_run_unique, 0},
    {"CenterCropPad", "", 18, ol_run_center_crop_pad, 0},
    {"ReverseSequence", "", 10, ol_run_reverse_sequence, 0},
    {"Col2Im", "", 18, ol_run_col2im, F16},
    {"MaxUnpool", "", 9, ol_run_max_unpool, 0},
    {"RNN", "", 7, ol_run_rnn, F16},
    {"GRU", "", 7, ol_run_gru, F16},
    {"LSTM", "", 7, ol_run_lstm, F16},
    {"NonMaxSuppression", "", 10, ol_run_non_max_suppression, 0},
    {"RoiAlign", "", 10, ol_run_roi_align, F16},
    {"SwiGLU", "", 28, ol_run_swiglu, F16},
    {"LinearAttention", "", 27, ol_run_linear_attention, F16},
    {"CausalConvWithState", "", 27, ol_run_causal_conv_with_state, F16},
    {"TensorScatter", "", 24, ol_run_tensor_scatter, 0},
    {0},
};
