/* The tensor-layout ops (table ol_ops_layout in layout.c): run functions and the helpers their
 * glue shares. Kernels live in backends/kernels; these files read attributes, apply the opset rules
 * and check shapes. */
#ifndef OL_EXEC_OPS_LAYOUT_INTERNAL_H
#define OL_EXEC_OPS_LAYOUT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "exec/op.h"

/* ---- shared helpers (layout_common.c) ---- */

/* Input i, failing with "missing input" when it is omitted. */
const ol_ktensor *layout_input(ol_op_ctx *ctx, size_t i, const char *what);
/* Bytes per element of t; fails (unsupported) for strings and sub-byte types. */
ol_status layout_elem_size(ol_op_ctx *ctx, const ol_ktensor *t, size_t *size);
/* axis in [-rank, rank) -> [0, rank); `what` names the attribute in the message. */
ol_status layout_axis(ol_op_ctx *ctx, int64_t axis, int rank, const char *what, int *out);
/* Reads an int32/int64 tensor of rank 0 or 1 (up to `cap` values) into out. */
ol_status layout_ints(ol_op_ctx *ctx, const ol_ktensor *t, const char *what, int64_t *out, size_t cap,
                      size_t *n);
/* Reads a numeric 1-element tensor as a double. */
ol_status layout_scalar(ol_op_ctx *ctx, const ol_ktensor *t, const char *what, double *out);
/* Writes `value` as one element of `dtype` (numeric types and bool); false for other types. */
bool layout_value_bytes(ol_dtype dtype, double value, void *out);
/* An attribute string compared with a literal. */
bool layout_attr_is(const ol_node *node, const char *name, const char *dflt, const char *value);

/* ---- the ops ---- */

ol_status layout_reshape(ol_op_ctx *ctx);
ol_status layout_flatten(ol_op_ctx *ctx);
ol_status layout_squeeze(ol_op_ctx *ctx);
ol_status layout_unsqueeze(ol_op_ctx *ctx);
ol_status layout_identity(ol_op_ctx *ctx);
ol_status layout_dropout(ol_op_ctx *ctx);

ol_status layout_transpose(ol_op_ctx *ctx);
ol_status layout_depth_to_space(ol_op_ctx *ctx);
ol_status layout_space_to_depth(ol_op_ctx *ctx);

ol_status layout_concat(ol_op_ctx *ctx);
ol_status layout_split(ol_op_ctx *ctx);

ol_status layout_slice(ol_op_ctx *ctx);
ol_status layout_pad(ol_op_ctx *ctx);
ol_status layout_tile(ol_op_ctx *ctx);
ol_status layout_expand(ol_op_ctx *ctx);

ol_status layout_gather(ol_op_ctx *ctx);
ol_status layout_gather_elements(ol_op_ctx *ctx);
ol_status layout_gather_nd(ol_op_ctx *ctx);
ol_status layout_scatter_elements(ol_op_ctx *ctx);
ol_status layout_scatter_nd(ol_op_ctx *ctx);

ol_status layout_resize(ol_op_ctx *ctx);
ol_status layout_upsample(ol_op_ctx *ctx);

ol_status layout_shape(ol_op_ctx *ctx);
ol_status layout_size(ol_op_ctx *ctx);
ol_status layout_constant(ol_op_ctx *ctx);
ol_status layout_constant_of_shape(ol_op_ctx *ctx);

ol_status layout_range(ol_op_ctx *ctx);
ol_status layout_trilu(ol_op_ctx *ctx);
ol_status layout_onehot(ol_op_ctx *ctx);
ol_status layout_nonzero(ol_op_ctx *ctx);

#endif
