/* Helpers for the unit tests of single passes (pass_builders.h runs whole pipelines): running one
 * pass the way the host does, building small graphs with random weights, and checking that a
 * rewritten model computes what the original did by running both in the reference executor. Like
 * ir_builders.h, every helper fails the running test instead of returning an error. */
#ifndef OL_TESTS_PASS_TESTING_H
#define OL_TESTS_PASS_TESTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ir_builders.h"
#include "onnxlite/pass.h"
#include "pass_builders.h"

/* Runs `pass` on `model` with its default options, overridden by `options` ("name=value", or NULL):
 * shape inference first when the pass needs it, then the pass, then the verifier and a write/read
 * round trip. Returns whether the pass reported a change. */
bool pt_run(const ol_pass_def *pass, ol_model *model, const char *options);
/* pt_run, then again: a second run must report no change (the pass reached its fixpoint). */
bool pt_run_settled(const ol_pass_def *pass, ol_model *model, const char *options);

/* An independent copy of `model` (written and read back). */
ol_model *pt_clone(const ol_model *model);

/* Runs `before` and `after` in the executor on the same random inputs (symbolic dims become 2) and
 * asserts every output has the same dtype and shape and values within 1e-4 relative (plus 1e-6
 * absolute, for results near zero). */
void pt_assert_same_outputs(const ol_model *before, const ol_model *after);
/* The same for lossy passes (quantization, float16): every output element within `tolerance` times
 * the largest magnitude of the original's output (float16 inputs and outputs are compared as
 * float). */
void pt_assert_close_outputs(const ol_model *before, const ol_model *after, double tolerance);

/* Initializers. pt_random_weight fills a float32 tensor from a fixed-seed generator, in
 * [lo, hi). */
ol_value *pt_random_weight(ol_graph *graph, const char *name, float lo, float hi, int rank,
                           const int64_t *dims);
ol_value *pt_floats(ol_graph *graph, const char *name, int rank, const int64_t *dims,
                    const float *values);
ol_value *pt_ints(ol_graph *graph, const char *name, int rank, const int64_t *dims,
                  const int64_t *values);
/* PT_INTS(g, "shape", 2, 3): a 1-D int64 initializer. */
#define PT_INTS(graph, name, ...)                                                                  \
    pt_ints((graph), (name), 1,                                                                    \
            (const int64_t[]){(int64_t)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t))},      \
            (const int64_t[]){__VA_ARGS__})
/* A graph input of `dtype` whose dims may be symbolic: params[i] non-NULL names dim i. */
ol_value *pt_input(ol_graph *graph, const char *name, ol_dtype dtype, int rank, const int64_t *dims,
                   const char *const *params);

/* The float32 elements of a constant value. */
const float *pt_const_floats(const ol_value *value);
/* The live node producing `value`, failing when there is none. */
ol_node *pt_producer(const ol_value *value);
/* The graph output named `name`. */
ol_value *pt_output(const ol_graph *graph, const char *name);

#endif
