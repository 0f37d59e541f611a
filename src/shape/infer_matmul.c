/* Matrix products: Gemm, MatMul (numpy rules: batch broadcasting, 1-D operands promoted then
 * dropped), its integer and quantized forms, and Einsum. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "shape/infer_internal.h"

static ol_status matmul_shape(infer_ctx *c, size_t ai, size_t bi, ol_dtype elem)
{
    ol_status st;
    if ((st = infer_in_require(c, ai)) != OL_OK || (st = infer_in_require(c, bi)) != OL_OK)
        return st;
    int ra = infer_in_rank(c, ai), rb = infer_in_rank(c, bi);
    if (ra == 0 || rb == 0)
        return infer_fail(c, "operands must have rank >= 1 (have %d and %d)", ra, rb);
    if (ra < 0 || rb < 0)
        return infer_out_tensor(c, 0, elem, -1);
    const ol_dim *a = infer_in_dims(c, ai), *b = infer_in_dims(c, bi);
    ol_dim one = dim_of(1);
    /* A 1-D A is a row [1, K], a 1-D B a column [K, 1]; the added axis is dropped afterwards. */
    const ol_dim *m = ra >= 2 ? &a[ra - 2] : &one, *ka = &a[ra - 1];
    const ol_dim *kb = rb >= 2 ? &b[rb - 2] : &b[0], *n = rb >= 2 ? &b[rb - 1] : &one;
    ol_dim k;
    if ((st = infer_dim_unify(c, ka, kb, "inner dimensions of the operands differ", &k)) != OL_OK)
        return st;
    ol_dim out[OL_MAX_RANK + 2];
    int r;
    int batch_a = ra > 2 ? ra - 2 : 0, batch_b = rb > 2 ? rb - 2 : 0;
    if ((st = infer_broadcast_dims(c, a, batch_a, b, batch_b, out, &r)) != OL_OK)
        return st;
    if (ra >= 2)
        out[r++] = *m;
    if (rb >= 2)
        out[r++] = *n;
    return infer_out_tensor_dims(c, 0, elem, r, out);
}

ol_status infer_matmul(infer_ctx *c)
{
    size_t idx[2] = {0, 1};
    ol_dtype elem;
    ol_status st = infer_common_elem(c, idx, 2, &elem);
    return st != OL_OK ? st : matmul_shape(c, 0, 1, elem);
}

ol_status infer_matmul_integer(infer_ctx *c)
{
    return matmul_shape(c, 0, 1, OL_INT32);
}

ol_status infer_qlinear_matmul(infer_ctx *c)
{
    ol_dtype elem = infer_in_elem(c, 7) != OL_UNDEFINED ? infer_in_elem(c, 7) : infer_in_elem(c, 0);
    return matmul_shape(c, 0, 3, elem);
}

ol_status infer_gemm(infer_ctx *c)
{
    ol_status st;
    if ((st = infer_in_require(c, 0)) != OL_OK || (st = infer_in_require(c, 1)) != OL_OK)
        return st;
    size_t idx[3] = {0, 1, 2};
    ol_dtype elem;
    if ((st = infer_common_elem(c, idx, infer_in_present(c, 2) ? 3 : 2, &elem)) != OL_OK)
        return st;
    int64_t trans_a, trans_b;
    if ((st = infer_attr_int(c, "transA", 0, &trans_a)) != OL_OK ||
        (st = infer_attr_int(c, "transB", 0, &trans_b)) != OL_OK)
        return st;
    int ra = infer_in_rank(c, 0), rb = infer_in_rank(c, 1);
    if ((ra >= 0 && ra != 2) || (rb >= 0 && rb != 2))
        return infer_fail(c, "A and B must be matrices (have rank %d and %d)", ra, rb);
    ol_dim out[2] = {dim_unknown(), dim_unknown()};
    ol_dim ka = dim_unknown(), kb = dim_unknown(), k;
    if (ra == 2) {
        out[0] = infer_in_dims(c, 0)[trans_a ? 1 : 0];
        ka = infer_in_dims(c, 0)[trans_a ? 0 : 1];
    }
    if (rb == 2) {
        out[1] = infer_in_dims(c, 1)[trans_b ? 0 : 1];
        kb = infer_in_dims(c, 1)[trans_b ? 1 : 0];
    }
    if ((st = infer_dim_unify(c, &ka, &kb, "inner dimensions of A and B differ", &k)) != OL_OK)
        return st;
    int rc = infer_in_rank(c, 2);
    if (rc > 2)
        return infer_fail(c, "C has rank %d; it must broadcast to a matrix", rc);
    if (rc >= 0) {
        /* C broadcasts to [M, N] in one direction only: the result must still be [M, N]. */
        ol_dim bc[OL_MAX_RANK];
        int r;
        if ((st = infer_broadcast_dims(c, out, 2, infer_in_dims(c, 2), rc, bc, &r)) != OL_OK)
            return st;
        for (int d = 0; d < 2; d++) {
            if (dim_known(&out[d]) && dim_known(&bc[d]) && bc[d].value != out[d].value)
                return infer_fail(c, "C does not broadcast to the %lld x %lld result",
                                  (long long)out[0].value, (long long)out[1].value);
            if (!dim_known(&out[d]) && dim_known(&bc[d]))
                out[d] = bc[d];  /* a C dim other than 1 fixes the result's */
        }
    }
    return infer_out_tensor_dims(c, 0, elem, 2, out);
}

/* ---------------------------------------------------------------------------------------------- */
/* Einsum. */

#define EINSUM_LABELS 128

typedef struct einsum_term {
    char labels[OL_MAX_RANK + 1];
    int n_labels;
    int ellipsis_at;  /* label index the ellipsis precedes, or -1 */
} einsum_term;

static ol_status parse_term(infer_ctx *c, const char *s, size_t len, einsum_term *t)
{
    *t = (einsum_term){.ellipsis_at = -1};
    for (size_t i = 0; i < len; i++) {
        if (s[i] == ' ')
            continue;
        if (s[i] == '.') {
            if (i + 2 >= len || s[i + 1] != '.' || s[i + 2] != '.' || t->ellipsis_at >= 0)
                return infer_fail(c, "malformed ellipsis in equation term '%.*s'", (int)len, s);
            t->ellipsis_at = t->n_labels;
            i += 2;
            continue;
        }
        if (!isalpha((unsigned char)s[i]))
            return infer_fail(c, "equation has invalid character '%c'", s[i]);
        if (t->n_labels >= OL_MAX_RANK)
            return infer_fail(c, "equation term '%.*s' has too many labels", (int)len, s);
        t->labels[t->n_labels++] = s[i];
    }
    return OL_OK;
}

/* Records the dim of a label, letting a size-1 dim broadcast against another size. */
static ol_status bind_label(infer_ctx *c, ol_dim *bound, bool *seen, char label, const ol_dim *d)
{
    unsigned char l = (unsigned char)label;
    if (!seen[l]) {
        seen[l] = true;
        bound[l] = *d;
        return OL_OK;
    }
    if (dim_known(&bound[l]) && bound[l].value == 1) {
        bound[l] = *d;
        return OL_OK;
    }
    if (dim_known(d) && d->value == 1)
        return OL_OK;
    char what[64];
    snprintf(what, sizeof what, "label '%c' has inconsistent sizes", label);
    return infer_dim_unify(c, &bound[l], d, what, &bound[l]);
}

ol_status infer_einsum(infer_ctx *c)
{
    const char *eq;
    size_t len;
    ol_status st = infer_attr_string(c, "equation", NULL, &eq, &len);
    if (st != OL_OK)
        return st;
    if (!eq)
        return infer_fail(c, "attribute 'equation' is required");
    size_t n_inputs = infer_in_count(c);
    if (n_inputs == 0 || n_inputs > OL_MAX_RANK)
        return infer_fail(c, "has %zu inputs", n_inputs);
    size_t idx[OL_MAX_RANK];
    for (size_t i = 0; i < n_inputs; i++) {
        if ((st = infer_in_require(c, i)) != OL_OK)
            return st;
        idx[i] = i;
    }
    ol_dtype elem;
    if ((st = infer_common_elem(c, idx, n_inputs, &elem)) != OL_OK)
        return st;

    const char *arrow = NULL;
    for (size_t i = 0; i + 1 < len; i++)
        if (eq[i] == '-' && eq[i + 1] == '>') {
            arrow = eq + i;
            break;
        }
    size_t lhs_len = arrow ? (size_t)(arrow - eq) : len;
    einsum_term terms[OL_MAX_RANK];
    size_t n_terms = 0, start = 0;
    for (size_t i = 0; i <= lhs_len; i++) {
        if (i < lhs_len && eq[i] != ',')
            continue;
        if (n_terms >= n_inputs)
            return infer_fail(c, "equation has more terms than the %zu inputs", n_inputs);
        if ((st = parse_term(c, eq + start, i - start, &terms[n_terms++])) != OL_OK)
            return st;
        start = i + 1;
    }
    if (n_terms != n_inputs)
        return infer_fail(c, "equation has %zu terms for %zu inputs", n_terms, n_inputs);

    ol_dim bound[EINSUM_LABELS];
    bool seen[EINSUM_LABELS] = {false};
    int count[EINSUM_LABELS] = {0};
    ol_dim ell[OL_MAX_RANK];
    int ell_rank = 0;
    bool ranks_known = true, any_ellipsis = false;
    for (size_t i = 0; i < n_terms; i++) {
        const einsum_term *t = &terms[i];
        any_ellipsis |= t->ellipsis_at >= 0;
        for (int l = 0; l < t->n_labels; l++)
            count[(unsigned char)t->labels[l]]++;
        int r = infer_in_rank(c, i);
        if (r < 0) {
            ranks_known = false;
            continue;
        }
        int extra = r - t->n_labels;
        if (extra < 0 || (t->ellipsis_at < 0 && extra != 0))
            return infer_fail(c, "input %zu has rank %d but its equation term has %d labels%s", i, r,
                              t->n_labels, t->ellipsis_at >= 0 ? " and an ellipsis" : "");
        const ol_dim *d = infer_in_dims(c, i);
        for (int l = 0; l < t->n_labels; l++) {
            int axis = t->ellipsis_at >= 0 && l >= t->ellipsis_at ? l + extra : l;
            if ((st = bind_label(c, bound, seen, t->labels[l], &d[axis])) != OL_OK)
                return st;
        }
        if (t->ellipsis_at >= 0) {
            ol_dim acc[OL_MAX_RANK];
            memcpy(acc, ell, (size_t)ell_rank * sizeof *acc);
            st = infer_broadcast_dims(c, acc, ell_rank, d + t->ellipsis_at, extra, ell, &ell_rank);
            if (st != OL_OK)
                return st;
        }
    }

    einsum_term out_term;
    if (arrow) {
        if ((st = parse_term(c, arrow + 2, len - lhs_len - 2, &out_term)) != OL_OK)
            return st;
        for (int l = 0; l < out_term.n_labels; l++)
            if (!count[(unsigned char)out_term.labels[l]])
                return infer_fail(c, "output label '%c' does not appear in the inputs",
                                  out_term.labels[l]);
    } else {
        /* Implicit output: the broadcast dims, then labels used once, in alphabetical order. */
        out_term = (einsum_term){.ellipsis_at = any_ellipsis ? 0 : -1};
        for (int ch = 0; ch < EINSUM_LABELS; ch++)
            if (count[ch] == 1 && out_term.n_labels < OL_MAX_RANK)
                out_term.labels[out_term.n_labels++] = (char)ch;
    }
    if (!ranks_known && (any_ellipsis || out_term.ellipsis_at >= 0))
        return infer_out_tensor(c, 0, elem, -1);
    int rank = out_term.n_labels + (out_term.ellipsis_at >= 0 ? ell_rank : 0);
    if (rank > OL_MAX_RANK)
        return infer_fail(c, "output rank %d is above the limit of %d", rank, OL_MAX_RANK);
    ol_dim out[OL_MAX_RANK];
    int r = 0;
    for (int l = 0; l <= out_term.n_labels; l++) {
        if (l == out_term.ellipsis_at)
            for (int e = 0; e < ell_rank; e++)
                out[r++] = ell[e];
        if (l < out_term.n_labels) {
            unsigned char ch = (unsigned char)out_term.labels[l];
            out[r++] = seen[ch] ? bound[ch] : dim_unknown();
        }
    }
    return infer_out_tensor_dims(c, 0, elem, rank, out);
}

/* Det: [..., M, M] -> [...]. */
ol_status infer_det(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    int r = infer_in_rank(c, 0);
    if (r < 0)
        return infer_out_tensor(c, 0, infer_in_elem(c, 0), -1);
    if (r < 2)
        return infer_fail(c, "input must have rank >= 2, not %d", r);
    const ol_dim *d = infer_in_dims(c, 0);
    ol_dim m;
    if ((st = infer_dim_unify(c, &d[r - 2], &d[r - 1], "matrices must be square", &m)) != OL_OK)
        return st;
    return infer_out_tensor_dims(c, 0, infer_in_elem(c, 0), r - 2, d);
}
