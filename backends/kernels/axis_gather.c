#include "kernels/axis_gather.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

size_t ol_elem_size(ol_dtype dtype)
{
    unsigned bits = ol_dtype_bits(dtype);
    return bits && bits % 8 == 0 ? bits / 8 : 0;
}

void ol_fill_elems(void *dst, int64_t count, const void *elem, size_t elem_size)
{
    if (count <= 0)
        return;
    uint8_t *d = dst;
    size_t total = (size_t)count * elem_size, done = elem_size;
    memcpy(d, elem, elem_size);
    /* Doubling copies: log2(count) memcpy calls instead of count. */
    while (done < total) {
        size_t chunk = done < total - done ? done : total - done;
        memcpy(d + done, d, chunk);
        done += chunk;
    }
}

/* A stretch of the last output axis whose source positions follow src + k * step (step 0 repeats
 * one element, step 1 is a plain copy), or that is all fill (src < 0). */
typedef struct run {
    int64_t out, src, step, len;
} run;

/* Splits the last axis map into runs; returns how many. */
static size_t build_runs(const int64_t *map, int64_t width, run *runs)
{
    size_t n = 0;
    for (int64_t i = 0; i < width;) {
        run r = {.out = i, .src = map[i], .step = 0, .len = 1};
        if (r.src < 0) {
            while (i + r.len < width && map[i + r.len] < 0)
                r.len++;
        } else if (i + 1 < width && map[i + 1] >= 0) {
            r.step = map[i + 1] - map[i];
            while (i + r.len < width && map[i + r.len] >= 0 && map[i + r.len] == r.src + r.len * r.step)
                r.len++;
        }
        runs[n++] = r;
        i += r.len;
    }
    return n;
}

#define STRIDED_COPY(type)                                                                        \
    do {                                                                                          \
        type *o = dst;                                                                            \
        const type *s = src;                                                                      \
        for (int64_t k = 0; k < len; k++)                                                         \
            o[k] = s[k * step];                                                                   \
    } while (0)

static void copy_strided(void *dst, const void *src, int64_t step, int64_t len, size_t es)
{
    if (step == 1) {
        memcpy(dst, src, (size_t)len * es);
        return;
    }
    if (step == 0) {
        ol_fill_elems(dst, len, src, es);
        return;
    }
    switch (es) {
    case 1: STRIDED_COPY(uint8_t); break;
    case 2: STRIDED_COPY(uint16_t); break;
    case 4: STRIDED_COPY(uint32_t); break;
    case 8: STRIDED_COPY(uint64_t); break;
    default:
        for (int64_t k = 0; k < len; k++)
            memcpy((uint8_t *)dst + k * es, (const uint8_t *)src + k * step * (int64_t)es, es);
    }
}

#define GATHER_ROW(type)                                                                          \
    do {                                                                                          \
        type *o = (type *)out;                                                                    \
        const type *s = (const type *)src + offset;                                               \
        type f = 0;                                                                               \
        if (fill)                                                                                 \
            memcpy(&f, fill, sizeof f);                                                           \
        for (int64_t k = 0; k < width; k++)                                                       \
            o[k] = map[k] >= 0 ? s[map[k]] : f;                                                   \
    } while (0)

/* One output row element by element through the last axis map: faster than runs when the runs
 * are short (nearest upsampling, strided slices). */
static void gather_row(uint8_t *out, const uint8_t *src, int64_t offset, const int64_t *map, int64_t width,
                       const void *fill, size_t es)
{
    switch (es) {
    case 1: GATHER_ROW(uint8_t); break;
    case 2: GATHER_ROW(uint16_t); break;
    case 4: GATHER_ROW(uint32_t); break;
    case 8: GATHER_ROW(uint64_t); break;
    default:
        for (int64_t k = 0; k < width; k++)
            memcpy(out + k * (int64_t)es, map[k] >= 0 ? src + (offset + map[k]) * (int64_t)es : fill, es);
    }
}

ol_status ol_axis_gather(const ol_ktensor *x, ol_ktensor *y, const int64_t *const *maps,
                         const void *fill)
{
    size_t es = ol_elem_size(y->dtype);
    int64_t total = ol_ktensor_numel(y);
    if (total == 0)
        return OL_OK;
    const uint8_t *src = x->data;
    uint8_t *dst = y->data;
    int rank = y->rank;
    if (rank == 0) {
        memcpy(dst, src, es);
        return OL_OK;
    }
    int64_t xs[OL_KMAX_RANK];
    ol_ktensor_strides(x, xs);
    int last = rank - 1;
    int64_t width = y->dims[last], rows = total / width;
    run *runs = malloc((size_t)width * sizeof *runs);
    if (!runs)
        return OL_ERR_NOMEM;
    size_t n_runs = build_runs(maps[last], width, runs);
    bool by_element = (int64_t)n_runs * 4 > width;
    int64_t coord[OL_KMAX_RANK] = {0};
    for (int64_t row = 0; row < rows; row++) {
        uint8_t *out = dst + row * width * (int64_t)es;
        int64_t offset = 0;
        bool filled = false;
        for (int d = 0; d < last; d++) {
            int64_t m = maps[d][coord[d]];
            filled |= m < 0;
            offset += m * xs[d];
        }
        if (filled) {
            ol_fill_elems(out, width, fill, es);
        } else if (by_element) {
            gather_row(out, src, offset, maps[last], width, fill, es);
        } else {
            for (size_t k = 0; k < n_runs; k++) {
                const run *r = &runs[k];
                if (r->src < 0)
                    ol_fill_elems(out + r->out * (int64_t)es, r->len, fill, es);
                else
                    copy_strided(out + r->out * (int64_t)es, src + (offset + r->src) * (int64_t)es,
                                 r->step, r->len, es);
            }
        }
        for (int d = last - 1; d >= 0; d--) {
            if (++coord[d] < y->dims[d])
                break;
            coord[d] = 0;
        }
    }
    free(runs);
    return OL_OK;
}
