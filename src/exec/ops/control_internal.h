/* The control-flow ops (table ol_ops_control in control.c). */
#ifndef OL_EXEC_OPS_CONTROL_INTERNAL_H
#define OL_EXEC_OPS_CONTROL_INTERNAL_H

#include "exec/op.h"

ol_status control_if(ol_op_ctx *ctx);
ol_status control_loop(ol_op_ctx *ctx);

/* The graph held by attribute `name`, failing when it is absent. */
const ol_graph *control_subgraph(ol_op_ctx *ctx, const char *name);
/* Reads a 1-element bool or numeric tensor as a truth value. */
ol_status control_truth(ol_op_ctx *ctx, const ol_ktensor *t, const char *what, bool *out);

#endif
