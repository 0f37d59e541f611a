/* The built-in passes, one `const ol_pass_def` per file in passes/. To add a pass: declare its
 * definition here, add one line to the table in builtin_passes.c, and the file to
 * passes/meson.build. */
#ifndef OL_PASS_BUILTIN_PASSES_H
#define OL_PASS_BUILTIN_PASSES_H

#include <stddef.h>

#include "onnxlite/pass.h"

extern const ol_pass_def ol_pass_eliminate_dead;   /* passes/eliminate_dead.c */
extern const ol_pass_def ol_pass_fold_constants;          /* passes/fold_constants.c */
extern const ol_pass_def ol_pass_inline_constant_if;      /* passes/inline_constant_if.c */
extern const ol_pass_def ol_pass_fold_shapes;             /* passes/fold_shapes.c */
extern const ol_pass_def ol_pass_dedupe_initializers;     /* passes/dedupe_initializers.c */
extern const ol_pass_def ol_pass_cse;                     /* passes/cse.c */
extern const ol_pass_def ol_pass_merge_transposes;        /* passes/merge_transposes.c */
extern const ol_pass_def ol_pass_merge_reshapes;          /* passes/merge_reshapes.c */
extern const ol_pass_def ol_pass_remove_noops;            /* passes/remove_noops.c */
extern const ol_pass_def ol_pass_fuse_pad_conv;           /* passes/fuse_pad_conv.c */
extern const ol_pass_def ol_pass_fuse_bn;                 /* passes/fuse_bn.c */
extern const ol_pass_def ol_pass_fold_scale_into_conv;    /* passes/fold_scale_into_conv.c */
extern const ol_pass_def ol_pass_fuse_matmul_add;         /* passes/fuse_matmul_add.c */
extern const ol_pass_def ol_pass_qdq_to_qoperator;        /* passes/qdq_to_qoperator.c */
extern const ol_pass_def ol_pass_quantize_dynamic;        /* passes/quantize_dynamic.c */
extern const ol_pass_def ol_pass_float16;                 /* passes/float16.c */
extern const ol_pass_def ol_pass_quantize;                /* passes/quantize.c */

/* In the order -O1 runs the lossless ones (see builtin_passes.c). */
extern const ol_pass_def *const ol_builtin_passes[];
extern const size_t ol_builtin_pass_count;

#endif
