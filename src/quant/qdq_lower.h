/* Lowering QDQ groups to the standard ONNX integer operators.
 *
 * A QDQ model says "this op may run on integers" by surrounding a float op with
 * DequantizeLinear (on its inputs) and QuantizeLinear (on its output). This rewrite turns such
 * groups into the integer operators that say so directly:
 *
 *   DQ(x) , DQ(w const) [, DQ(bias const)] -> Conv   -> Q   =>  QLinearConv
 *   DQ(a) , DQ(b)                          -> MatMul -> Q   =>  QLinearMatMul
 *   DQ(a) , DQ(b const) [, bias const]     -> Gemm   -> Q   =>  QLinearMatMul (no bias), or
 *                                  MatMulInteger -> Add(int32 bias) -> DequantizeLinear -> Q
 *   the same groups without the Q (the result stays float)  =>  ConvInteger / MatMulInteger ->
 *                                  DequantizeLinear(x_scale * w_scale) [-> Add(float bias)]
 *   DQ(x) -> MaxPool/Reshape/Transpose/Flatten/Squeeze/Unsqueeze/Concat -> Q with the same scale
 *   and zero point                                          =>  the op on the integer tensor
 *
 * A Relu or Clip between the op and its Q is dropped when the Q's range already clips at the same
 * points. Every other group keeps DQ -> float op -> Q. Only standard ONNX operators are emitted
 * (no com.microsoft ones), and only in forms onnxruntime's CPU provider runs (per-channel weight
 * zero points all equal, for instance); groups outside those forms are left alone, never
 * refused. The result computes what the QDQ model computes up to the rounding of the requantized
 * output (one quantization step).
 *
 * Used by the `quantize` pass (format=qoperator) and by the executor, which runs a lowered private
 * copy of every QDQ model (exec/session.c) so that quantized models run with integer kernels. */
#ifndef OL_QUANT_QDQ_LOWER_H
#define OL_QUANT_QDQ_LOWER_H

#include <stdbool.h>

#include "onnxlite/ir.h"

typedef struct ol_qdq_lower_options {
    bool skip_data_movement;   /* keep DQ -> MaxPool/Reshape/... -> Q in float */
    bool skip_float_outputs;   /* keep groups whose result stays float (no ConvInteger/MatMulInteger) */
} ol_qdq_lower_options;

/* Lowers every group of the model's graphs (subgraphs included). `options` may be NULL for the
 * defaults (everything lowered). Sets *changed when it rewrote something; leaves the nodes in
 * topological order and the erased ones compacted. Fails only for out of memory or a model the IR
 * verifier would refuse. */
ol_status ol_qdq_lower_to_qoperator(ol_model *model, const ol_qdq_lower_options *options, bool *changed,
                                    ol_error *err);

/* Whether ol_qdq_lower_to_qoperator may find something to lower, in any graph: a Conv, MatMul or
 * Gemm whose first input comes out of a DequantizeLinear, or a data-movement op between a
 * DequantizeLinear and a QuantizeLinear. Cheap; the model is not changed. */
bool ol_qdq_lower_applies(const ol_model *model);

#endif
