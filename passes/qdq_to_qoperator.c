/* qdq-to-qoperator: turns a QDQ model's DequantizeLinear -> Conv/MatMul/Gemm -> QuantizeLinear
 * groups into QLinearConv / QLinearMatMul / ConvInteger / MatMulInteger, and lets the integer
 * tensor flow straight through data-movement ops (quant/qdq_lower.c does the work; the executor
 * does the same to every QDQ model it runs). Not lossless: the integer operators requantize once
 * where the QDQ form rounds in float, so outputs may differ by one quantization step. */
#include "pass/builtin_passes.h"
#include "quant/qdq_lower.h"

static const ol_pass_option OPTIONS[] = {
    {.name = "data-movement", .type = OL_OPTION_BOOL, .default_value = "true",
     .help = "run MaxPool/Reshape/Transpose/Flatten/Squeeze/Unsqueeze/Concat on the integer tensor"},
    {.name = "float-outputs", .type = OL_OPTION_BOOL, .default_value = "true",
     .help = "ConvInteger/MatMulInteger for Conv/MatMul/Gemm whose result is not requantized"},
};

static ol_status run_qdq_to_qoperator(ol_model *model, const ol_option_values *options, bool *changed,
                                      ol_error *err)
{
    ol_qdq_lower_options o = {.skip_data_movement = !ol_option_bool(options, "data-movement"),
                              .skip_float_outputs = !ol_option_bool(options, "float-outputs")};
    return ol_qdq_lower_to_qoperator(model, &o, changed, err);
}

const ol_pass_def ol_pass_qdq_to_qoperator = {
    OL_PASS_DEF_VERSION,
    .name = "qdq-to-qoperator",
    .description = "lower QDQ groups to QLinearConv, QLinearMatMul, ConvInteger and MatMulInteger",
    .options = OPTIONS,
    .n_options = sizeof OPTIONS / sizeof *OPTIONS,
    .run = run_qdq_to_qoperator,
};
