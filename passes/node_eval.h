/* Running one node on constant inputs through the reference executor (internal to passes/). */
#ifndef OL_PASSES_NODE_EVAL_H
#define OL_PASSES_NODE_EVAL_H

#include <stdbool.h>

#include "onnxlite/ir.h"

/* Runs a copy of `node` (same op, domain, opset and attributes) in a one-node model whose inputs are
 * `inputs[i]` (NULL where the node's input is omitted). On success outputs[k] is a new tensor for
 * each present output k (NULL for omitted ones), owned by the caller. When the executor cannot run
 * the node, or the node fails on these inputs, it returns OL_OK with *ran false: the caller leaves
 * the node alone. Only running out of memory is an error. */
ol_status pass_eval_node(const ol_node *node, const ol_tensor *const *inputs, ol_tensor **outputs,
                         bool *ran, ol_error *err);

#endif
