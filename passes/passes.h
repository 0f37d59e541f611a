/* The lossless graph passes of passes/ (each defined in the file of the same name). The pass
 * registry lists them; tests run them directly. */
#ifndef OL_PASSES_PASSES_H
#define OL_PASSES_PASSES_H

#include "onnxlite/pass.h"

extern const ol_pass_def ol_pass_fold_constants;
extern const ol_pass_def ol_pass_remove_noops;
extern const ol_pass_def ol_pass_fold_shapes;
extern const ol_pass_def ol_pass_fuse_bn;
extern const ol_pass_def ol_pass_fuse_matmul_add;
extern const ol_pass_def ol_pass_fold_scale_into_conv;
extern const ol_pass_def ol_pass_fuse_pad_conv;
extern const ol_pass_def ol_pass_merge_transposes;
extern const ol_pass_def ol_pass_merge_reshapes;
extern const ol_pass_def ol_pass_cse;
extern const ol_pass_def ol_pass_dedupe_initializers;
extern const ol_pass_def ol_pass_inline_constant_if;

#endif
