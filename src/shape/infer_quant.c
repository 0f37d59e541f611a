/* Linear quantization: shapes pass through; the quantized type comes from the zero point or the
 * output_dtype attribute (opset 21), the dequantized one from the scale or output_dtype. QLinearConv,
 * QLinearMatMul, ConvInteger and MatMulInteger live with their float counterparts. */
#include "shape/infer_internal.h"

static ol_status output_dtype_attr(infer_ctx *c, ol_dtype *out)
{
    int64_t v;
    *out = OL_UNDEFINED;
    ol_status st = infer_attr_int(c, "output_dtype", 0, &v);
    if (st != OL_OK)
        return st;
    if (v < 0 || v >= OL_DTYPE_COUNT)
        return infer_fail(c, "output_dtype %lld is not a data type", (long long)v);
    *out = (ol_dtype)v;  /* 0: not set */
    return OL_OK;
}

ol_status infer_quantize_linear(infer_ctx *c)
{
    ol_status st;
    if ((st = infer_in_require(c, 0)) != OL_OK || (st = infer_in_require(c, 1)) != OL_OK)
        return st;
    ol_dtype attr;
    if ((st = output_dtype_attr(c, &attr)) != OL_OK)
        return st;
    ol_dtype elem;
    if (infer_in_present(c, 2)) {
        elem = infer_in_elem(c, 2);
        if (attr != OL_UNDEFINED && elem != OL_UNDEFINED && attr != elem)
            return infer_fail(c, "output_dtype is %s but the zero point is %s", ol_dtype_name(attr),
                              ol_dtype_name(elem));
        if (elem == OL_UNDEFINED)
            elem = attr;
    } else {
        elem = attr != OL_UNDEFINED ? attr : OL_UINT8;  /* uint8 unless told otherwise */
    }
    return infer_out_shape_of_input(c, 0, 0, elem);
}

ol_status infer_dequantize_linear(infer_ctx *c)
{
    ol_status st;
    if ((st = infer_in_require(c, 0)) != OL_OK || (st = infer_in_require(c, 1)) != OL_OK)
        return st;
    ol_dtype elem;
    if ((st = output_dtype_attr(c, &elem)) != OL_OK)
        return st;
    if (elem == OL_UNDEFINED)
        elem = infer_in_elem(c, 1);
    if (elem == OL_UNDEFINED && c->opset < 19)
        elem = OL_FLOAT;  /* the only scale type before opset 19 */
    return infer_out_shape_of_input(c, 0, 0, elem);
}

ol_status infer_dynamic_quantize_linear(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    if ((st = infer_out_like_input(c, 0, 0, OL_UINT8)) != OL_OK ||
        (st = infer_out_tensor(c, 1, OL_FLOAT, 0)) != OL_OK)
        return st;
    return infer_out_tensor(c, 2, OL_UINT8, 0);
}
