#include "pass/measure.h"

#include <stdlib.h>

#include "analysis/input_shapes.h"
#include "onnxlite/model_io.h"

/* What inspect assumes for a dim the model leaves open, so both print the same MACs. */
#define ASSUMED_DIM 1

ol_status ol_pass_measure(const ol_model *model, ol_model_stats *out, ol_error *err)
{
    *out = (ol_model_stats){0};
    ol_bytes bytes = {0};
    ol_model *copy = NULL;
    ol_assumed_dims assumed = {0};
    ol_status st = ol_model_write_buffer(model, &bytes, err);
    if (st == OL_OK)
        st = ol_model_read_buffer(bytes.data, bytes.size, NULL, &copy, err);
    free(bytes.data);
    if (st == OL_OK)
        st = ol_model_bind_unknown_input_dims(copy, ASSUMED_DIM, &assumed, err);
    if (st == OL_OK)
        st = ol_model_stats_compute(copy, out, err);
    if (st == OL_OK) {
        free(out->costs);
        out->costs = NULL;
        out->n_costs = 0;
    } else {
        ol_error_prefix(err, "measuring the model: ");
    }
    ol_assumed_dims_clear(&assumed);
    ol_model_destroy(copy);
    return st;
}
