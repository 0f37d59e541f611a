/* QDQ models run with integer kernels: a session for a model with DequantizeLinear -> op ->
 * QuantizeLinear groups compiles a private copy in which quant/qdq_lower.c has turned the groups
 * into QLinearConv, QLinearMatMul, ConvInteger and MatMulInteger, so the int8 GEMM (accumulating in
 * int32, requantized as the ONNX spec defines) does the work instead of float ops on dequantized
 * tensors. The caller's model is never changed (sessions borrow it as const). The copy is made by
 * writing and reading the model back: quantized models are small, and the reader and writer are the
 * one complete copy of the IR there is. */
#include "exec/session_qdq.h"

#include <stdlib.h>

#include "onnxlite/model_io.h"
#include "quant/qdq_lower.h"

ol_status ol_exec_lower_qdq(const ol_model *model, ol_model **out, ol_error *err)
{
    *out = NULL;
    if (!ol_qdq_lower_applies(model))
        return OL_OK;
    ol_bytes bytes = {0};
    ol_model *copy = NULL;
    bool changed = false;
    ol_status st = ol_model_write_buffer(model, &bytes, err);
    if (st == OL_OK)
        st = ol_model_read_buffer(bytes.data, bytes.size, NULL, &copy, err);
    free(bytes.data);
    if (st == OL_OK)
        st = ol_qdq_lower_to_qoperator(copy, NULL, &changed, err);
    if (st != OL_OK || !changed) {
        if (st != OL_OK)
            ol_error_prefix(err, "lowering the model's QDQ groups to integer operators: ");
        ol_model_destroy(copy);
        return st;
    }
    *out = copy;
    return OL_OK;
}
