/* Convolution and transposed convolution over [N, C, spatial...] tensors, float32 and float64.
 * Convolution lowers to GEMM (float32: sgemm_packed.h, with weights packed once when the caller
 * prepares them with ol_conv_pack; float64: OpenBLAS): 1x1 stride-1 unpadded kernels use the input
 * as the matrix directly, 3x3 stride-1 ones go through Winograd F(2x2, 3x3), other stride-1 ones
 * with few output channels through kn2row, the rest through im2col; depthwise convolution has a
 * direct kernel. An activation and a residual sum can be fused into the last pass over the output
 * (FusedConv). */
#ifndef OL_KERNELS_CONV_H
#define OL_KERNELS_CONV_H

#include <stdbool.h>
#include <stddef.h>

#include "kernels/ktensor.h"
#include "kernels/sgemm_packed.h"
#include "kernels/window.h"

/* An activation fused into the convolution's last pass over its output (FusedConv). */
typedef enum ol_conv_activation {
    OL_CONV_ACT_NONE,
    OL_CONV_ACT_RELU,
    OL_CONV_ACT_CLIP,          /* alpha = min, beta = max */
    OL_CONV_ACT_LEAKY_RELU,    /* alpha */
    OL_CONV_ACT_SIGMOID,
    OL_CONV_ACT_TANH,
    OL_CONV_ACT_HARD_SIGMOID,  /* max(0, min(1, alpha * v + beta)) */
    OL_CONV_ACT_HARD_SWISH,    /* v * max(0, min(1, alpha * v + beta)); HardSwish: alpha 1/6, beta 1/2 */
    OL_CONV_ACT_SWISH,         /* v * sigmoid(v) (SiLU) */
} ol_conv_activation;

/* The ways ol_conv computes a convolution. */
typedef enum ol_conv_path {
    OL_CONV_PATH_NONE,
    OL_CONV_PATH_GEMM,         /* pointwise or im2col, one GEMM per group */
    OL_CONV_PATH_WINOGRAD,     /* 16 GEMMs */
    OL_CONV_PATH_KN2ROW,       /* one GEMM */
    OL_CONV_PATH_DEPTHWISE,    /* no GEMM */
} ol_conv_path;

/* Filters transformed once for a path of ol_conv (ol_conv_pack), for callers that run the same
 * weights many times; NULL members are computed per call. */
typedef struct ol_conv_packed {
    float *winograd;     /* Winograd's transformed filters, [16][M][C] */
    float *kn2row;       /* kn2row's tap-major filters, [taps][M][C] */
    /* The left operands of gemm_path's GEMMs, packed (sgemm_packed.h), in the order it runs them. */
    ol_sgemm_packed_a *gemm;
    int64_t n_gemm;
    ol_conv_path gemm_path;
} ol_conv_packed;

typedef struct ol_conv_params {
    ol_window win;       /* resolved geometry (ol_window_resolve) */
    int64_t group;
    int threads;         /* OpenMP threads for the loops BLAS does not cover; 0: the OpenMP default */
    ol_conv_activation activation;
    float alpha, beta;   /* the activation's parameters (HardSwish: x * clamp(alpha * x + beta, 0, 1)) */
    const ol_conv_packed *packed;   /* w's prepared forms, or NULL */
} ol_conv_params;

/* Fills the members of `packed` that the path ol_conv takes for these shapes uses and that are
 * still NULL (malloc'ed; ol_conv_packed_free releases them). False when out of memory. */
bool ol_conv_pack(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w, ol_conv_packed *packed);
void ol_conv_packed_free(ol_conv_packed *packed);
/* The path ol_conv takes for these operands. */
ol_conv_path ol_conv_path_of(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w);
/* p->packed's GEMM operand i when it was packed for `path`, else NULL. */
const ol_sgemm_packed_a *ol_conv_packed_gemm(const ol_conv_params *p, ol_conv_path path, int64_t i);
/* Scratch bytes the packed GEMMs of `path` need for N columns (0 when nothing is packed for it). */
size_t ol_conv_gemm_workspace(const ol_conv_params *p, ol_conv_path path, int64_t N);

/* True when every spatial axis is a 1-wide kernel at stride 1 without padding: the input [C, HW]
 * is already the GEMM operand. */
bool ol_conv_is_pointwise(const ol_window *win);
/* True when each channel is convolved with its own filter (group == C_in == C_out). */
bool ol_conv_is_depthwise(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w);

/* Scratch bytes ol_conv needs for x [N, C, in...], w [M, C/group, k...], y [N, M, out...]. */
size_t ol_conv_scratch_bytes(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w,
                             const ol_ktensor *y);
/* y = activation(conv(x, w) + b + sum). b is [M] or NULL, sum is NULL or shaped like y (a residual
 * input). All tensors share one dtype (float32 or float64); shapes are consistent with p (checked by
 * the caller). */
void ol_conv(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w, const ol_ktensor *b,
             const ol_ktensor *sum, ol_ktensor *y, void *scratch);

/* For the convolution kernels: y[i] = activation(y[i] + bias + sum[i]) over n values (sum may be
 * NULL), in the pass that finishes a stretch of output while it is still in cache. */
bool ol_conv_has_epilogue(const ol_conv_params *p, const float *sum);
void ol_conv_epilogue_f32(const ol_conv_params *p, float bias, const float *sum, float *y, int64_t n);
void ol_conv_epilogue_f64(const ol_conv_params *p, double bias, const double *sum, double *y, int64_t n);

/* The depthwise kernel for float32, 1-D or 2-D (a 1-D input is a 2-D one with height 1):
 * x [N, C, H, W], w [C, 1, KH, KW], bias [C] or NULL, y [N, C, OH, OW]; p->win is 2-D. A
 * register-blocked path serves 3x3 filters at stride 2 (rows of 16 outputs or more) and stride 1
 * (64 or more); every other shape goes through stride-phase planes with one vectorized pass per
 * group of nine taps. Exposed for tests and benchmarks; ol_conv routes here. scratch holds
 * ol_conv_depthwise_scratch_bytes(p, {H, W}, {OH, OW}) bytes. */
size_t ol_conv_depthwise_scratch_bytes(const ol_conv_params *p, const int64_t *in, const int64_t *out);
void ol_conv_depthwise_f32(const ol_conv_params *p, const float *x, const int64_t *x_dims, const float *w,
                           const float *bias, const float *sum, float *y, const int64_t *y_dims, void *scratch);

/* Winograd F(2x2, 3x3) for float32 3x3 stride-1 undilated ungrouped convolutions with at least 16
 * input and output channels and enough output positions; ol_conv routes there. Uses p->packed's
 * filters when given (ol_conv_winograd_pack, 16 * M * C floats). */
bool ol_conv_winograd_applies(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w);
void ol_conv_winograd_pack(const ol_ktensor *w, float *u, int threads);
size_t ol_conv_winograd_scratch_bytes(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w,
                                      const ol_ktensor *y);
void ol_conv_winograd(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w, const ol_ktensor *b,
                      const ol_ktensor *sum, ol_ktensor *y, void *scratch);

/* Stride-1 float32 convolution (1-D/2-D, ungrouped) with at most half as many output as input
 * channels, as one GEMM over the input and shifted additions of its per-tap results; ol_conv routes
 * there when Winograd does not apply. */
bool ol_conv_kn2row_applies(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w);
/* W [M, C, taps] -> [taps, M, C] (taps * M * C floats), what p->packed->kn2row holds. */
void ol_conv_kn2row_pack(const ol_ktensor *w, float *wr);
size_t ol_conv_kn2row_scratch_bytes(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w);
void ol_conv_kn2row(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w, const ol_ktensor *b,
                    const ol_ktensor *sum, ol_ktensor *y, void *scratch);

/* Transposed convolution: x [N, C, in...], w [C, M/group, k...], y [N, M, out...] with
 * out[d] = (in[d]-1)*stride - pad_begin - pad_end + extent + output_padding (or the shape the
 * caller chose); b is [M] or NULL. Taps that fall outside y are dropped. */
size_t ol_conv_transpose_scratch_bytes(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w);
void ol_conv_transpose(const ol_conv_params *p, const ol_ktensor *x, const ol_ktensor *w,
                       const ol_ktensor *b, ol_ktensor *y, void *scratch);

#endif
