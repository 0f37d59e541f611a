#include "kernels/reverse_sequence.h"

#include <string.h>

void ol_reverse_sequence(const void *x, int64_t outer, int64_t d0, int64_t middle, int64_t d1, int64_t inner,
                         size_t esize, bool time_first, const int64_t *lengths, void *y)
{
    const uint8_t *src = x;
    uint8_t *dst = y;
    size_t row = (size_t)inner * esize;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i0 = 0; i0 < d0; i0++)
            for (int64_t m = 0; m < middle; m++)
                for (int64_t i1 = 0; i1 < d1; i1++) {
                    int64_t t = time_first ? i0 : i1, b = time_first ? i1 : i0, len = lengths[b];
                    int64_t from_t = t < len ? len - 1 - t : t;
                    int64_t from0 = time_first ? from_t : i0, from1 = time_first ? i1 : from_t;
                    memcpy(dst + (size_t)(((o * d0 + i0) * middle + m) * d1 + i1) * row,
                           src + (size_t)(((o * d0 + from0) * middle + m) * d1 + from1) * row, row);
                }
}
