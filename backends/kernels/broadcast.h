/* Numpy-style broadcasting, shared by every kernel that combines tensors of different shapes
 * (binary math, Where, Expand, scale/bias of normalizations).
 *
 * A plan maps each output element to one element of every input. Adjacent dimensions that all
 * inputs traverse contiguously (or all repeat) are merged, so the work becomes a few long rows in
 * which each input either advances by one element or repeats one element. Kernels supply a row
 * function for those two cases and the plan drives it, on several threads when the output is large. */
#ifndef OL_KERNELS_BROADCAST_H
#define OL_KERNELS_BROADCAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/ktensor.h"

/* Most inputs one plan combines (Where has three). */
#define OL_BCAST_MAX_INPUTS 4

/* Broadcasts n shapes (numpy rules: right-aligned, each dimension equal or 1). Returns -1 and the
 * output shape on success, else the index of the first shape that does not broadcast with those
 * before it. */
int ol_broadcast_dims(int n, const int *ranks, const int64_t *const *dims, int *out_rank,
                      int64_t *out_dims);
int ol_broadcast_shapes(int n, const ol_ktensor *const *inputs, int *out_rank, int64_t *out_dims);

/* True when a tensor of shape (rank, dims) broadcasts to (out_rank, out_dims) without changing it
 * (the unidirectional broadcasting of PRelu, Expand's input, scale/bias operands). */
bool ol_broadcasts_to(int rank, const int64_t *dims, int out_rank, const int64_t *out_dims);

typedef struct ol_bcast_plan {
    int n_inputs;
    int rank;                                             /* after merging; >= 1 */
    int64_t dims[OL_KMAX_RANK];                           /* merged output dims */
    int64_t strides[OL_BCAST_MAX_INPUTS][OL_KMAX_RANK];   /* element strides; 0 where repeated */
    int64_t numel;                                        /* output elements */
} ol_bcast_plan;

/* Plans reading inputs of shapes (ranks[k], dims[k]) for every element of the output shape. False
 * when n_inputs is outside 1..OL_BCAST_MAX_INPUTS or an input does not broadcast to the output. */
bool ol_bcast_plan_init(ol_bcast_plan *p, int n_inputs, const int *ranks, const int64_t *const *dims,
                        int out_rank, const int64_t *out_dims);
bool ol_bcast_plan_tensors(ol_bcast_plan *p, int n_inputs, const ol_ktensor *const *inputs,
                           const ol_ktensor *out);

/* Elements in one row of the plan, and how input k moves along it (1 or 0). */
static inline int64_t ol_bcast_row_length(const ol_bcast_plan *p)
{
    return p->dims[p->rank - 1];
}
static inline int64_t ol_bcast_inner_stride(const ol_bcast_plan *p, int k)
{
    return p->strides[k][p->rank - 1];
}

/* Position at the start of a row, for callers that write their own loops:
 *     ol_bcast_cursor c; ol_bcast_cursor_seek(p, &c, 0);
 *     for (int64_t r = 0; r < rows; r++, ol_bcast_cursor_next(p, &c)) ... c.offset[k] ...
 * where rows = numel / row length and c.offset[k] is input k's element offset of the row start. */
typedef struct ol_bcast_cursor {
    int64_t index[OL_KMAX_RANK];
    int64_t offset[OL_BCAST_MAX_INPUTS];
} ol_bcast_cursor;

void ol_bcast_cursor_seek(const ol_bcast_plan *p, ol_bcast_cursor *c, int64_t row);
void ol_bcast_cursor_next(const ol_bcast_plan *p, ol_bcast_cursor *c);

/* Element offset in input k of output element `index` (random access; slower than the cursor). */
int64_t ol_bcast_input_offset(const ol_bcast_plan *p, int k, int64_t index);

/* Writes n output elements; input k is read at in[k][j * stride[k]] for j < n (stride 0 or 1). */
typedef void (*ol_bcast_row_fn)(void *out, const void *const *in, const int64_t *stride, int64_t n,
                                const void *params);

/* Calls fn over the whole output, in row pieces. out_elem and in_elem[k] are element sizes in
 * bytes. Outputs of more than 64Ki elements are split across `threads` OpenMP threads (<= 0: the
 * OpenMP default); fn must then be safe to call concurrently on disjoint pieces. */
void ol_bcast_run(const ol_bcast_plan *p, void *out, size_t out_elem, const void *const *in,
                  const size_t *in_elem, ol_bcast_row_fn fn, const void *params, int threads);

/* Splits [0, n) into pieces for fn(start, end, ctx), on several threads when n > 64Ki and
 * threads != 1. Pieces start at multiples of `align` (for packed sub-byte data). */
void ol_parallel_ranges(int64_t n, int64_t align, int threads,
                        void (*fn)(int64_t start, int64_t end, void *ctx), void *ctx);

#endif
