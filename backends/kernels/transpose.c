#include "kernels/transpose.h"

#include <string.h>

#include "kernels/axis_gather.h"

enum { TILE = 32 };

/* Drops size-1 axes and merges runs of axes that are consecutive in both layouts. On return
 * dims/perm describe the same permutation with *rank axes (input dims in input order). */
static void simplify(const int64_t *in_dims, const int *in_perm, int in_rank, int64_t *dims, int *perm,
                     int *rank)
{
    int relabel[OL_KMAX_RANK], kept = 0;
    for (int a = 0; a < in_rank; a++)
        relabel[a] = in_dims[a] == 1 ? -1 : kept++;
    /* Output order over the kept (relabelled) input axes. */
    int order[OL_KMAX_RANK], n = 0;
    for (int i = 0; i < in_rank; i++)
        if (relabel[in_perm[i]] >= 0)
            order[n++] = relabel[in_perm[i]];
    int64_t kept_dims[OL_KMAX_RANK];
    for (int a = 0; a < in_rank; a++)
        if (relabel[a] >= 0)
            kept_dims[relabel[a]] = in_dims[a];
    /* group_of_axis[input axis] = group index in output order; a group starts where the next
     * output axis is not the next input axis. */
    int groups = 0, group_of_axis[OL_KMAX_RANK];
    for (int i = 0; i < n; i++) {
        if (i == 0 || order[i] != order[i - 1] + 1)
            groups++;
        group_of_axis[order[i]] = groups - 1;
    }
    /* Groups in input order: the input axis that starts each group, sorted. */
    int by_input[OL_KMAX_RANK], g_in = 0;
    for (int a = 0; a < n; a++)
        if (a == 0 || group_of_axis[a] != group_of_axis[a - 1])
            by_input[g_in++] = group_of_axis[a];
    int input_pos_of_group[OL_KMAX_RANK];
    for (int k = 0; k < g_in; k++) {
        input_pos_of_group[by_input[k]] = k;
        dims[k] = 1;
    }
    for (int a = 0; a < n; a++)
        dims[input_pos_of_group[group_of_axis[a]]] *= kept_dims[a];
    for (int g = 0; g < groups; g++)
        perm[g] = input_pos_of_group[g];
    *rank = groups;
}

#define TILED_2D(type)                                                                            \
    do {                                                                                          \
        for (int64_t b = 0; b < batch; b++) {                                                     \
            const type *s = (const type *)src + b * rows * cols;                                  \
            type *d = (type *)dst + b * rows * cols;                                              \
            for (int64_t r0 = 0; r0 < rows; r0 += TILE)                                           \
                for (int64_t c0 = 0; c0 < cols; c0 += TILE) {                                     \
                    int64_t r1 = r0 + TILE < rows ? r0 + TILE : rows;                             \
                    int64_t c1 = c0 + TILE < cols ? c0 + TILE : cols;                             \
                    for (int64_t r = r0; r < r1; r++)                                             \
                        for (int64_t c = c0; c < c1; c++)                                         \
                            d[c * rows + r] = s[r * cols + c];                                    \
                }                                                                                 \
        }                                                                                         \
    } while (0)

/* dst[b][c][r] = src[b][r][c], in TILE x TILE blocks so both sides stay in cache. */
static void transpose_2d(const void *src, void *dst, int64_t batch, int64_t rows, int64_t cols, size_t es)
{
    switch (es) {
    case 1: TILED_2D(uint8_t); break;
    case 2: TILED_2D(uint16_t); break;
    case 4: TILED_2D(uint32_t); break;
    case 8: TILED_2D(uint64_t); break;
    default:
        for (int64_t b = 0; b < batch; b++)
            for (int64_t r = 0; r < rows; r++)
                for (int64_t c = 0; c < cols; c++)
                    memcpy((uint8_t *)dst + ((b * cols + c) * rows + r) * (int64_t)es,
                           (const uint8_t *)src + ((b * rows + r) * cols + c) * (int64_t)es, es);
    }
}

#define STRIDED_ROW(type)                                                                         \
    do {                                                                                          \
        const type *s = (const type *)src + offset;                                               \
        type *d = (type *)out;                                                                    \
        for (int64_t k = 0; k < width; k++)                                                       \
            d[k] = s[k * step];                                                                   \
    } while (0)

/* Any permutation: walks the output in order; the innermost output axis reads with a stride, or
 * copies whole blocks when the innermost axis is unchanged. */
static void transpose_general(const uint8_t *src, uint8_t *dst, const int64_t *dims, const int *perm,
                              int rank, size_t es)
{
    int64_t in_strides[OL_KMAX_RANK], out_dims[OL_KMAX_RANK], step_of[OL_KMAX_RANK];
    int64_t s = 1;
    for (int a = rank - 1; a >= 0; a--) {
        in_strides[a] = s;
        s *= dims[a];
    }
    for (int i = 0; i < rank; i++) {
        out_dims[i] = dims[perm[i]];
        step_of[i] = in_strides[perm[i]];
    }
    bool inner_contiguous = perm[rank - 1] == rank - 1;
    int last = rank - 1;
    int64_t width = out_dims[last], rows = s / width, step = step_of[last];
    int64_t coord[OL_KMAX_RANK] = {0};
    for (int64_t row = 0; row < rows; row++) {
        int64_t offset = 0;
        for (int i = 0; i < last; i++)
            offset += coord[i] * step_of[i];
        uint8_t *out = dst + row * width * (int64_t)es;
        if (inner_contiguous) {
            memcpy(out, src + offset * (int64_t)es, (size_t)width * es);
        } else {
            switch (es) {
            case 1: STRIDED_ROW(uint8_t); break;
            case 2: STRIDED_ROW(uint16_t); break;
            case 4: STRIDED_ROW(uint32_t); break;
            case 8: STRIDED_ROW(uint64_t); break;
            default:
                for (int64_t k = 0; k < width; k++)
                    memcpy(out + k * (int64_t)es, src + (offset + k * step) * (int64_t)es, es);
            }
        }
        for (int i = last - 1; i >= 0; i--) {
            if (++coord[i] < out_dims[i])
                break;
            coord[i] = 0;
        }
    }
}

void ol_transpose(const ol_ktensor *x, ol_ktensor *y, const int *perm)
{
    size_t es = ol_elem_size(x->dtype);
    int64_t total = ol_ktensor_numel(x);
    if (total == 0)
        return;
    int64_t dims[OL_KMAX_RANK];
    int p[OL_KMAX_RANK], rank;
    simplify(x->dims, perm, x->rank, dims, p, &rank);
    if (rank <= 1) {
        memcpy(y->data, x->data, (size_t)total * es);
    } else if (rank == 2) {
        transpose_2d(x->data, y->data, 1, dims[0], dims[1], es);
    } else if (rank == 3 && p[0] == 0 && p[1] == 2 && p[2] == 1) {
        transpose_2d(x->data, y->data, dims[0], dims[1], dims[2], es);
    } else {
        transpose_general(x->data, y->data, dims, p, rank, es);
    }
}

void ol_depth_to_space(const ol_ktensor *x, ol_ktensor *y, int64_t b, bool crd)
{
    int64_t n = x->dims[0], c = x->dims[1], h = x->dims[2], w = x->dims[3];
    ol_ktensor view = *x;
    view.rank = 6;
    if (crd) {
        /* [N, C/b^2, b, b, H, W] -> [N, C/b^2, H, b, W, b] */
        int64_t d[6] = {n, c / (b * b), b, b, h, w};
        memcpy(view.dims, d, sizeof d);
        ol_transpose(&view, y, (const int[]){0, 1, 4, 2, 5, 3});
    } else {
        /* [N, b, b, C/b^2, H, W] -> [N, C/b^2, H, b, W, b] */
        int64_t d[6] = {n, b, b, c / (b * b), h, w};
        memcpy(view.dims, d, sizeof d);
        ol_transpose(&view, y, (const int[]){0, 3, 4, 1, 5, 2});
    }
}

void ol_space_to_depth(const ol_ktensor *x, ol_ktensor *y, int64_t b)
{
    int64_t n = x->dims[0], c = x->dims[1], h = x->dims[2], w = x->dims[3];
    ol_ktensor view = *x;
    view.rank = 6;
    /* [N, C, H/b, b, W/b, b] -> [N, b, b, C, H/b, W/b] */
    int64_t d[6] = {n, c, h / b, b, w / b, b};
    memcpy(view.dims, d, sizeof d);
    ol_transpose(&view, y, (const int[]){0, 3, 5, 1, 2, 4});
}
