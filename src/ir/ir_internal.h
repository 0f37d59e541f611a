/* Helpers shared by the IR's own files; not part of the public API. */
#ifndef OL_IR_INTERNAL_H
#define OL_IR_INTERNAL_H

#include "onnxlite/ir.h"

/* Use-list maintenance: every link change goes through these two, so use lists stay exact. */
bool ol_value_add_use(ol_value *value, ol_node *node, int index);
void ol_value_remove_use(ol_value *value, ol_node *node, int index);

void ol_value_destroy(ol_value *value);
void ol_node_destroy(ol_node *node);

/* The value named `name` in any graph of the model, or NULL. */
ol_value *ol_model_find_value_anywhere(const ol_model *model, const char *name);

#endif
