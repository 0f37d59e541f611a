#include "kernels/slice.h"

#include <stdlib.h>

#include "kernels/axis_gather.h"

void ol_slice_axis(int64_t dim, int64_t start, int64_t end, int64_t step, int64_t *first,
                   int64_t *count)
{
    if (start < 0)
        start += dim;
    if (end < 0)
        end += dim;
    int64_t span;
    if (step > 0) {
        start = start < 0 ? 0 : start > dim ? dim : start;
        end = end < 0 ? 0 : end > dim ? dim : end;
        span = end - start;
    } else {
        start = start < 0 ? 0 : start > dim - 1 ? dim - 1 : start;
        end = end < -1 ? -1 : end > dim - 1 ? dim - 1 : end;
        span = dim == 0 ? 0 : start - end;
        if (start < 0)
            start = 0;   /* empty axis: nothing is read */
    }
    int64_t stride = step > 0 ? step : step == INT64_MIN ? INT64_MAX : -step;
    *first = start;
    *count = span <= 0 ? 0 : (span - 1) / stride + 1;
}

/* Index maps live in one allocation: sum of y's dims entries. */
static int64_t **alloc_maps(const ol_ktensor *y)
{
    size_t total = 0, rank = (size_t)y->rank;
    for (int d = 0; d < y->rank; d++)
        total += (size_t)y->dims[d];
    /* Callers pass non-empty tensors, whose dims are each at most their element count; the bound
     * keeps the size computation visibly safe. */
    if (total > ((size_t)1 << 40))
        return NULL;
    int64_t **maps = malloc(sizeof(int64_t *) * (rank + 1) + sizeof(int64_t) * (total + 1));
    if (!maps)
        return NULL;
    int64_t *at = (int64_t *)(maps + rank + 1);
    for (int d = 0; d < y->rank; d++) {
        maps[d] = at;
        at += y->dims[d];
    }
    return maps;
}

static ol_status gather_and_free(const ol_ktensor *x, ol_ktensor *y, int64_t **maps, const void *fill)
{
    ol_status st = ol_axis_gather(x, y, (const int64_t *const *)maps, fill);
    free(maps);
    return st;
}

ol_status ol_slice(const ol_ktensor *x, ol_ktensor *y, const int64_t *first, const int64_t *steps)
{
    if (ol_ktensor_numel(y) == 0)
        return OL_OK;
    int64_t **maps = alloc_maps(y);
    if (!maps)
        return OL_ERR_NOMEM;
    for (int d = 0; d < y->rank; d++)
        for (int64_t i = 0; i < y->dims[d]; i++)
            maps[d][i] = first[d] + i * steps[d];
    return gather_and_free(x, y, maps, NULL);
}

static int64_t pad_source(int64_t s, int64_t n, ol_pad_mode mode)
{
    if (s >= 0 && s < n)
        return s;
    switch (mode) {
    case OL_PAD_EDGE:
        return s < 0 ? 0 : n - 1;
    case OL_PAD_WRAP:
        return (s % n + n) % n;
    case OL_PAD_REFLECT: {
        if (n == 1)
            return 0;
        int64_t period = 2 * (n - 1), m = (s % period + period) % period;
        return m < n ? m : period - m;
    }
    case OL_PAD_CONSTANT:
    default:
        return -1;
    }
}

ol_status ol_pad(const ol_ktensor *x, ol_ktensor *y, const int64_t *begin, ol_pad_mode mode,
                 const void *fill)
{
    if (ol_ktensor_numel(y) == 0)
        return OL_OK;
    int64_t **maps = alloc_maps(y);
    if (!maps)
        return OL_ERR_NOMEM;
    for (int d = 0; d < y->rank; d++)
        for (int64_t i = 0; i < y->dims[d]; i++)
            maps[d][i] = pad_source(i - begin[d], x->dims[d], mode);
    return gather_and_free(x, y, maps, fill);
}

ol_status ol_tile(const ol_ktensor *x, ol_ktensor *y)
{
    if (ol_ktensor_numel(y) == 0)
        return OL_OK;
    int64_t **maps = alloc_maps(y);
    if (!maps)
        return OL_ERR_NOMEM;
    for (int d = 0; d < y->rank; d++)
        for (int64_t i = 0; i < y->dims[d]; i++)
            maps[d][i] = i % x->dims[d];
    return gather_and_free(x, y, maps, NULL);
}

ol_status ol_expand(const ol_ktensor *x, ol_ktensor *y)
{
    if (ol_ktensor_numel(y) == 0)
        return OL_OK;
    int64_t **maps = alloc_maps(y);
    if (!maps)
        return OL_ERR_NOMEM;
    for (int d = 0; d < y->rank; d++)
        for (int64_t i = 0; i < y->dims[d]; i++)
            maps[d][i] = x->dims[d] == 1 ? 0 : i;
    return gather_and_free(x, y, maps, NULL);
}
