#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

bool ol_reserve(void **items, size_t *cap, size_t need, size_t elem_size)
{
    if (need <= *cap)
        return true;
    size_t new_cap = *cap ? *cap : 4;
    while (new_cap < need) {
        if (new_cap > SIZE_MAX / 2)
            return false;
        new_cap *= 2;
    }
    size_t bytes;
    if (!ol_mul_size(new_cap, elem_size, &bytes))
        return false;
    void *grown = realloc(*items, bytes);
    if (!grown)
        return false;
    *items = grown;
    *cap = new_cap;
    return true;
}

char *ol_strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

void *ol_memdup(const void *p, size_t n)
{
    if (n == 0)
        return NULL;
    void *copy = malloc(n);
    if (copy)
        memcpy(copy, p, n);
    return copy;
}

bool ol_mul_size(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

bool ol_mul_i64(int64_t a, int64_t b, int64_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}
