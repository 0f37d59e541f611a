/* Graph-building and file helpers shared by the IR and model I/O unit tests. Every helper fails the
 * running Criterion test (with the library's message) instead of returning an error, so test bodies
 * read as a list of steps and expectations. */
#ifndef OL_TESTS_IR_BUILDERS_H
#define OL_TESTS_IR_BUILDERS_H

#include <stddef.h>
#include <stdint.h>

#include "onnxlite/ir.h"
#include "onnxlite/model_io.h"

/* The error every helper reports into; cleared by irb_model(). Tests may pass it to API calls too. */
extern ol_error irb_err;

/* IRB_DIMS(2, 3) expands to the two arguments (rank, dims). */
#define IRB_DIMS(...) \
    (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), (const int64_t[]){__VA_ARGS__}
/* IRB_NODE(g, "Add", "add", "sum", a, b): node `name` reading the listed values, with one output
 * named `out` (NULL: fresh name). Nodes without inputs use irb_node() directly. */
#define IRB_NODE(graph, op, name, out, ...)                                                         \
    irb_node((graph), (op), (name), (out), sizeof((ol_value *[]){__VA_ARGS__}) / sizeof(ol_value *), \
             (ol_value *[]){__VA_ARGS__})

/* A model importing opset 17 of the default domain, with an empty main graph named "main". */
ol_model *irb_model(void);
/* A graph input of a float tensor type with the given static dims. */
ol_value *irb_input(ol_graph *graph, const char *name, int rank, const int64_t *dims);
/* An initializer of zeros of `dtype`. */
ol_value *irb_weight(ol_graph *graph, const char *name, ol_dtype dtype, int rank, const int64_t *dims);
ol_node *irb_node(ol_graph *graph, const char *op, const char *name, const char *out, size_t n_inputs,
                  ol_value *const *inputs);
void irb_output(ol_graph *graph, ol_value *value);

/* Asserts that `value`'s use list is exactly `expected` (same entries, same order). */
void irb_assert_uses(const ol_value *value, const ol_use *expected, size_t n);
#define IRB_ASSERT_USES(value, ...) \
    irb_assert_uses((value), (ol_use[]){__VA_ARGS__}, sizeof((ol_use[]){__VA_ARGS__}) / sizeof(ol_use))
/* Number of uses of `value` by `node` at `index` (OL_IMPLICIT_USE for subgraph references). */
size_t irb_count_uses(const ol_value *value, const ol_node *node, int index);

void irb_assert_verifies(const ol_graph *graph);
/* Runs the verifier, expects it to fail with `status`, and returns its message (static buffer). */
const char *irb_verify_fails(const ol_graph *graph, ol_status status);

/* Live node `name` of `graph` (searched by name), failing the test when absent. */
ol_node *irb_find_node(const ol_graph *graph, const char *name);
/* Index of `node` in graph->nodes. */
size_t irb_node_index(const ol_graph *graph, const ol_node *node);

/* The subgraph held by attribute `attr` of `node`. */
ol_graph *irb_subgraph(const ol_node *node, const char *attr);

/* Files. Paths are relative to the repository root, where the tests run. */
ol_model *irb_read(const char *path);
ol_bytes irb_write(const ol_model *model);
ol_model *irb_read_bytes(const ol_bytes *bytes);
ol_bytes irb_slurp(const char *path);
/* A fresh empty folder under $TMPDIR (or /tmp); irb_rmtree removes it with its files. */
char *irb_tempdir(void);
void irb_rmtree(char *dir);
/* Names in `dir` sorted and joined with ' ' ("" when empty); caller frees. */
char *irb_list_dir(const char *dir);
char *irb_path(const char *dir, const char *name);

#endif
