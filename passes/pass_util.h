/* Helpers shared by the built-in passes (internal to passes/): walking every graph of a model,
 * reading constants, replacing values only where the IR allows it, and removing what a rewrite left
 * unused. Each pass file uses these so that it holds only its own pattern and rewrite. */
#ifndef OL_PASSES_PASS_UTIL_H
#define OL_PASSES_PASS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onnxlite/ir.h"
#include "onnxlite/pass.h"

/* ---- walking ---- */

/* Rewrites one graph; sets *changed when it changed anything. */
typedef ol_status (*pass_graph_fn)(ol_graph *graph, void *ctx, bool *changed, ol_error *err);

/* Runs `fn` on the main graph and then on every subgraph (If branches, Loop and Scan bodies) of the
 * nodes still alive, outermost first, so a subgraph sees the constants its parent folded. Each graph
 * is topologically sorted before `fn` sees it and again when `fn` changed it (rewrites append their
 * new nodes at the end), then compacted. */
ol_status pass_for_each_graph(ol_model *model, pass_graph_fn fn, void *ctx, bool *changed, ol_error *err);

/* ---- nodes ---- */

/* The node belongs to the default ONNX domain; passes leave every other domain untouched. */
bool pass_is_onnx(const ol_node *node);
/* Default-domain node of type `op_type` that is still alive. */
bool pass_is_op(const ol_node *node, const char *op_type);
bool pass_has_subgraphs(const ol_node *node);
/* Node input i, or NULL when it is absent or omitted. */
ol_value *pass_input(const ol_node *node, size_t i);
/* Output i is absent, or nothing reads it and it is not a graph output. */
bool pass_output_unused(const ol_node *node, size_t i);

/* ---- values ---- */

/* Constant contents of `value` that a pass may rely on: an initializer or a Constant node's tensor.
 * An initializer that is also a graph input is a default the caller may override, so it is not a
 * constant. */
const ol_tensor *pass_constant(const ol_value *value);
/* `value` is read exactly once, by `node`, and is not a graph output: the node may absorb it. */
bool pass_single_use_by(const ol_value *value, const ol_node *node);
/* ol_value_replace_all_uses(from, to) would succeed (same graph; a graph output can only be taken
 * over by a plain node output). Check before mutating anything. */
bool pass_can_replace(const ol_value *from, const ol_value *to);
/* Static dims of a tensor-typed value into dims (rank written to *rank); false when not static. */
bool pass_static_shape(const ol_value *value, int *rank, int64_t *dims);
/* Known element type of a value (from its type or its constant), OL_UNDEFINED otherwise. */
ol_dtype pass_elem_type(const ol_value *value);

/* Adds an initializer holding `tensor` (ownership taken, also on failure) under a fresh name derived
 * from `hint`. */
ol_value *pass_add_initializer(ol_graph *graph, const char *hint, ol_tensor *tensor, ol_error *err);

/* Replaces every use of `value` by a constant holding `tensor` (ownership taken, also on failure)
 * and drops what that leaves unused, the producer included. The constant is an initializer that
 * takes over the value's name once the value is gone; a graph output is instead produced by a new
 * Constant node, since the interface must keep its name and an initializer cannot be an output. */
ol_status pass_replace_with_constant(ol_graph *graph, ol_value *value, ol_tensor *tensor, ol_error *err);

/* Removes `value` if a rewrite left it unused: an unused initializer or outer reference is erased,
 * and a default-domain node all of whose outputs are unused is erased together with whatever that
 * in turn leaves unused. Graph inputs, graph outputs and other domains are never touched. */
ol_status pass_drop_if_unused(ol_graph *graph, ol_value *value, ol_error *err);
/* pass_drop_if_unused on every input of `node` (call after erasing it). */
ol_status pass_drop_unused_inputs(ol_graph *graph, const ol_node *node, ol_error *err);
/* Erases `node` (whose outputs nothing may read any more) with its output values, then drops its
 * inputs that became unused. */
ol_status pass_erase_node(ol_graph *graph, ol_node *node, ol_error *err);

/* ---- names ---- */

/* A name for a node added next to another: "<base>_<suffix>" (base alone for a NULL suffix) with
 * "_1", "_2", ... appended until no live node of `graph` has it. NULL when base is NULL or empty,
 * or out of memory: the new node then stays unnamed, which is always valid. Caller frees. */
char *pass_node_name(const ol_graph *graph, const char *base, const char *suffix);
/* Renames `value` (created under a fresh name) to "<base><suffix>" when no value of the model has
 * that name yet, so that new values read as derived from the originals ("w_quantized"); otherwise
 * the fresh name stays. */
void pass_prefer_name(ol_value *value, const char *base, const char *suffix);
/* Whether `name` (NULL: no) is one of the ';'-separated entries of `list` (NULL: empty), as the
 * exclude-nodes / exclude-ops options of the lossy passes spell them. */
bool pass_list_contains(const char *list, const char *name);

#endif
