/* Run functions of the normalize family, listed in one table in normalize.c. */
#ifndef OL_EXEC_NORMALIZE_OPS_H
#define OL_EXEC_NORMALIZE_OPS_H

#include "exec/op.h"

ol_status ol_run_reduce(ol_op_ctx *ctx);
ol_status ol_run_argmax(ol_op_ctx *ctx);
ol_status ol_run_argmin(ol_op_ctx *ctx);
ol_status ol_run_topk(ol_op_ctx *ctx);
ol_status ol_run_cumsum(ol_op_ctx *ctx);

#endif
