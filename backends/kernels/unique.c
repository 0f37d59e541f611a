#include "kernels/unique.h"

#include <string.h>

#include "kernels/element.h"

typedef struct items {
    const ol_ktensor *x;
    int64_t outer, len, inner;
    bool is_float, is_unsigned64;
} items;

static int compare_elements(const items *it, int64_t i, int64_t j)
{
    if (it->is_float) {
        double a = ol_elem_get_f64(it->x->data, it->x->dtype, i), b = ol_elem_get_f64(it->x->data, it->x->dtype, j);
        bool na = a != a, nb = b != b;
        if (na || nb)
            return na == nb ? 0 : na ? 1 : -1;
        return a < b ? -1 : a > b;
    }
    int64_t a = ol_elem_get_i64(it->x->data, it->x->dtype, i), b = ol_elem_get_i64(it->x->data, it->x->dtype, j);
    if (it->is_unsigned64)
        return (uint64_t)a < (uint64_t)b ? -1 : (uint64_t)a > (uint64_t)b;
    return a < b ? -1 : a > b;
}

/* Lexicographic order of slices a and b. */
static int compare_items(const items *it, int64_t a, int64_t b)
{
    for (int64_t o = 0; o < it->outer; o++)
        for (int64_t in = 0; in < it->inner; in++) {
            int c = compare_elements(it, (o * it->len + a) * it->inner + in, (o * it->len + b) * it->inner + in);
            if (c)
                return c;
        }
    return 0;
}

/* Stable merge sort of the item indices in order[0..n) (tmp has n entries). */
static void sort_items(const items *it, int64_t *order, int64_t *tmp, int64_t n)
{
    for (int64_t width = 1; width < n; width *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * width) {
            int64_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            int64_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = compare_items(it, order[j], order[i]) < 0 ? order[j++] : order[i++];
            while (i < mid)
                tmp[k++] = order[i++];
            while (j < hi)
                tmp[k++] = order[j++];
        }
        memcpy(order, tmp, sizeof(int64_t) * (size_t)n);
    }
}

int64_t ol_unique(const ol_ktensor *x, int64_t outer, int64_t len, int64_t inner, bool sorted, int64_t *first,
                  int64_t *counts, int64_t *inverse, int64_t *work)
{
    items it = {.x = x, .outer = outer, .len = len, .inner = inner, .is_float = ol_elem_is_float(x->dtype),
                .is_unsigned64 = x->dtype == OL_UINT64};
    int64_t *order = work, *tmp = work + len;
    for (int64_t i = 0; i < len; i++)
        order[i] = i;
    sort_items(&it, order, tmp, len);
    /* Groups of equal items in sorted order; the sort is stable, so a group starts with its first
     * occurrence. */
    int64_t k = 0;
    for (int64_t i = 0; i < len; i++) {
        if (i == 0 || compare_items(&it, order[i - 1], order[i]) != 0) {
            first[k] = order[i];
            counts[k] = 0;
            k++;
        }
        counts[k - 1]++;
        inverse[order[i]] = k - 1;
    }
    if (sorted)
        return k;
    /* Renumber the groups by first occurrence: walking the items in input order meets each group
     * first at its first occurrence. */
    int64_t *rank = tmp, *new_first = order, *new_counts = work + 2 * len;
    for (int64_t g = 0; g < k; g++)
        rank[g] = -1;
    int64_t next = 0;
    for (int64_t i = 0; i < len; i++)
        if (rank[inverse[i]] < 0)
            rank[inverse[i]] = next++;
    for (int64_t g = 0; g < k; g++) {
        new_first[rank[g]] = first[g];
        new_counts[rank[g]] = counts[g];
    }
    memcpy(first, new_first, sizeof(int64_t) * (size_t)k);
    memcpy(counts, new_counts, sizeof(int64_t) * (size_t)k);
    for (int64_t i = 0; i < len; i++)
        inverse[i] = rank[inverse[i]];
    return k;
}
