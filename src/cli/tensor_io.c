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
