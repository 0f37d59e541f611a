/* The executor's integer path for QDQ models (see session_qdq.c). */
#ifndef OL_EXEC_SESSION_QDQ_H
#define OL_EXEC_SESSION_QDQ_H

#include "onnxlite/ir.h"

/* A private copy of `model` with its QDQ groups lowered to integer operators, in *out; *out is
 * NULL when the model has no group to lower (run it as it is). The caller destroys the copy. */
ol_status ol_exec_lower_qdq(const ol_model *model, ol_model **out, ol_error *err);

#endif
