/* Axis permutations of dense tensors of any byte-sized element type, and the block rearrangements
 * built on them (DepthToSpace, SpaceToDepth). */
#ifndef OL_KERNELS_TRANSPOSE_H
#define OL_KERNELS_TRANSPOSE_H

#include <stdbool.h>

#include "kernels/ktensor.h"

/* y->dims[i] == x->dims[perm[i]]; perm is a permutation of 0..rank-1. Size-1 axes are dropped and
 * axes that stay adjacent are merged first, so e.g. NCHW<->NHWC becomes a batched 2-D transpose,
 * which runs in cache-sized tiles. */
void ol_transpose(const ol_ktensor *x, ol_ktensor *y, const int *perm);

/* x: [N, C, H, W] -> y: [N, C / (b*b), H*b, W*b]. crd selects the CRD channel order, else DCR. */
void ol_depth_to_space(const ol_ktensor *x, ol_ktensor *y, int64_t blocksize, bool crd);
/* x: [N, C, H, W] -> y: [N, C*b*b, H/b, W/b]. */
void ol_space_to_depth(const ol_ktensor *x, ol_ktensor *y, int64_t blocksize);

#endif
