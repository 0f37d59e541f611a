#include "kernels/broadcast.h"

#include <omp.h>
#include <string.h>

/* Below this many elements a loop is not worth waking other threads for. */
#define PARALLEL_MIN_ELEMENTS 65536

int ol_broadcast_dims(int n, const int *ranks, const int64_t *const *dims, int *out_rank,
                      int64_t *out_dims)
{
    int rank = 0;
    for (int k = 0; k < n; k++)
        if (ranks[k] > rank)
            rank = ranks[k];
    for (int i = 0; i < rank; i++)
        out_dims[i] = 1;
    for (int k = 0; k < n; k++) {
        int shift = rank - ranks[k];
        for (int j = 0; j < ranks[k]; j++) {
            int64_t d = dims[k][j], *o = &out_dims[shift + j];
            if (d == 1 || d == *o)
                continue;
            if (*o != 1)
                return k;
            *o = d;
        }
    }
    *out_rank = rank;
    return -1;
}

int ol_broadcast_shapes(int n, const ol_ktensor *const *inputs, int *out_rank, int64_t *out_dims)
{
    /* Pairwise, so any number of inputs (variadic Sum) works. */
    int rank = 0;
    for (int k = 0; k < n; k++) {
        int ranks[2] = {rank, inputs[k]->rank};
        int64_t acc[OL_KMAX_RANK];
        memcpy(acc, out_dims, (size_t)rank * sizeof *acc);
        const int64_t *dims[2] = {acc, inputs[k]->dims};
        if (ol_broadcast_dims(2, ranks, dims, &rank, out_dims) >= 0)
            return k;
    }
    *out_rank = rank;
    return -1;
}

bool ol_broadcasts_to(int rank, const int64_t *dims, int out_rank, const int64_t *out_dims)
{
    if (rank > out_rank)
        return false;
    for (int j = 0; j < rank; j++) {
        int64_t d = dims[j], o = out_dims[out_rank - rank + j];
        if (d != o && d != 1)
            return false;
    }
    return true;
}

bool ol_bcast_plan_init(ol_bcast_plan *p, int n_inputs, const int *ranks, const int64_t *const *dims,
                        int out_rank, const int64_t *out_dims)
{
    memset(p, 0, sizeof *p);
    if (n_inputs < 1 || n_inputs > OL_BCAST_MAX_INPUTS || out_rank < 0 || out_rank > OL_KMAX_RANK)
        return false;
    p->n_inputs = n_inputs;
    /* Full strides per output dimension (0 where the input repeats). */
    int64_t full[OL_BCAST_MAX_INPUTS][OL_KMAX_RANK];
    for (int k = 0; k < n_inputs; k++) {
        if (!ol_broadcasts_to(ranks[k], dims[k], out_rank, out_dims))
            return false;
        int shift = out_rank - ranks[k];
        int64_t s = 1;
        for (int i = out_rank - 1; i >= 0; i--) {
            int j = i - shift;
            if (j < 0 || dims[k][j] == 1) {
                full[k][i] = 0;
            } else {
                full[k][i] = s;
                s *= dims[k][j];
            }
        }
    }
    p->numel = 1;
    int r = 0;
    for (int i = 0; i < out_rank; i++) {
        p->numel *= out_dims[i];
        if (out_dims[i] == 1)
            continue;   /* contributes nothing to any offset */
        bool merge = r > 0;
        for (int k = 0; merge && k < n_inputs; k++)
            merge = p->strides[k][r - 1] == full[k][i] * out_dims[i];
        if (merge) {
            p->dims[r - 1] *= out_dims[i];
        } else {
            p->dims[r] = out_dims[i];
            r++;
        }
        for (int k = 0; k < n_inputs; k++)
            p->strides[k][r - 1] = full[k][i];
    }
    if (r == 0) {
        p->dims[0] = 1;   /* a scalar output: one row of one element, every input repeated */
        r = 1;
    }
    p->rank = r;
    return true;
}

bool ol_bcast_plan_tensors(ol_bcast_plan *p, int n_inputs, const ol_ktensor *const *inputs,
                           const ol_ktensor *out)
{
    if (n_inputs < 1 || n_inputs > OL_BCAST_MAX_INPUTS)
        return false;
    int ranks[OL_BCAST_MAX_INPUTS];
    const int64_t *dims[OL_BCAST_MAX_INPUTS];
    for (int k = 0; k < n_inputs; k++) {
        ranks[k] = inputs[k]->rank;
        dims[k] = inputs[k]->dims;
    }
    return ol_bcast_plan_init(p, n_inputs, ranks, dims, out->rank, out->dims);
}

void ol_bcast_cursor_seek(const ol_bcast_plan *p, ol_bcast_cursor *c, int64_t row)
{
    memset(c->offset, 0, sizeof c->offset);
    for (int i = p->rank - 2; i >= 0; i--) {
        c->index[i] = row % p->dims[i];
        row /= p->dims[i];
        for (int k = 0; k < p->n_inputs; k++)
            c->offset[k] += c->index[i] * p->strides[k][i];
    }
}

void ol_bcast_cursor_next(const ol_bcast_plan *p, ol_bcast_cursor *c)
{
    for (int i = p->rank - 2; i >= 0; i--) {
        if (++c->index[i] < p->dims[i]) {
            for (int k = 0; k < p->n_inputs; k++)
                c->offset[k] += p->strides[k][i];
            return;
        }
        c->index[i] = 0;
        for (int k = 0; k < p->n_inputs; k++)
            c->offset[k] -= (p->dims[i] - 1) * p->strides[k][i];
    }
}

int64_t ol_bcast_input_offset(const ol_bcast_plan *p, int k, int64_t index)
{
    int64_t offset = 0;
    for (int i = p->rank - 1; i >= 0; i--) {
        offset += (index % p->dims[i]) * p->strides[k][i];
        index /= p->dims[i];
    }
    return offset;
}

typedef struct run_ctx {
    const ol_bcast_plan *plan;
    char *out;
    size_t out_elem;
    const void *const *in;
    const size_t *in_elem;
    ol_bcast_row_fn fn;
    const void *params;
} run_ctx;

static void run_range(int64_t start, int64_t end, void *arg)
{
    const run_ctx *r = arg;
    const ol_bcast_plan *p = r->plan;
    int64_t len = ol_bcast_row_length(p);
    int64_t inner[OL_BCAST_MAX_INPUTS];
    for (int k = 0; k < p->n_inputs; k++)
        inner[k] = ol_bcast_inner_stride(p, k);
    ol_bcast_cursor c;
    ol_bcast_cursor_seek(p, &c, start / len);
    int64_t col = start % len;
    for (int64_t pos = start; pos < end;) {
        int64_t n = len - col < end - pos ? len - col : end - pos;
        const void *ptrs[OL_BCAST_MAX_INPUTS];
        for (int k = 0; k < p->n_inputs; k++)
            ptrs[k] = (const char *)r->in[k] + (size_t)(c.offset[k] + col * inner[k]) * r->in_elem[k];
        r->fn(r->out + (size_t)pos * r->out_elem, ptrs, inner, n, r->params);
        pos += n;
        col = 0;
        if (pos < end)
            ol_bcast_cursor_next(p, &c);
    }
}

void ol_bcast_run(const ol_bcast_plan *p, void *out, size_t out_elem, const void *const *in,
                  const size_t *in_elem, ol_bcast_row_fn fn, const void *params, int threads)
{
    if (p->numel <= 0)
        return;
    run_ctx r = {p, out, out_elem, in, in_elem, fn, params};
    ol_parallel_ranges(p->numel, 1, threads, run_range, &r);
}

void ol_parallel_ranges(int64_t n, int64_t align, int threads,
                        void (*fn)(int64_t start, int64_t end, void *ctx), void *ctx)
{
    if (n <= 0)
        return;
    int nt = threads > 0 ? threads : omp_get_max_threads();
    if (n <= PARALLEL_MIN_ELEMENTS || nt <= 1) {
        fn(0, n, ctx);
        return;
    }
    if (align < 1)
        align = 1;
    /* One contiguous piece per thread keeps each thread's memory traffic sequential. */
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int t = 0; t < nt; t++) {
        int64_t start = n / nt * t / align * align;
        int64_t end = t == nt - 1 ? n : n / nt * (t + 1) / align * align;
        if (start < end)
            fn(start, end, ctx);
    }
}
