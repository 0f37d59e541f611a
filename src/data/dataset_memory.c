/* A source over tensors held in memory (copied when the set is made), served in runs of the
 * requested size. */
#include <stdlib.h>
#include <string.h>

#include "data/dataset_source.h"
#include "util/mem.h"

typedef struct memory_source {
    ol_ktensor *samples;   /* owned copies */
    size_t n_inputs, count, next;
} memory_source;

static void memory_destroy(void *self)
{
    memory_source *s = self;
    for (size_t i = 0; i < s->n_inputs; i++)
        free(s->samples[i].data);
    free(s->samples);
    free(s);
}

static ol_status memory_next(void *self, size_t want, ol_ktensor *chunk, size_t *got, ol_error *err)
{
    memory_source *s = self;
    size_t n = s->count - s->next < want ? s->count - s->next : want;
    *got = 0;
    if (n == 0)
        return OL_OK;
    for (size_t i = 0; i < s->n_inputs; i++) {
        const ol_ktensor *all = &s->samples[i];
        size_t row = s->count ? ol_ktensor_nbytes(all) / s->count : 0;
        chunk[i] = *all;
        chunk[i].dims[0] = (int64_t)n;
        chunk[i].data = malloc(row * n + 1);
        if (!chunk[i].data) {
            for (size_t j = 0; j < i; j++) {
                free(chunk[j].data);
                chunk[j].data = NULL;
            }
            return ol_fail(err, OL_ERR_NOMEM, "out of memory");
        }
        memcpy(chunk[i].data, (const uint8_t *)all->data + row * s->next, row * n);
    }
    s->next += n;
    *got = n;
    return OL_OK;
}

static ol_status memory_rewind(void *self, ol_error *err)
{
    (void)err;
    ((memory_source *)self)->next = 0;
    return OL_OK;
}

static const ol_dataset_source_ops MEMORY_OPS = {memory_next, memory_rewind, memory_destroy};

ol_status ol_dataset_memory_open(const ol_ktensor *samples, size_t n_inputs, ol_dataset_source *src,
                                 ol_error *err)
{
    memory_source *s = calloc(1, sizeof *s);
    if (!s || !(s->samples = calloc(n_inputs + 1, sizeof *s->samples))) {
        free(s);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    s->n_inputs = n_inputs;
    s->count = (size_t)samples[0].dims[0];
    for (size_t i = 0; i < n_inputs; i++) {
        size_t bytes = ol_ktensor_nbytes(&samples[i]);
        s->samples[i] = samples[i];
        s->samples[i].data = malloc(bytes ? bytes : 1);
        if (!s->samples[i].data) {
            memory_destroy(s);
            return ol_fail(err, OL_ERR_NOMEM, "out of memory copying %zu bytes of samples", bytes);
        }
        if (bytes)
            memcpy(s->samples[i].data, samples[i].data, bytes);
    }
    src->ops = &MEMORY_OPS;
    src->self = s;
    src->count = s->count;
    return OL_OK;
}
