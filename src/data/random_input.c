#include "data/random_input.h"

#include <stdlib.h>
#include <string.h>

ol_status ol_random_input_shape(const ol_value *v, int64_t batch, ol_ktensor *t, ol_error *err)
{
    memset(t, 0, sizeof *t);
    const ol_type *ty = &v->type;
    if (ty->kind != OL_TYPE_TENSOR || ty->elem == OL_UNDEFINED || ty->rank < 0)
        return ol_fail(err, OL_ERR_ARG, "input '%s' has no declared tensor type and shape to make "
                       "random data for", v->name);
    if (ty->rank > OL_KMAX_RANK)
        return ol_fail(err, OL_ERR_UNSUPPORTED, "input '%s' has rank %d", v->name, ty->rank);
    t->dtype = ty->elem;
    t->rank = ty->rank;
    for (int d = 0; d < ty->rank; d++) {
        int64_t dim = ty->dims[d].value;
        if (dim < 0)
            dim = d == 0 && batch > 0 ? batch : 1;
        else if (d == 0 && batch > 0 && dim != batch)
            return ol_fail(err, OL_ERR_ARG, "input '%s' has a fixed first dimension %lld; cannot use "
                           "batch %lld", v->name, (long long)dim, (long long)batch);
        t->dims[d] = dim;
    }
    return OL_OK;
}

static uint64_t next_random(uint64_t *s)
{
    /* splitmix64: reproducible across platforms, good enough for test inputs */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

ol_status ol_random_input_fill(ol_ktensor *t, uint64_t *seed, ol_error *err)
{
    size_t n = (size_t)ol_ktensor_numel(t), bytes = ol_ktensor_nbytes(t);
    if (bytes == SIZE_MAX)
        return ol_fail(err, OL_ERR_UNSUPPORTED, "cannot make random %s data", ol_dtype_name(t->dtype));
    t->data = malloc(bytes ? bytes : 1);
    if (!t->data)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory for a %zu-byte input", bytes);
    for (size_t i = 0; i < n; i++) {
        uint64_t r = next_random(seed);
        double u = (double)(r >> 11) / 9007199254740992.0 * 2.0 - 1.0;
        int64_t k = (int64_t)(r % 4);
        switch (t->dtype) {
        case OL_FLOAT: ((float *)t->data)[i] = (float)u; break;
        case OL_DOUBLE: ((double *)t->data)[i] = u; break;
        case OL_FLOAT16: ((uint16_t *)t->data)[i] = ol_float_to_half((float)u); break;
        case OL_BFLOAT16: ((uint16_t *)t->data)[i] = ol_float_to_bf16((float)u); break;
        case OL_BOOL: ((uint8_t *)t->data)[i] = (uint8_t)(r & 1); break;
        case OL_INT8: case OL_UINT8: ((uint8_t *)t->data)[i] = (uint8_t)k; break;
        case OL_INT16: case OL_UINT16: ((uint16_t *)t->data)[i] = (uint16_t)k; break;
        case OL_INT32: case OL_UINT32: ((uint32_t *)t->data)[i] = (uint32_t)k; break;
        case OL_INT64: case OL_UINT64: ((uint64_t *)t->data)[i] = (uint64_t)k; break;
        default:
            free(t->data);
            t->data = NULL;
            return ol_fail(err, OL_ERR_UNSUPPORTED, "cannot make random %s data", ol_dtype_name(t->dtype));
        }
    }
    return OL_OK;
}
