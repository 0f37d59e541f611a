/* Einsum: equation parsing (implicit and explicit output, ellipsis broadcasting, repeated labels as
 * diagonals) and evaluation as a chain of pairwise contractions, each a batched GEMM over operands
 * that are used in place when already laid out as [batch, rows, inner] and packed otherwise. */
#ifndef OL_KERNELS_EINSUM_H
#define OL_KERNELS_EINSUM_H

#include <stdbool.h>
#include <stddef.h>

#include "kernels/ktensor.h"
#include "onnxlite/status.h"

#define OL_EINSUM_MAX_INPUTS 32
/* a-z, A-Z, then one label per ellipsis axis. */
#define OL_EINSUM_MAX_LABELS (52 + OL_KMAX_RANK)

typedef struct ol_einsum_term {
    int n;                              /* labels, one per axis (repeats mean a diagonal) */
    int labels[OL_KMAX_RANK];
} ol_einsum_term;

typedef struct ol_einsum_plan {
    ol_dtype dtype;
    int n_inputs;
    ol_einsum_term inputs[OL_EINSUM_MAX_INPUTS];
    ol_einsum_term output;              /* distinct labels */
    int64_t size[OL_EINSUM_MAX_LABELS]; /* extent of each label (size-1 axes broadcast) */
    size_t region_offset[4];            /* scratch layout, filled by ol_einsum_prepare */
    size_t scratch_bytes;
} ol_einsum_plan;

/* Element types ol_einsum_run handles. */
bool ol_einsum_dtype_supported(ol_dtype dtype);

/* Parses `equation` (len bytes, spaces ignored) against the inputs' shapes and plans the
 * evaluation. Fails (OL_ERR_INVALID) naming the problem: syntax, term count or rank mismatch,
 * inconsistent label sizes, output labels that are repeated or absent from the inputs. */
ol_status ol_einsum_prepare(const char *equation, size_t len, const ol_ktensor *const *inputs, int n_inputs,
                            ol_einsum_plan *plan, ol_error *err);
/* The output's shape: rank plan->output.n, dims from the label sizes. */
void ol_einsum_output_dims(const ol_einsum_plan *plan, int64_t *dims);
/* Evaluates into y (shape from ol_einsum_output_dims); scratch holds plan->scratch_bytes. */
void ol_einsum_run(const ol_einsum_plan *plan, const ol_ktensor *const *inputs, ol_ktensor *y, void *scratch);

#endif
