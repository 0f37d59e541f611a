/* Copying and comparing node attributes (internal to passes/). */
#ifndef OL_PASSES_PASS_ATTRS_H
#define OL_PASSES_PASS_ATTRS_H

#include <stdbool.h>

#include "onnxlite/ir.h"

/* Every attribute of `node` is of a kind the IR's setters can reproduce (int, float, string without
 * NUL bytes, ints, floats, tensor). Subgraphs, lists of strings/tensors/graphs and attributes the IR
 * keeps packed are not. */
bool pass_attrs_copyable(const ol_node *node);
/* Copies every attribute of `src` onto `dst`; OL_ERR_UNSUPPORTED when !pass_attrs_copyable(src). */
ol_status pass_copy_attrs(ol_node *dst, const ol_node *src, ol_error *err);

/* Same attribute names with the same kinds and bit-identical contents, in any order. Nodes with
 * subgraph attributes are never equal: two bodies are not compared. */
bool pass_attrs_equal(const ol_node *a, const ol_node *b);

#endif
