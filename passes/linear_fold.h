/* Folding per-channel affine maps into the weights of Conv, ConvTranspose and Gemm (internal to
 * passes/), shared by fuse-bn and fold-scale-into-conv. New weights are computed in double from the
 * original ones and rounded once to the weight type. */
#ifndef OL_PASSES_LINEAR_FOLD_H
#define OL_PASSES_LINEAR_FOLD_H

#include <stdbool.h>
#include <stdint.h>

#include "onnxlite/ir.h"

typedef enum linear_kind { LINEAR_CONV, LINEAR_CONV_TRANSPOSE, LINEAR_GEMM } linear_kind;

typedef struct linear_layer {
    ol_node *node;
    linear_kind kind;
    ol_value *weight;         /* Conv/ConvTranspose W, Gemm B */
    ol_value *bias;           /* Conv/ConvTranspose B, Gemm C; NULL when absent */
    ol_dtype dtype;
    int rank;                 /* of the output (= of W for convolutions, 2 for Gemm) */
    int64_t out_channels;     /* size of output axis 1 (Gemm: N) */
    int64_t in_channels;      /* size of input axis 1 (Gemm: K) */
    int64_t group;
    bool trans_a, trans_b;    /* Gemm */
    double beta;              /* Gemm */
} linear_layer;

/* `node` is a default-domain Conv, ConvTranspose or Gemm with float weights that are constants read
 * by this node only (so they can be rewritten in place) and a bias that is absent or the same. */
bool linear_layer_match(ol_node *node, linear_layer *out);

/* Makes the layer compute y[c] * scale[c] + shift[c] for every output channel c (scale NULL: 1,
 * shift NULL: 0). A missing bias is added. */
ol_status linear_layer_fold_affine(ol_graph *graph, linear_layer *layer, const double *scale,
                                   const double *shift, ol_error *err);

/* Makes the layer compute as if input channel c had been multiplied by scale[c]. */
ol_status linear_layer_scale_inputs(linear_layer *layer, const double *scale, ol_error *err);

/* The layer reads x through a map x[c] * scale[c] + shift[c] of its input channels that it can
 * absorb: a Conv without padding (padding would feed zeros where the map gives shift) or a Gemm
 * reading A untransposed. Scaling alone (shift 0) works through padding and is
 * linear_layer_scale_inputs. */
bool linear_layer_takes_input_affine(const linear_layer *layer);

/* Makes the layer compute as if input channel c had been mapped to x * scale[c] + shift[c] (scale
 * NULL: 1): the weights absorb the scale and the bias the weights' sum over the shift (a missing bias
 * is added). Only for layers linear_layer_takes_input_affine accepts. */
ol_status linear_layer_fold_input_affine(ol_graph *graph, linear_layer *layer, const double *scale,
                                         const double *shift, ol_error *err);

/* Reads a constant that is broadcast against a tensor of rank `rank` as one value per index of axis
 * `axis` (`channels` of them): it must not grow the tensor, so its rank is at most `rank` and every
 * dim is 1 except possibly the one aligned with `axis`, which is 1 or `channels`. */
bool channel_values(const ol_tensor *c, int rank, int axis, int64_t channels, double *out);

#endif
