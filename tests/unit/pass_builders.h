/* Helpers for pass tests: run a pipeline the way `onnx-lite optimize` does, with the IR verifier
 * after every pass (always on in tests), and build subgraphs by hand. Like ir_builders.h, they fail
 * the running Criterion test instead of returning errors. */
#ifndef OL_TESTS_PASS_BUILDERS_H
#define OL_TESTS_PASS_BUILDERS_H

#include <stdbool.h>

#include "onnxlite/ir.h"
#include "pass/report.h"

/* Runs `pipeline` (text, against the built-in passes) over `model` with the verifier after each
 * pass; returns whether any pass changed the model. */
bool ptest_run(ol_model *model, const char *pipeline);

/* Same, but returns the status and leaves the message in *err and the run in *report (cleared
 * first; the caller clears it). */
ol_status ptest_try_run(ol_model *model, const char *pipeline, ol_pipeline_report *report, ol_error *err);

/* A new empty subgraph held by graph attribute `attr` of `node` (an If branch, a Loop body), so
 * that ol_graph_add_outer_ref records implicit uses on `node`. */
ol_graph *ptest_attach_subgraph(ol_node *node, const char *attr);

/* Number of live nodes of `graph` with this op type (subgraphs not included). */
size_t ptest_count_ops(const ol_graph *graph, const char *op_type);

#endif
