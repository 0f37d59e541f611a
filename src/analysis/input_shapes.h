/* Fixing the shapes of a model's graph inputs before analysis.
 *
 * MACs and shapes downstream need static input shapes, but exported models usually declare a
 * symbolic batch ("batch", "N") or unnamed unknown dims. These functions fill those in, either from
 * shapes the user gives or with an assumed value, and then run shape inference so every value gets
 * the resulting static shape. A graph input that also has an initializer is a default-valued
 * constant (IR < 4 style), not an input, and is left alone. */
#ifndef OL_ANALYSIS_INPUT_SHAPES_H
#define OL_ANALYSIS_INPUT_SHAPES_H

#include <stddef.h>
#include <stdint.h>

#include "onnxlite/ir.h"
#include "onnxlite/status.h"

/* A static shape for one named graph input. */
typedef struct ol_input_shape {
    char *name;
    int rank;
    int64_t *dims;
} ol_input_shape;

/* Parses "NAME:D0,D1,..." (e.g. "input:1,3,224,224"). The name ends at the last ':', so names that
 * contain ':' ("input:0:1,3") work. Dims are non-negative decimal integers; at least one is needed.
 * Fails with OL_ERR_ARG and a message quoting the text. */
ol_status ol_input_shape_parse(const char *text, ol_input_shape *out, ol_error *err);
void ol_input_shape_clear(ol_input_shape *shape);

/* Gives each named input the static shape listed for it, then runs ol_model_infer_shapes.
 *
 * Only symbolic or unknown dims are replaced; a dim the model fixes must be given unchanged, since
 * the rest of the model was built for it. A symbol bound this way is replaced wherever it appears
 * (ONNX gives one dim_param one size throughout a model), so fixing "batch" on one input fixes it on
 * the other inputs, in value_info and on the graph outputs.
 *
 * Fails with OL_ERR_ARG naming the input for an unknown name, a name given twice, a rank that
 * differs, a fixed dim that differs, or one symbol given two sizes; all of that is checked before
 * anything changes, so the model is then as it was. */
ol_status ol_model_override_input_shapes(ol_model *model, const ol_input_shape *shapes, size_t n,
                                         ol_error *err);

/* A dim that ol_model_bind_unknown_input_dims had to assume. */
typedef struct ol_assumed_dim {
    char *input;
    int axis;
    char *symbol; /* NULL for an unknown dim without a name */
    int64_t value;
} ol_assumed_dim;

typedef struct ol_assumed_dims {
    ol_assumed_dim *items;
    size_t n;
} ol_assumed_dims;

/* Sets every remaining symbolic or unknown dim of the graph inputs to `value`, records each one in
 * *assumed (in input order, then axis order; cleared first), then runs ol_model_infer_shapes. The
 * symbols are replaced throughout the model, as for overrides.
 * Inputs of unknown rank cannot be bound and are left as they are. */
ol_status ol_model_bind_unknown_input_dims(ol_model *model, int64_t value, ol_assumed_dims *assumed,
                                           ol_error *err);
void ol_assumed_dims_clear(ol_assumed_dims *assumed);

#endif
