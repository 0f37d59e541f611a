/* A source over one IDX file: each entry is a sample, read sequentially in runs of the requested
 * size. The entry's shape is fitted to the input's sample shape ([28,28] feeds [1,28,28], [28,28,1]
 * or [784]), and uint8 pixels feeding a float input go through the preprocessing's scale, mean and
 * std. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset_source.h"
#include "data/idx.h"
#include "data/preprocess.h"
#include "util/mem.h"

typedef struct idx_source {
    ol_idx_file *idx;
    ol_dtype dtype;                      /* the input's */
    int rank;                            /* a sample's rank: the input's minus the batch dim */
    int64_t dims[OL_KMAX_RANK];          /* a sample's shape */
    int64_t numel;                       /* elements per sample */
    bool normalize;                      /* uint8 entries through the preprocessing */
    ol_preprocess pp;
    ol_pixel_layout layout;
} idx_source;

static void idx_destroy(void *self)
{
    idx_source *s = self;
    ol_idx_close(s->idx);
    free(s);
}

static ol_status idx_next(void *self, size_t want, ol_ktensor *chunk, size_t *got, ol_error *err)
{
    idx_source *s = self;
    const ol_ktensor *shape = ol_idx_shape(s->idx);
    size_t left = (size_t)shape->dims[0] - ol_idx_position(s->idx), n = want < left ? want : left;
    *got = 0;
    if (n == 0)
        return OL_OK;
    size_t raw_bytes = n * ol_idx_entry_bytes(s->idx);
    uint8_t *raw = malloc(raw_bytes ? raw_bytes : 1);
    if (!raw)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory for %zu IDX entries", n);
    ol_status st = ol_idx_read(s->idx, n, raw, err);
    if (st != OL_OK) {
        free(raw);
        return st;
    }
    memset(chunk, 0, sizeof *chunk);
    chunk->dtype = s->dtype;
    chunk->rank = s->rank + 1;
    chunk->dims[0] = (int64_t)n;
    memcpy(chunk->dims + 1, s->dims, (size_t)s->rank * sizeof *s->dims);
    if (!s->normalize) {
        chunk->data = raw;
    } else {
        chunk->data = malloc(ol_ktensor_nbytes(chunk));
        if (!chunk->data) {
            free(raw);
            return ol_fail(err, OL_ERR_NOMEM, "out of memory for %zu IDX entries", n);
        }
        int64_t inner = s->layout.channels_last ? 1 : s->numel / (s->layout.channels ? s->layout.channels : 1);
        ol_preprocess_normalize(&s->pp, raw, n * (size_t)s->numel, s->layout.channels, inner, s->dtype,
                                chunk->data);
        free(raw);
    }
    *got = n;
    return OL_OK;
}

static ol_status idx_rewind(void *self, ol_error *err)
{
    return ol_idx_rewind(((idx_source *)self)->idx, err);
}

static const ol_dataset_source_ops IDX_OPS = {idx_next, idx_rewind, idx_destroy};

/* The input's sample shape the entries take, or false when they cannot take it. Dims are matched
 * in order after dropping the 1s on both sides (symbolic input dims take the entry's value); an
 * input with only fixed dims also takes any entry of as many elements. */
static bool fit_entry(const ol_ktensor *file, const ol_dataset_input *input, int64_t *out)
{
    int n_in = input->rank - 1;
    const int64_t *want = input->dims + 1, *have = file->dims + 1;
    int n_have = file->rank - 1;
    int64_t have_numel = 1, want_numel = 1;
    bool all_fixed = true;
    for (int d = 0; d < n_have; d++)
        have_numel *= have[d];
    for (int d = 0; d < n_in; d++) {
        all_fixed = all_fixed && want[d] >= 0;
        want_numel *= want[d] >= 0 ? want[d] : 1;
    }
    int h = 0;
    for (int d = 0; d < n_in; d++) {
        if (want[d] == 1) {
            out[d] = 1;
            continue;
        }
        while (h < n_have && have[h] == 1)
            h++;
        if (h == n_have || (want[d] >= 0 && want[d] != have[h]))
            goto reshape;
        out[d] = have[h++];
    }
    while (h < n_have && have[h] == 1)
        h++;
    if (h == n_have)
        return true;
reshape:
    if (!all_fixed || want_numel != have_numel)
        return false;
    memcpy(out, want, (size_t)n_in * sizeof *out);
    return true;
}

ol_status ol_dataset_idx_open(const char *path, const ol_preprocess *pp, const ol_dataset_input *input,
                              ol_dataset_source *src, ol_error *err)
{
    idx_source *s = calloc(1, sizeof *s);
    if (!s)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    ol_status st = ol_idx_open(path, &s->idx, err);
    if (st != OL_OK) {
        free(s);
        return st;
    }
    const ol_ktensor *shape = ol_idx_shape(s->idx);
    char found[256], want[256];
    ol_ktensor entry = *shape;
    entry.rank = shape->rank - 1;
    memmove(entry.dims, shape->dims + 1, (size_t)entry.rank * sizeof *entry.dims);
    ol_ktensor_format_shape(&entry, found, sizeof found);
    ol_dataset_input_format(input, true, want, sizeof want);
    s->dtype = input->dtype;
    s->rank = input->rank - 1;
    s->normalize = shape->dtype == OL_UINT8 && input->dtype != OL_UINT8;
    if (!fit_entry(shape, input, s->dims))
        st = ol_fail(err, OL_ERR_ARG, "'%s': IDX entries are %s, which does not fit input '%s' (one sample "
                     "is %s)", path, found, input->name, want);
    else if (shape->dtype != input->dtype && !(s->normalize && ol_preprocess_dtype_ok(input->dtype)))
        st = ol_fail(err, OL_ERR_ARG, "'%s': IDX entries are %s, which cannot feed input '%s' %s (only "
                     "uint8 entries are converted, to float)", path, found, input->name, want);
    else if (s->normalize && (pp->resize || pp->crop_h || pp->channels != OL_CHANNELS_AUTO))
        st = ol_fail(err, OL_ERR_ARG, "'%s': resize, crop and channels apply to images, not to IDX files "
                     "(their entries are used as stored)", path);
    s->numel = 1;
    for (int d = 0; d < s->rank; d++)
        s->numel *= s->dims[d];
    if (st == OL_OK && s->normalize) {
        int64_t dims[OL_KMAX_RANK] = {1};
        memcpy(dims + 1, s->dims, (size_t)s->rank * sizeof *dims);
        s->pp = *pp;
        st = ol_preprocess_layout(pp, input->name, input->rank, dims, &s->layout, err);
    }
    if (st != OL_OK) {
        idx_destroy(s);
        return st;
    }
    src->ops = &IDX_OPS;
    src->self = s;
    src->count = (size_t)shape->dims[0];
    return OL_OK;
}
