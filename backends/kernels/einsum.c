#include "kernels/einsum.h"

#include <string.h>

#include "kernels/gemm.h"

enum { N_LETTERS = 52, ELLIPSIS = -2, REGION_A = 0, REGION_B = 1, REGION_R0 = 2, REGION_R1 = 3 };

bool ol_einsum_dtype_supported(ol_dtype dtype)
{
    return ol_gemm_dtype_supported(dtype);
}

/* ---- parsing ---- */

/* Label ids follow ASCII order (A-Z before a-z), so sorting ids sorts the letters as numpy does. */
static int letter_label(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return 26 + (c - 'a');
    return -1;
}

/* A term as written: letters and at most one ELLIPSIS marker. */
typedef struct raw_term {
    int n;
    int items[N_LETTERS + 1];
    int explicit_labels;
    bool has_ellipsis;
} raw_term;

static ol_status parse_raw(const char *s, size_t len, raw_term *t, const char *what, ol_error *err)
{
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == ' ')
            continue;
        if (c == '.') {
            if (i + 2 >= len || s[i + 1] != '.' || s[i + 2] != '.' || t->has_ellipsis)
                return ol_fail(err, OL_ERR_INVALID, "einsum: bad ellipsis in the %s term", what);
            if (t->n >= N_LETTERS + 1)
                return ol_fail(err, OL_ERR_INVALID, "einsum: the %s term is too long", what);
            t->items[t->n++] = ELLIPSIS;
            t->has_ellipsis = true;
            i += 2;
            continue;
        }
        int label = letter_label(c);
        if (label < 0)
            return ol_fail(err, OL_ERR_INVALID, "einsum: '%c' is not a label (letters only)", c);
        if (t->n >= N_LETTERS + 1)
            return ol_fail(err, OL_ERR_INVALID, "einsum: the %s term is too long", what);
        t->items[t->n++] = label;
        t->explicit_labels++;
    }
    return OL_OK;
}

/* Replaces the ellipsis with the last `count` of the `total` broadcast labels (right-aligned). */
static void expand(const raw_term *raw, int count, int total, ol_einsum_term *out)
{
    out->n = 0;
    for (int i = 0; i < raw->n; i++) {
        if (raw->items[i] != ELLIPSIS) {
            out->labels[out->n++] = raw->items[i];
            continue;
        }
        for (int j = 0; j < count; j++)
            out->labels[out->n++] = N_LETTERS + (total - count) + j;
    }
}

/* ---- evaluation: strided views, packing, pairwise contraction ---- */

typedef struct view {
    int n;
    int label[OL_EINSUM_MAX_LABELS];
    int64_t dim[OL_EINSUM_MAX_LABELS];
    int64_t stride[OL_EINSUM_MAX_LABELS];
    const void *data;
} view;

static int find(const int *labels, int n, int label)
{
    for (int i = 0; i < n; i++)
        if (labels[i] == label)
            return i;
    return -1;
}

/* The view of an input: repeated labels merge into one axis whose stride is the sum (a diagonal). */
static void input_view(const ol_einsum_term *term, const ol_ktensor *t, view *v)
{
    int64_t strides[OL_KMAX_RANK];
    ol_ktensor_strides(t, strides);
    v->n = 0;
    v->data = t->data;
    for (int i = 0; i < term->n; i++) {
        int at = find(v->label, v->n, term->labels[i]);
        if (at >= 0) {
            v->stride[at] += strides[i];
            continue;
        }
        v->label[v->n] = term->labels[i];
        v->dim[v->n] = t->dims[i];
        v->stride[v->n++] = strides[i];
    }
}

/* dst (dense, axes `order` at the plan's label sizes) = src summed over `sums`; an axis of src with
 * extent 1 broadcasts (stride 0). */
#define DEFINE_PACK(T, U, NAME)                                                                     \
    static void NAME(const T *src, int nt, const int64_t *tdim, const int64_t *tstride, int ns,     \
                     const int64_t *sdim, const int64_t *sstride, T *dst)                           \
    {                                                                                               \
        int64_t total = 1, inner = 1, tpos[OL_EINSUM_MAX_LABELS] = {0}, off = 0;                     \
        for (int d = 0; d < nt; d++)                                                                \
            total *= tdim[d];                                                                       \
        for (int d = 0; d < ns; d++)                                                                \
            inner *= sdim[d];                                                                       \
        for (int64_t i = 0; i < total; i++) {                                                       \
            U acc = 0;                                                                              \
            int64_t spos[OL_EINSUM_MAX_LABELS] = {0}, soff = 0;                                     \
            for (int64_t j = 0; j < inner; j++) {                                                   \
                acc += (U)src[off + soff];                                                          \
                for (int d = ns - 1; d >= 0; d--) {                                                 \
                    soff += sstride[d];                                                             \
                    if (++spos[d] < sdim[d])                                                        \
                        break;                                                                      \
                    soff -= sstride[d] * sdim[d];                                                   \
                    spos[d] = 0;                                                                    \
                }                                                                                   \
            }                                                                                       \
            dst[i] = (T)acc;                                                                        \
            for (int d = nt - 1; d >= 0; d--) {                                                     \
                off += tstride[d];                                                                  \
                if (++tpos[d] < tdim[d])                                                            \
                    break;                                                                          \
                off -= tstride[d] * tdim[d];                                                        \
                tpos[d] = 0;                                                                        \
            }                                                                                       \
        }                                                                                           \
    }

DEFINE_PACK(float, float, pack_f32)
DEFINE_PACK(double, double, pack_f64)
DEFINE_PACK(int32_t, uint32_t, pack_i32)
DEFINE_PACK(int64_t, uint64_t, pack_i64)
DEFINE_PACK(uint32_t, uint32_t, pack_u32)
DEFINE_PACK(uint64_t, uint64_t, pack_u64)

typedef struct einsum_run {
    const ol_einsum_plan *plan;
    bool dry;                  /* planning: only sizes are recorded */
    size_t need[4];            /* bytes per scratch region (dry run) */
    char *scratch;
} einsum_run;

static size_t elem_bytes(const einsum_run *r)
{
    return ol_dtype_storage_bytes(r->plan->dtype, 1);
}

static void *region(einsum_run *r, int which, int64_t elements)
{
    size_t bytes = (size_t)elements * elem_bytes(r);
    if (r->dry) {
        if (bytes > r->need[which])
            r->need[which] = bytes;
        return NULL;
    }
    return r->scratch + r->plan->region_offset[which];
}

/* Copies v into dense `dst` with axes `order` (each a label of v), summing v's other axes. */
static void pack(einsum_run *r, const view *v, const int *order, int n_order, void *dst)
{
    if (r->dry)
        return;
    int64_t tdim[OL_EINSUM_MAX_LABELS], tstride[OL_EINSUM_MAX_LABELS];
    int64_t sdim[OL_EINSUM_MAX_LABELS], sstride[OL_EINSUM_MAX_LABELS];
    int ns = 0;
    for (int i = 0; i < n_order; i++) {
        int at = find(v->label, v->n, order[i]);
        tdim[i] = r->plan->size[order[i]];
        tstride[i] = v->dim[at] == 1 ? 0 : v->stride[at];
    }
    for (int i = 0; i < v->n; i++)
        if (find(order, n_order, v->label[i]) < 0) {
            sdim[ns] = v->dim[i];
            sstride[ns++] = v->stride[i];
        }
    switch (r->plan->dtype) {
    case OL_FLOAT:
        pack_f32(v->data, n_order, tdim, tstride, ns, sdim, sstride, dst);
        break;
    case OL_DOUBLE:
        pack_f64(v->data, n_order, tdim, tstride, ns, sdim, sstride, dst);
        break;
    case OL_INT32:
        pack_i32(v->data, n_order, tdim, tstride, ns, sdim, sstride, dst);
        break;
    case OL_INT64:
        pack_i64(v->data, n_order, tdim, tstride, ns, sdim, sstride, dst);
        break;
    case OL_UINT32:
        pack_u32(v->data, n_order, tdim, tstride, ns, sdim, sstride, dst);
        break;
    case OL_UINT64:
        pack_u64(v->data, n_order, tdim, tstride, ns, sdim, sstride, dst);
        break;
    default:
        break;
    }
}

/* True when v holds exactly the labels of `order`, densely in that order (axes of extent 1 aside):
 * then it is a GEMM operand as it stands. */
static bool dense_as(const einsum_run *r, const view *v, const int *order, int n)
{
    int covered = 0;
    int64_t expected = 1;
    for (int i = n - 1; i >= 0; i--) {
        int at = find(v->label, v->n, order[i]);
        if (at < 0)
            return false;
        covered++;
        int64_t size = r->plan->size[order[i]];
        if (size == 1)
            continue;
        if (v->dim[at] != size || v->stride[at] != expected)
            return false;
        expected *= size;
    }
    return covered == v->n;
}

static int concat(int *dst, const int *a, int na, const int *b, int nb, const int *c, int nc)
{
    memcpy(dst, a, (size_t)na * sizeof *dst);
    memcpy(dst + na, b, (size_t)nb * sizeof *dst);
    memcpy(dst + na + nb, c, (size_t)nc * sizeof *dst);
    return na + nb + nc;
}

static int64_t extent(const einsum_run *r, const int *labels, int n)
{
    int64_t p = 1;
    for (int i = 0; i < n; i++)
        p *= r->plan->size[labels[i]];
    return p;
}

/* An operand as [batch, first, second] (or, transposed, [batch, second, first]) in place when its
 * layout allows, else packed into `which`. Sets *trans when the in-place layout is the transposed
 * one. */
static const void *operand(einsum_run *r, const view *v, int which, const int *batch, int nb,
                           const int *first, int nf, const int *second, int n2, bool *trans)
{
    int order[OL_EINSUM_MAX_LABELS];
    int n = concat(order, batch, nb, first, nf, second, n2);
    *trans = false;
    if (dense_as(r, v, order, n))
        return v->data;
    concat(order, batch, nb, second, n2, first, nf);
    if (dense_as(r, v, order, n)) {
        *trans = true;
        return v->data;
    }
    n = concat(order, batch, nb, first, nf, second, n2);
    void *dst = region(r, which, extent(r, order, n));
    pack(r, v, order, n, dst);
    return dst;
}

/* out = contraction of a and b: labels shared and still needed are batch axes, shared and not needed
 * are summed by the GEMM, labels of one side that are not needed are summed while packing. The
 * result is dense [batch, a's kept, b's kept]; for the last contraction it goes straight to `dst`
 * when that order is want_order (true is returned), else to a scratch region. */
static bool contract(einsum_run *r, const view *a, const view *b, const bool *needed, int result_region,
                     bool last, void *dst, const int *want_order, int n_want, view *out)
{
    int batch[OL_EINSUM_MAX_LABELS], inner[OL_EINSUM_MAX_LABELS], a_keep[OL_EINSUM_MAX_LABELS];
    int b_keep[OL_EINSUM_MAX_LABELS], nb = 0, ni = 0, na = 0, nk = 0;
    for (int i = 0; i < a->n; i++) {
        int l = a->label[i];
        bool shared = find(b->label, b->n, l) >= 0;
        if (shared && needed[l])
            batch[nb++] = l;
        else if (shared)
            inner[ni++] = l;
        else if (needed[l])
            a_keep[na++] = l;
    }
    for (int i = 0; i < b->n; i++)
        if (find(a->label, a->n, b->label[i]) < 0 && needed[b->label[i]])
            b_keep[nk++] = b->label[i];
    bool ta, tb;
    const void *pa = operand(r, a, REGION_A, batch, nb, a_keep, na, inner, ni, &ta);
    const void *pb = operand(r, b, REGION_B, batch, nb, inner, ni, b_keep, nk, &tb);
    int64_t n_batch = extent(r, batch, nb), M = extent(r, a_keep, na), N = extent(r, b_keep, nk);
    int64_t K = extent(r, inner, ni);
    out->n = concat(out->label, batch, nb, a_keep, na, b_keep, nk);
    /* The final product goes straight to y when its axes already are y's. */
    bool direct = last && out->n == n_want && memcmp(out->label, want_order, (size_t)n_want * sizeof(int)) == 0;
    void *res = direct ? dst : region(r, result_region, n_batch * M * N);
    int64_t stride = 1;
    for (int i = out->n - 1; i >= 0; i--) {
        out->dim[i] = r->plan->size[out->label[i]];
        out->stride[i] = stride;
        stride *= out->dim[i];
    }
    out->data = res;
    if (!r->dry && n_batch > 0)
        ol_gemm_batched(r->plan->dtype, ta, tb, n_batch, M, N, K, pa, M * K, pb, K * N, res);
    return direct;
}

static void evaluate(einsum_run *r, const ol_ktensor *const *inputs, void *y)
{
    const ol_einsum_plan *plan = r->plan;
    view current, next, operand_b;
    input_view(&plan->inputs[0], inputs[0], &current);
    int toggle = 0;
    for (int k = 1; k < plan->n_inputs; k++) {
        bool needed[OL_EINSUM_MAX_LABELS] = {false};
        for (int i = 0; i < plan->output.n; i++)
            needed[plan->output.labels[i]] = true;
        for (int j = k + 1; j < plan->n_inputs; j++)
            for (int i = 0; i < plan->inputs[j].n; i++)
                needed[plan->inputs[j].labels[i]] = true;
        input_view(&plan->inputs[k], inputs[k], &operand_b);
        bool last = k == plan->n_inputs - 1;
        if (contract(r, &current, &operand_b, needed, toggle ? REGION_R1 : REGION_R0, last, y,
                     plan->output.labels, plan->output.n, &next))
            return;
        current = next;
        toggle ^= 1;
    }
    pack(r, &current, plan->output.labels, plan->output.n, y);
}

/* ---- entry points ---- */

ol_status ol_einsum_prepare(const char *equation, size_t len, const ol_ktensor *const *inputs, int n_inputs,
                            ol_einsum_plan *plan, ol_error *err)
{
    memset(plan, 0, sizeof *plan);
    if (n_inputs < 1 || n_inputs > OL_EINSUM_MAX_INPUTS)
        return ol_fail(err, OL_ERR_UNSUPPORTED, "einsum: %d inputs (1..%d handled)", n_inputs,
                       OL_EINSUM_MAX_INPUTS);
    plan->dtype = inputs[0]->dtype;
    plan->n_inputs = n_inputs;
    size_t lhs_len = len;
    const char *arrow = NULL;
    for (size_t i = 0; i + 1 < len; i++)
        if (equation[i] == '-' && equation[i + 1] == '>') {
            arrow = equation + i;
            lhs_len = i;
            break;
        }
    /* Input terms. */
    raw_term raw[OL_EINSUM_MAX_INPUTS];
    size_t start = 0;
    int term = 0, total_ellipsis = 0;
    for (size_t i = 0; i <= lhs_len; i++) {
        if (i < lhs_len && equation[i] != ',')
            continue;
        if (term >= n_inputs)
            return ol_fail(err, OL_ERR_INVALID, "einsum: equation has more terms than the %d inputs", n_inputs);
        ol_status st = parse_raw(equation + start, i - start, &raw[term], "input", err);
        if (st != OL_OK)
            return st;
        const ol_ktensor *t = inputs[term];
        if (t->dtype != plan->dtype)
            return ol_fail(err, OL_ERR_INVALID, "einsum: inputs mix %s and %s", ol_dtype_name(plan->dtype),
                           ol_dtype_name(t->dtype));
        int axes = t->rank - raw[term].explicit_labels;
        if (axes < 0 || (!raw[term].has_ellipsis && axes != 0))
            return ol_fail(err, OL_ERR_INVALID, "einsum: term %d has %d labels for a rank-%d input", term,
                           raw[term].explicit_labels, t->rank);
        if (axes > total_ellipsis)
            total_ellipsis = axes;
        term++;
        start = i + 1;
    }
    if (term != n_inputs)
        return ol_fail(err, OL_ERR_INVALID, "einsum: equation has %d terms for %d inputs", term, n_inputs);
    int count[OL_EINSUM_MAX_LABELS] = {0};
    for (int l = 0; l < OL_EINSUM_MAX_LABELS; l++)
        plan->size[l] = -1;
    for (int k = 0; k < n_inputs; k++) {
        const ol_ktensor *t = inputs[k];
        ol_einsum_term *in = &plan->inputs[k];
        expand(&raw[k], t->rank - raw[k].explicit_labels, total_ellipsis, in);
        for (int i = 0; i < in->n; i++) {
            int l = in->labels[i];
            int64_t d = t->dims[i];
            count[l]++;
            int first = find(in->labels, i, l);
            if (first >= 0 && t->dims[first] != d)
                return ol_fail(err, OL_ERR_INVALID, "einsum: repeated label of term %d spans sizes %lld and %lld",
                               k, (long long)t->dims[first], (long long)d);
            if (plan->size[l] < 0 || plan->size[l] == 1)
                plan->size[l] = d;
            else if (d != plan->size[l] && d != 1)
                return ol_fail(err, OL_ERR_INVALID, "einsum: a label has sizes %lld and %lld",
                               (long long)plan->size[l], (long long)d);
        }
    }
    /* The output term: written after "->", or every label used once, broadcast axes first. */
    ol_einsum_term *out = &plan->output;
    if (arrow) {
        raw_term ro;
        ol_status st = parse_raw(arrow + 2, len - (size_t)(arrow + 2 - equation), &ro, "output", err);
        if (st != OL_OK)
            return st;
        if (ro.explicit_labels + (ro.has_ellipsis ? total_ellipsis : 0) > OL_KMAX_RANK)
            return ol_fail(err, OL_ERR_UNSUPPORTED, "einsum: output rank above %d", OL_KMAX_RANK);
        expand(&ro, total_ellipsis, total_ellipsis, out);
        for (int i = 0; i < out->n; i++) {
            int l = out->labels[i];
            if (find(out->labels, i, l) >= 0)
                return ol_fail(err, OL_ERR_INVALID, "einsum: output label repeated");
            if (count[l] == 0)
                return ol_fail(err, OL_ERR_INVALID, "einsum: output label '%c' is in no input",
                               l < 26 ? 'A' + l : 'a' + (l - 26));
        }
    } else {
        out->n = 0;
        for (int j = 0; j < total_ellipsis; j++)
            out->labels[out->n++] = N_LETTERS + j;
        for (int l = 0; l < N_LETTERS; l++)
            if (count[l] == 1) {
                if (out->n >= OL_KMAX_RANK)
                    return ol_fail(err, OL_ERR_UNSUPPORTED, "einsum: output rank above %d", OL_KMAX_RANK);
                out->labels[out->n++] = l;
            }
    }
    /* Plan the scratch by running the evaluation without data. */
    einsum_run r = {.plan = plan, .dry = true};
    evaluate(&r, inputs, NULL);
    size_t offset = 0;
    for (int i = 0; i < 4; i++) {
        plan->region_offset[i] = offset;
        offset += (r.need[i] + 63) & ~(size_t)63;
    }
    plan->scratch_bytes = offset;
    return OL_OK;
}

void ol_einsum_output_dims(const ol_einsum_plan *plan, int64_t *dims)
{
    for (int i = 0; i < plan->output.n; i++)
        dims[i] = plan->size[plan->output.labels[i]];
}

void ol_einsum_run(const ol_einsum_plan *plan, const ol_ktensor *const *inputs, ol_ktensor *y, void *scratch)
{
    einsum_run r = {.plan = plan, .scratch = scratch};
    evaluate(&r, inputs, y->data);
}
