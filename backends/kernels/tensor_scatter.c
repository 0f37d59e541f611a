#include "kernels/tensor_scatter.h"

#include <string.h>

int64_t ol_tensor_scatter(const void *cache, const void *update, const int64_t *write, int64_t batch, int64_t middle,
                          int64_t max_seq, int64_t seq, int64_t inner, size_t esize, bool circular, void *y)
{
    size_t row = (size_t)inner * esize;
    if (y != cache)
        memcpy(y, cache, (size_t)(batch * middle * max_seq) * row);
    for (int64_t b = 0; b < batch; b++) {
        int64_t start = write ? write[b] : 0;
        if (!circular && (start < 0 || start + seq > max_seq))
            return b;
        if (circular && max_seq == 0 && seq > 0)
            return b;
        for (int64_t m = 0; m < middle; m++)
            for (int64_t s = 0; s < seq; s++) {
                int64_t at = start + s;
                if (circular)
                    at = ((at % max_seq) + max_seq) % max_seq;
                memcpy((uint8_t *)y + (size_t)((b * middle + m) * max_seq + at) * row,
                       (const uint8_t *)update + (size_t)((b * middle + m) * seq + s) * row, row);
            }
    }
    return -1;
}
