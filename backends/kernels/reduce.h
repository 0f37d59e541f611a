/* Reductions, arg-reductions, TopK and CumSum, generic over numeric dtypes. */
#ifndef OL_KERNELS_REDUCE_H
#define OL_KERNELS_REDUCE_H

#include <stdbool.h>
#include <stdint.h>

#include "kernels/ktensor.h"

typedef enum ol_reduce_op {
    OL_REDUCE_SUM,
    OL_REDUCE_MEAN,
    OL_REDUCE_MAX,
    OL_REDUCE_MIN,
    OL_REDUCE_PROD,
    OL_REDUCE_L1,
    OL_REDUCE_L2,
    OL_REDUCE_LOG_SUM,
    OL_REDUCE_LOG_SUM_EXP,
    OL_REDUCE_SUM_SQUARE,
} ol_reduce_op;

/* Reduces x over the axes whose bit is set in `axes` into y, whose element count is the product of
 * the kept dims (keepdims only changes y's shape, not its layout). y has x's dtype. `acc` is
 * scratch of numel(y) doubles. Float32 reductions over trailing axes take a fast path. */
void ol_reduce(const ol_ktensor *x, uint64_t axes, ol_reduce_op op, ol_ktensor *y, double *acc);

/* Index of the max (or min) along the middle axis of x viewed as [outer][axis][inner]; ties go to
 * the first index, or the last with select_last. */
void ol_argreduce(const ol_ktensor *x, int64_t outer, int64_t axis, int64_t inner, bool max,
                  bool select_last, int64_t *out);

/* The k largest (or smallest) along the middle axis, values in x's dtype and int64 indices; sorted
 * (ties by lower index). `work` is scratch of `axis` entries of ol_topk_item. */
typedef struct ol_topk_item {
    double value;
    int64_t index;
} ol_topk_item;
void ol_topk(const ol_ktensor *x, int64_t outer, int64_t axis, int64_t inner, int64_t k, bool largest,
             void *values, int64_t *indices, ol_topk_item *work);

/* Running sum along the middle axis (exclusive/reverse as ONNX CumSum). */
void ol_cumsum(const ol_ktensor *x, int64_t outer, int64_t axis, int64_t inner, bool exclusive,
               bool reverse, void *y);

#endif
