/* The built-in passes, one `const ol_pass_def` per file in passes/. To add a pass: declare its
 * definition here, add one line to the table in builtin_passes.c, and the file to
 * passes/meson.build. */
#ifndef OL_PASS_BUILTIN_PASSES_H
#define OL_PASS_BUILTIN_PASSES_H

#include <stddef.h>

#include "onnxlite/pass.h"

extern const ol_pass_def ol_pass_eliminate_dead;   /* passes/eliminate_dead.c */

/* In the order -O1 runs the lossless ones (see builtin_passes.c). */
extern const ol_pass_def *const ol_builtin_passes[];
extern const size_t ol_builtin_pass_count;

#endif
