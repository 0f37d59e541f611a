#include "kernels/concat.h"

#include <string.h>

#include "kernels/axis_gather.h"

/* Elements before `axis` (outer) and from `axis` on, per unit of the axis (inner). */
static void outer_inner(const ol_ktensor *t, int axis, int64_t *outer, int64_t *inner)
{
    *outer = 1;
    *inner = 1;
    for (int d = 0; d < axis; d++)
        *outer *= t->dims[d];
    for (int d = axis + 1; d < t->rank; d++)
        *inner *= t->dims[d];
}

void ol_concat(const ol_ktensor *const *xs, size_t n, int axis, ol_ktensor *y)
{
    size_t es = ol_elem_size(y->dtype);
    int64_t outer, inner;
    outer_inner(y, axis, &outer, &inner);
    size_t row = (size_t)(y->dims[axis] * inner) * es;
    size_t at = 0;
    for (size_t k = 0; k < n; k++) {
        size_t chunk = (size_t)(xs[k]->dims[axis] * inner) * es;
        const uint8_t *src = xs[k]->data;
        uint8_t *dst = (uint8_t *)y->data + at;
        for (int64_t o = 0; chunk && o < outer; o++)
            memcpy(dst + (size_t)o * row, src + (size_t)o * chunk, chunk);
        at += chunk;
    }
}

void ol_split(const ol_ktensor *x, int axis, ol_ktensor *const *ys, size_t n)
{
    size_t es = ol_elem_size(x->dtype);
    int64_t outer, inner;
    outer_inner(x, axis, &outer, &inner);
    size_t row = (size_t)(x->dims[axis] * inner) * es;
    size_t at = 0;
    for (size_t k = 0; k < n; k++) {
        size_t chunk = (size_t)(ys[k]->dims[axis] * inner) * es;
        const uint8_t *src = (const uint8_t *)x->data + at;
        uint8_t *dst = ys[k]->data;
        for (int64_t o = 0; chunk && o < outer; o++)
            memcpy(dst + (size_t)o * chunk, src + (size_t)o * row, chunk);
        at += chunk;
    }
}
