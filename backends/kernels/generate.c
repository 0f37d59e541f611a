#include "kernels/generate.h"

#include <math.h>
#include <string.h>

#include "kernels/axis_gather.h"

int64_t ol_range_count(double start, double limit, double delta)
{
    double n = ceil((limit - start) / delta);
    if (isnan(n) || isinf(n) || n > 9.0e18)
        return -1;
    return n > 0 ? (int64_t)n : 0;
}

int64_t ol_range_count_int(int64_t start, int64_t limit, int64_t delta)
{
    /* Spans and steps as uint64_t: limit - start and -INT64_MIN do not fit int64_t. */
    if (delta > 0 ? limit <= start : limit >= start)
        return 0;
    uint64_t span = delta > 0 ? (uint64_t)limit - (uint64_t)start : (uint64_t)start - (uint64_t)limit;
    uint64_t step = delta > 0 ? (uint64_t)delta : (uint64_t)(-(delta + 1)) + 1;
    uint64_t count = (span - 1) / step + 1;
    return count > (uint64_t)INT64_MAX ? -1 : (int64_t)count;
}

#define RANGE_INT(type)                                                                           \
    do {                                                                                          \
        type s = *(const type *)start->data, d = *(const type *)delta->data, *o = y->data;        \
        for (int64_t i = 0; i < n; i++)                                                           \
            o[i] = (type)((int64_t)s + i * (int64_t)d);                                           \
    } while (0)

#define RANGE_FLOAT(type)                                                                         \
    do {                                                                                          \
        double s = *(const type *)start->data, d = *(const type *)delta->data;                    \
        type *o = y->data;                                                                        \
        for (int64_t i = 0; i < n; i++)                                                           \
            o[i] = (type)(s + (double)i * d);                                                     \
    } while (0)

bool ol_range(const ol_ktensor *start, const ol_ktensor *delta, ol_ktensor *y)
{
    int64_t n = ol_ktensor_numel(y);
    switch (y->dtype) {
    case OL_FLOAT: RANGE_FLOAT(float); break;
    case OL_DOUBLE: RANGE_FLOAT(double); break;
    case OL_INT16: RANGE_INT(int16_t); break;
    case OL_INT32: RANGE_INT(int32_t); break;
    case OL_INT64: {
        /* start + i * delta stays between start and limit, so only the product can overflow:
         * accumulate instead. */
        int64_t v = *(const int64_t *)start->data, d = *(const int64_t *)delta->data, *o = y->data;
        for (int64_t i = 0; i < n; i++, v = (int64_t)((uint64_t)v + (uint64_t)d))
            o[i] = v;
        break;
    }
    default:
        return false;
    }
    return true;
}

void ol_trilu(const ol_ktensor *x, ol_ktensor *y, int64_t k, bool upper)
{
    size_t es = ol_elem_size(x->dtype);
    int64_t rows = x->dims[x->rank - 2], cols = x->dims[x->rank - 1];
    int64_t total = ol_ktensor_numel(x), mats = rows > 0 && cols > 0 ? total / (rows * cols) : 0;
    const uint8_t *src = x->data;
    uint8_t *dst = y->data;
    size_t row_bytes = (size_t)cols * es;
    for (int64_t m = 0; m < mats; m++)
        for (int64_t i = 0; i < rows; i++) {
            const uint8_t *s = src + (size_t)(m * rows + i) * row_bytes;
            uint8_t *d = dst + (size_t)(m * rows + i) * row_bytes;
            /* Kept columns form one interval [lo, hi) of the row. */
            int64_t lo = upper ? i + k : 0, hi = upper ? cols : i + k + 1;
            lo = lo < 0 ? 0 : lo > cols ? cols : lo;
            hi = hi < lo ? lo : hi > cols ? cols : hi;
            memset(d, 0, (size_t)lo * es);
            if (d != s)
                memcpy(d + (size_t)lo * es, s + (size_t)lo * es, (size_t)(hi - lo) * es);
            memset(d + (size_t)hi * es, 0, (size_t)(cols - hi) * es);
        }
}

void ol_onehot(const int64_t *indices, int64_t outer, int64_t depth, int64_t inner, const void *off,
               const void *on, ol_ktensor *y)
{
    size_t es = ol_elem_size(y->dtype);
    uint8_t *dst = y->data;
    ol_fill_elems(dst, outer * depth * inner, off, es);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t d = indices[o * inner + i];
            if (d >= 0 && d < depth)
                memcpy(dst + (size_t)((o * depth + d) * inner + i) * es, on, es);
        }
}

static bool is_nonzero(const ol_ktensor *x, int64_t i, size_t es)
{
    const uint8_t *p = (const uint8_t *)x->data + (size_t)i * es;
    switch (x->dtype) {
    case OL_FLOAT: {
        float v;
        memcpy(&v, p, sizeof v);
        return v != 0.0f;
    }
    case OL_DOUBLE: {
        double v;
        memcpy(&v, p, sizeof v);
        return v != 0.0;
    }
    case OL_FLOAT16:
    case OL_BFLOAT16: {
        uint16_t h;
        memcpy(&h, p, sizeof h);
        return (h & 0x7fff) != 0;   /* +0 and -0 differ only in the sign bit */
    }
    default:
        for (size_t b = 0; b < es; b++)
            if (p[b])
                return true;
        return false;
    }
}

int64_t ol_nonzero_count(const ol_ktensor *x)
{
    size_t es = ol_elem_size(x->dtype);
    int64_t n = ol_ktensor_numel(x), count = 0;
    for (int64_t i = 0; i < n; i++)
        count += is_nonzero(x, i, es);
    return count;
}

void ol_nonzero(const ol_ktensor *x, int64_t count, int64_t *y)
{
    size_t es = ol_elem_size(x->dtype);
    int64_t n = ol_ktensor_numel(x), coord[OL_KMAX_RANK] = {0}, at = 0;
    int rank = x->rank;
    for (int64_t i = 0; i < n; i++) {
        if (is_nonzero(x, i, es)) {
            if (rank == 0)
                y[at] = 0;
            for (int d = 0; d < rank; d++)
                y[d * count + at] = coord[d];
            at++;
        }
        for (int d = rank - 1; d >= 0; d--) {
            if (++coord[d] < x->dims[d])
                break;
            coord[d] = 0;
        }
    }
}
