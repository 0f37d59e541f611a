/* Greedy offset assignment in the manner of TFLite Micro's planner: place the largest buffers first,
 * each at the lowest offset that does not overlap a buffer alive at the same time. */
#include <stdlib.h>

#include "exec/exec_internal.h"

#define ALIGNMENT 64

typedef struct ranked {
    size_t index;
    const alloc_record *rec;
} ranked;

static int by_size_desc(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->rec->size != y->rec->size)
        return x->rec->size < y->rec->size ? 1 : -1;
    return x->index < y->index ? -1 : 1;   /* ties by index keep the plan deterministic */
}

static int by_offset(const void *a, const void *b)
{
    const alloc_record *x = *(const alloc_record *const *)a, *y = *(const alloc_record *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static size_t padded(const alloc_record *r)
{
    size_t n = r->size ? r->size : 1;
    return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
}

size_t ol_plan_offsets(alloc_record *records, size_t n)
{
    ranked *order = malloc((n ? n : 1) * sizeof *order);
    const alloc_record **live = malloc((n ? n : 1) * sizeof *live);
    if (!order || !live) {
        free(order);
        free(live);
        return SIZE_MAX;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = (ranked){i, &records[i]};
    qsort(order, n, sizeof *order, by_size_desc);
    size_t total = 0;
    for (size_t k = 0; k < n; k++) {
        alloc_record *r = &records[order[k].index];
        size_t n_live = 0;
        for (size_t j = 0; j < k; j++) {
            const alloc_record *p = order[j].rec;
            if (p->first <= r->last && r->first <= p->last)
                live[n_live++] = p;
        }
        qsort(live, n_live, sizeof *live, by_offset);
        size_t offset = 0, need = padded(r);
        for (size_t j = 0; j < n_live; j++) {
            if (live[j]->offset >= offset + need)
                break;   /* the gap before this buffer fits */
            if (live[j]->offset + padded(live[j]) > offset)
                offset = live[j]->offset + padded(live[j]);
        }
        r->offset = offset;
        if (offset + need > total)
            total = offset + need;
    }
    free(order);
    free(live);
    return total;
}
