#include "kernels/max_unpool.h"

#include <string.h>

int64_t ol_max_unpool(const void *x, const int64_t *indices, int64_t count, size_t esize, const int64_t *full,
                      const int64_t *y_dims, int rank, void *y)
{
    int64_t full_size = 1, y_size = 1;
    for (int d = 0; d < rank; d++) {
        full_size *= full[d];
        y_size *= y_dims[d];
    }
    memset(y, 0, (size_t)y_size * esize);
    for (int64_t i = 0; i < count; i++) {
        int64_t at = indices[i];
        if (at < 0 || at >= full_size)
            return i;
        /* Re-express the position in y's shape. */
        int64_t offset = 0, stride = 1;
        for (int d = rank - 1; d >= 0; d--) {
            offset += (at % full[d]) * stride;
            at /= full[d];
            stride *= y_dims[d];
        }
        memcpy((uint8_t *)y + (size_t)offset * esize, (const uint8_t *)x + (size_t)i * esize, esize);
    }
    return -1;
}
