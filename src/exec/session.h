/* The reference executor: runs a model's graph on CPU with the kernels of backends/kernels.
 * Used by `onnx-lite run/bench`, constant folding, calibration and verification. */
#ifndef OL_EXEC_SESSION_H
#define OL_EXEC_SESSION_H

#include <stdbool.h>

#include "kernels/ktensor.h"
#include "onnxlite/ir.h"

typedef struct ol_session ol_session;

typedef struct ol_session_options {
    int threads;      /* 0: leave the BLAS/OpenMP default */
    bool profile;     /* collect per-op-type time */
    bool no_fusion;   /* run every node as its own step (tests, debugging); see fuse.c */
    bool no_qdq_lowering;   /* run QDQ groups in float as written, not with integer kernels
                               (tests compare both); see session_qdq.c */
} ol_session_options;

/* Checks that every node (subgraphs included) has an implementation and refuses the model up
 * front with the list of missing operators otherwise. The model must outlive the session and must
 * not change while it exists. */
ol_status ol_session_create(const ol_model *model, const ol_session_options *options,
                            ol_session **out, ol_error *err);
void ol_session_destroy(ol_session *session);

size_t ol_session_input_count(const ol_session *session);
const ol_value *ol_session_input(const ol_session *session, size_t i);
size_t ol_session_output_count(const ol_session *session);
const ol_value *ol_session_output(const ol_session *session, size_t i);

/* Runs the graph. inputs[i] binds graph input i (data NULL: use the input's initializer). Inputs are
 * checked against the declared dtype and shape, with an error naming the input. On success
 * outputs[i] holds malloc'ed data owned by the caller (free(outputs[i].data)). */
ol_status ol_session_run(ol_session *session, const ol_ktensor *inputs, ol_ktensor *outputs,
                         ol_error *err);

/* Runs the graph like ol_session_run, but lends the outputs to `use` instead of handing them over:
 * outputs[i] points into the session's memory, valid only during the call, and never copied. Outputs
 * are planned in the activation arena like every other value, so repeated runs (calibration over a
 * data set) neither allocate nor copy them. `use` returns OL_OK or fails with err. */
typedef ol_status (*ol_session_output_fn)(void *user, const ol_ktensor *outputs, ol_error *err);
ol_status ol_session_run_borrowed(ol_session *session, const ol_ktensor *inputs, ol_session_output_fn use,
                                  void *user, ol_error *err);

typedef struct ol_op_time {
    const char *op_type;
    double total_ms;
    size_t calls;
} ol_op_time;

typedef struct ol_session_stats {
    size_t arena_bytes;        /* planned activation memory (peak, shared by liveness) */
    size_t activation_bytes;   /* sum of every activation's size (what no reuse would cost) */
    size_t heap_fallbacks;     /* allocations that missed the plan in the last run */
    size_t scratch_bytes;      /* largest temporary buffer an op asked for */
    const ol_op_time *op_times;   /* per op type, when profiling; sorted by total time */
    size_t n_op_times;
} ol_session_stats;

void ol_session_get_stats(const ol_session *session, ol_session_stats *stats);
void ol_session_reset_profile(ol_session *session);

#endif
