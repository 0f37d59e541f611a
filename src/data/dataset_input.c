/* Matching the tensors of data files to a model input, and naming shapes in messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset_source.h"

static void format_dims(ol_dtype dtype, int rank, const int64_t *dims, const char *first, char *buf,
                        size_t size)
{
    size_t len = (size_t)snprintf(buf, size, "%s[", ol_dtype_name(dtype));
    for (int d = 0; d < rank && len < size; d++) {
        const char *sep = d ? "," : "";
        if (d == 0 && first)
            len += (size_t)snprintf(buf + len, size - len, "%s", first);
        else if (dims[d] < 0)
            len += (size_t)snprintf(buf + len, size - len, "%s?", sep);
        else
            len += (size_t)snprintf(buf + len, size - len, "%s%lld", sep, (long long)dims[d]);
    }
    if (len < size)
        snprintf(buf + len, size - len, "]");
}

void ol_dataset_input_format(const ol_dataset_input *input, bool sample, char *buf, size_t size)
{
    if (sample)
        format_dims(input->dtype, input->rank - 1, input->dims + 1, NULL, buf, size);
    else
        format_dims(input->dtype, input->rank, input->dims, input->rank > 0 ? "N" : NULL, buf, size);
}

void ol_ktensor_format_shape(const ol_ktensor *t, char *buf, size_t size)
{
    format_dims(t->dtype, t->rank, t->dims, NULL, buf, size);
}

ol_status ol_dataset_input_fit(const ol_dataset_input *input, const char *file, ol_ktensor *t, ol_error *err)
{
    bool sample = t->rank == input->rank - 1, batch = t->rank == input->rank && t->rank > 0;
    const int64_t *dims = t->dims + (batch ? 1 : 0);
    bool ok = t->dtype == input->dtype && (sample || batch);
    for (int d = 1; ok && d < input->rank; d++)
        ok = input->dims[d] < 0 || input->dims[d] == dims[d - 1];
    if (!ok) {
        char found[256], want[256], one[256];
        ol_ktensor_format_shape(t, found, sizeof found);
        ol_dataset_input_format(input, false, want, sizeof want);
        ol_dataset_input_format(input, true, one, sizeof one);
        return ol_fail(err, OL_ERR_ARG, "'%s' holds %s, which does not fit input '%s' %s: expected one "
                       "sample %s or a batch of them %s%s", file, found, input->name, want, one, want,
                       t->dtype != input->dtype && (sample || batch) ? " (convert the dtype, e.g. numpy's "
                       "astype)" : "");
    }
    if (sample) {
        memmove(t->dims + 1, t->dims, (size_t)t->rank * sizeof *t->dims);
        t->dims[0] = 1;
        t->rank++;
    }
    return OL_OK;
}

void ol_dataset_free_paths(char **paths, size_t n)
{
    for (size_t i = 0; paths && i < n; i++)
        free(paths[i]);
    free(paths);
}
