/* The table of built-in passes.
 *
 * Order matters: -O1 runs the passes flagged OL_PASS_LOSSLESS in this order, then eliminate-dead
 * once more to drop what the others disconnected (pipeline.c). So: cleanup first, then
 * canonicalizations, constant folding, fusions; lossy passes (quantization, pruning) anywhere, as
 * -O1 skips them. `onnx-lite passes` lists them in this order too. */
#include "pass/builtin_passes.h"

const ol_pass_def *const ol_builtin_passes[] = {
    &ol_pass_eliminate_dead,
    &ol_pass_fold_constants,
    &ol_pass_inline_constant_if,
    &ol_pass_fold_shapes,
    &ol_pass_dedupe_initializers,
    &ol_pass_cse,
    &ol_pass_merge_transposes,
    &ol_pass_merge_reshapes,
    &ol_pass_remove_noops,
    &ol_pass_fuse_pad_conv,
    &ol_pass_fuse_bn,
    &ol_pass_fold_scale_into_conv,
    &ol_pass_fuse_matmul_add,
    &ol_pass_qdq_to_qoperator,
    &ol_pass_quantize_dynamic,
    &ol_pass_float16,
    &ol_pass_quantize,
};

const size_t ol_builtin_pass_count = sizeof ol_builtin_passes / sizeof *ol_builtin_passes;
