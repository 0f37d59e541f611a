#include "cli/tensor_io.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/npy.h"
#include "exec/compare.h"
#include "onnxlite/model_io.h"

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

ol_status ol_cli_load_tensor(const char *path, ol_ktensor *t, ol_error *err)
{
    memset(t, 0, sizeof *t);
    if (ends_with(path, ".npy"))
        return ol_npy_read(path, t, err);
    if (!ends_with(path, ".pb"))
        return ol_fail(err, OL_ERR_ARG, "'%s': inputs must be .npy or .pb (TensorProto) files", path);
    ol_tensor *tensor;
    ol_status st = ol_tensor_read_file(path, &tensor, err);
    if (st != OL_OK)
        return st;
    if (tensor->dtype == OL_STRING || tensor->rank > OL_KMAX_RANK) {
        ol_tensor_destroy(tensor);
        return ol_fail(err, OL_ERR_UNSUPPORTED, "'%s': string or rank > %d tensors are not supported",
                       path, OL_KMAX_RANK);
    }
    ol_ktensor_set_shape(t, tensor->dtype, tensor->rank, tensor->dims);
    t->data = malloc(tensor->nbytes ? tensor->nbytes : 1);
    if (!t->data) {
        ol_tensor_destroy(tensor);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    memcpy(t->data, tensor->data, tensor->nbytes);
    ol_tensor_destroy(tensor);
    return OL_OK;
}

ol_status ol_cli_input_shape(const ol_value *v, int64_t batch, ol_ktensor *t, ol_error *err)
{
    memset(t, 0, sizeof *t);
    const ol_type *ty = &v->type;
    if (ty->kind != OL_TYPE_TENSOR || ty->elem == OL_UNDEFINED || ty->rank < 0)
        return ol_fail(err, OL_ERR_ARG, "input '%s' has no declared tensor type and shape; give it "
                       "with --input", v->name);
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

ol_status ol_cli_random_fill(ol_ktensor *t, uint64_t *seed, ol_error *err)
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

void ol_cli_print_summary(FILE *out, const char *name, const ol_ktensor *t)
{
    fprintf(out, "%s: %s[", name, ol_dtype_name(t->dtype));
    for (int d = 0; d < t->rank; d++)
        fprintf(out, "%s%lld", d ? "," : "", (long long)t->dims[d]);
    fprintf(out, "]");
    int64_t n = ol_ktensor_numel(t);
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    int64_t counted = 0;
    for (int64_t i = 0; i < n; i++) {
        double v = ol_ktensor_get_f64(t, i);
        if (isnan(v))
            continue;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
        sum += v;
        counted++;
    }
    if (counted)
        fprintf(out, " min %.6g max %.6g mean %.6g", lo, hi, sum / (double)counted);
    if (counted < n)
        fprintf(out, " (%lld NaN)", (long long)(n - counted));
    fprintf(out, "\n");
}
