/* The onnx-lite graph IR: a model, its graphs, values (tensors flowing along edges) and nodes.
 *
 * Objects are individually allocated and referred to by pointer, so a pass may hold a pointer across
 * mutations. Every value has at most one producer and a use list that the mutation API keeps exact;
 * passes must not write the link fields (producer, uses, inputs, outputs) directly.
 *
 * Erasing a node only marks it (node->erased) and unlinks it; the memory is reclaimed by
 * ol_graph_compact(), so loops over graph->nodes stay valid while a pass erases. Loops skip erased nodes.
 *
 * Whatever the IR does not model (doc strings, metadata, model-local functions, training info, unknown
 * protobuf fields, attribute kinds such as sparse tensors) is kept as packed protobuf bytes in the
 * `extras`/`opaque` fields and written back unchanged. */
#ifndef ONNXLITE_IR_H
#define ONNXLITE_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onnxlite/dtype.h"
#include "onnxlite/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A byte string that may contain NULs. */
typedef struct ol_bytes {
    uint8_t *data;
    size_t size;
} ol_bytes;

/* Reference-counted owner of memory that tensors borrow (a mapped external-data file, a decoded
 * protobuf). Large weights are never copied: tensors point into a blob and hold a reference. */
typedef struct ol_blob ol_blob;
ol_blob *ol_blob_create(void *base, size_t size, void (*release)(void *base, size_t size));
ol_blob *ol_blob_retain(ol_blob *blob);
void ol_blob_release(ol_blob *blob);

/* ---------------------------------------------------------------------------------------------- */
/* Tensors: constant data (initializers, tensor attributes). */

#define OL_MAX_RANK 64

typedef struct ol_tensor {
    char *name;          /* may be NULL (attribute tensors need no name) */
    ol_dtype dtype;
    int rank;
    int64_t *dims;
    /* Element data in ONNX raw_data layout (little-endian, packed). Points into `owner` if set,
     * otherwise into memory owned by the tensor. Unused for OL_STRING. */
    const void *data;
    size_t nbytes;
    ol_blob *owner;
    ol_bytes *strings;   /* OL_STRING elements */
    size_t n_strings;
    ol_bytes extras;     /* packed TensorProto of the fields the IR does not model */
} ol_tensor;

/* New tensor with zero-filled owned storage. dims may be NULL when rank is 0. */
ol_tensor *ol_tensor_create(ol_dtype dtype, int rank, const int64_t *dims, ol_error *err);
/* New tensor borrowing `data` from `owner` (a reference is taken). */
ol_tensor *ol_tensor_create_borrowed(ol_dtype dtype, int rank, const int64_t *dims, const void *data,
                                     size_t nbytes, ol_blob *owner, ol_error *err);
ol_tensor *ol_tensor_clone(const ol_tensor *tensor, ol_error *err);
void ol_tensor_destroy(ol_tensor *tensor);
int64_t ol_tensor_numel(const ol_tensor *tensor);
/* Writable data pointer; copies borrowed data into owned memory first (copy on write). */
void *ol_tensor_mutable_data(ol_tensor *tensor, ol_error *err);
int ol_tensor_set_name(ol_tensor *tensor, const char *name);
/* Same dtype, dims, element bytes and strings (names and extras are not compared). */
bool ol_tensor_equal(const ol_tensor *a, const ol_tensor *b);

/* ---------------------------------------------------------------------------------------------- */
/* Types and shapes. */

typedef struct ol_dim {
    int64_t value;  /* >= 0 when known */
    char *param;    /* symbolic name ("batch") when set; value is then -1 */
} ol_dim;

typedef enum ol_type_kind {
    OL_TYPE_UNKNOWN = 0,  /* nothing known about the value */
    OL_TYPE_TENSOR = 1,   /* dense tensor: elem and (if rank >= 0) dims are meaningful */
    OL_TYPE_OTHER = 2,    /* sequence, map, optional, sparse tensor: kept as a packed TypeProto */
} ol_type_kind;

typedef struct ol_type {
    ol_type_kind kind;
    ol_dtype elem;    /* OL_UNDEFINED when unknown */
    int rank;         /* -1 when the rank is unknown */
    ol_dim *dims;
    ol_bytes opaque;  /* OL_TYPE_OTHER: the packed TypeProto */
} ol_type;

void ol_type_clear(ol_type *type);
int ol_type_copy(ol_type *dst, const ol_type *src);
/* Sets a tensor type with static dims (dims may be NULL for rank 0). */
int ol_type_set_tensor(ol_type *type, ol_dtype elem, int rank, const int64_t *dims);
bool ol_type_is_static(const ol_type *type);   /* tensor with known rank and all dims known */
bool ol_type_equal(const ol_type *a, const ol_type *b);

/* ---------------------------------------------------------------------------------------------- */
/* Graph objects. */

typedef struct ol_model ol_model;
typedef struct ol_graph ol_graph;
typedef struct ol_node ol_node;
typedef struct ol_value ol_value;

/* A use of a value: input `index` of `node`, or, with index OL_IMPLICIT_USE, a reference from inside
 * one of `node`'s subgraphs (an If/Loop/Scan body reading an outer-scope value). */
#define OL_IMPLICIT_USE (-1)
typedef struct ol_use {
    ol_node *node;
    int index;
} ol_use;

struct ol_value {
    char *name;
    ol_graph *graph;
    ol_type type;
    ol_node *producer;     /* NULL for graph inputs, initializers and outer references */
    int producer_index;    /* which output of the producer */
    ol_use *uses;
    size_t n_uses, cap_uses;
    ol_tensor *constant;   /* initializer data, owned; NULL otherwise */
    ol_bytes sparse;       /* packed SparseTensorProto for a sparse initializer */
    ol_value *outer;       /* in a subgraph: the enclosing-scope value this name refers to */
    bool is_input;         /* listed in graph->inputs */
    bool is_output;        /* listed in graph->outputs */
    bool erased;
    ol_bytes extras;       /* packed ValueInfoProto fields the IR does not model */
    uint32_t id;           /* creation order within the graph; stable, used for deterministic output */
};

typedef enum ol_attr_type {
    OL_ATTR_UNDEFINED = 0,
    OL_ATTR_FLOAT = 1,
    OL_ATTR_INT = 2,
    OL_ATTR_STRING = 3,
    OL_ATTR_TENSOR = 4,
    OL_ATTR_GRAPH = 5,
    OL_ATTR_FLOATS = 6,
    OL_ATTR_INTS = 7,
    OL_ATTR_STRINGS = 8,
    OL_ATTR_TENSORS = 9,
    OL_ATTR_GRAPHS = 10,
    OL_ATTR_SPARSE_TENSOR = 11,
    OL_ATTR_SPARSE_TENSORS = 12,
    OL_ATTR_TYPE_PROTO = 13,
    OL_ATTR_TYPE_PROTOS = 14,
} ol_attr_type;

typedef struct ol_attr {
    char *name;
    ol_attr_type type;
    float f;
    int64_t i;
    ol_bytes s;
    ol_tensor *t;
    ol_graph *g;
    size_t n;              /* element count of the list kinds below */
    float *floats;
    int64_t *ints;
    ol_bytes *strings;
    ol_tensor **tensors;
    ol_graph **graphs;
    /* Set when the IR does not model this attribute (sparse tensors, type protos, references to a
     * function's attributes): the whole packed AttributeProto, written back as is. */
    ol_bytes opaque;
} ol_attr;

struct ol_node {
    char *name;
    char *op_type;
    char *domain;          /* "" for the default ONNX domain (ai.onnx) */
    int64_t opset;         /* version of `domain` imported by the model; 0 when not imported */
    ol_graph *graph;
    ol_value **inputs;     /* NULL entry = omitted optional input */
    size_t n_inputs;
    ol_value **outputs;    /* NULL entry = omitted optional output */
    size_t n_outputs;
    ol_attr *attrs;
    size_t n_attrs;
    bool erased;
    ol_bytes extras;       /* packed NodeProto fields the IR does not model */
    uint32_t id;
};

struct ol_graph {
    char *name;
    ol_model *model;
    ol_graph *parent;      /* enclosing graph for subgraphs, NULL for the main graph */
    ol_node *owner;        /* node whose attribute holds this subgraph */
    ol_node **nodes;       /* in topological order once ol_graph_toposort() has run */
    size_t n_nodes, cap_nodes;
    ol_value **values;     /* every value defined or referenced in this graph */
    size_t n_values, cap_values;
    ol_value **inputs;
    size_t n_inputs, cap_inputs;
    ol_value **outputs;
    size_t n_outputs, cap_outputs;
    ol_value **initializers;  /* values with constant data, in file order */
    size_t n_initializers, cap_initializers;
    ol_bytes extras;       /* packed GraphProto fields the IR does not model */
    struct ol_name_map *names;  /* internal: name -> value */
    uint32_t next_value_id, next_node_id;
    size_t n_erased;
};

typedef struct ol_opset {
    char *domain;
    int64_t version;
} ol_opset;

struct ol_model {
    int64_t ir_version;
    ol_opset *opsets;
    size_t n_opsets;
    char *producer_name;
    char *producer_version;
    ol_graph *graph;
    /* Packed ModelProto without graph, opset_import, ir_version and producer fields: metadata,
     * model-local functions, training info, unknown fields. */
    ol_bytes envelope;
    char *dir;             /* folder of the file it was read from (external data is relative to it) */
    uint64_t fresh_name_counter;
};

/* ---------------------------------------------------------------------------------------------- */
/* Model and graph lifetime. */

ol_model *ol_model_create(ol_error *err);
void ol_model_destroy(ol_model *model);
/* Version of `domain` ("" or "ai.onnx" for the default domain) imported by the model, 0 if none. */
int64_t ol_model_opset(const ol_model *model, const char *domain);
int ol_model_set_opset(ol_model *model, const char *domain, int64_t version);

ol_graph *ol_graph_create(ol_model *model, ol_graph *parent, const char *name, ol_error *err);
void ol_graph_destroy(ol_graph *graph);

/* Values. `name` may be NULL for a fresh unique name. Names are unique across a model's graphs. */
ol_value *ol_graph_add_value(ol_graph *graph, const char *name, ol_error *err);
ol_value *ol_graph_find_value(const ol_graph *graph, const char *name);  /* this graph only */
/* Looks `name` up here and then in the enclosing graphs. */
ol_value *ol_graph_resolve_value(const ol_graph *graph, const char *name);
ol_value *ol_graph_add_input(ol_graph *graph, const char *name, const ol_type *type, ol_error *err);
/* Takes ownership of `tensor` (also on failure); the value is named after the tensor or `name`. */
ol_value *ol_graph_add_initializer(ol_graph *graph, const char *name, ol_tensor *tensor, ol_error *err);
ol_status ol_graph_add_output(ol_graph *graph, ol_value *value, ol_error *err);
/* A value of this subgraph standing for `outer`, a value of graph->parent (reference one level at a
 * time), under the same name; records the implicit use on graph->owner. Returns the existing
 * reference if there is one. */
ol_value *ol_graph_add_outer_ref(ol_graph *graph, ol_value *outer, ol_error *err);
/* Removes a value that has no producer and no uses (and is not a graph input or output); an outer
 * reference also drops its implicit use. */
ol_status ol_graph_erase_value(ol_graph *graph, ol_value *value, ol_error *err);
/* Renames a value and the subgraph references to it; fails if the new name is taken anywhere in the
 * model, and for outer references (rename their target instead). */
ol_status ol_value_rename(ol_value *value, const char *name, ol_error *err);
/* Fresh name, unique across the model, derived from `hint`. Caller frees. */
char *ol_model_fresh_name(ol_model *model, const char *hint);

/* Nodes. */
ol_node *ol_graph_add_node(ol_graph *graph, const char *op_type, const char *domain, const char *name,
                           ol_error *err);
/* Appends an input (value may be NULL for an omitted optional input). */
ol_status ol_node_add_input(ol_node *node, ol_value *value, ol_error *err);
ol_status ol_node_set_input(ol_node *node, size_t index, ol_value *value, ol_error *err);
/* Appends an output; the value must not have a producer yet (NULL for an omitted optional output). */
ol_status ol_node_add_output(ol_node *node, ol_value *value, ol_error *err);
/* Appends a new output value named `name` (NULL: fresh name). */
ol_value *ol_node_new_output(ol_node *node, const char *name, ol_error *err);
/* Unlinks the node from its inputs and outputs and marks it erased. */
void ol_graph_erase_node(ol_graph *graph, ol_node *node);
/* Moves every use of `from` (node inputs, implicit subgraph uses, graph outputs) to `to`, a value of
 * the same graph; subgraph references to `from` then refer to `to` under its name. When `from` is a
 * graph output, `to` takes over its name so that the model's interface does not change. */
ol_status ol_value_replace_all_uses(ol_value *from, ol_value *to, ol_error *err);
/* Frees erased nodes and erased values. */
void ol_graph_compact(ol_graph *graph);

/* Reorders graph->nodes topologically, stable with respect to the current order; fails naming a
 * node on a cycle. */
ol_status ol_graph_toposort(ol_graph *graph, ol_error *err);

/* Checks the structural invariants (single producer, exact use lists, no dangling or cyclic
 * references, inputs defined before use, attribute and type consistency) of the graph and its
 * subgraphs. The message names the offending node and value. */
ol_status ol_graph_verify(const ol_graph *graph, ol_error *err);
ol_status ol_model_verify(const ol_model *model, ol_error *err);

/* Attributes. Lookups return NULL / the default when absent. */
const ol_attr *ol_node_attr(const ol_node *node, const char *name);
int64_t ol_node_attr_int(const ol_node *node, const char *name, int64_t dflt);
float ol_node_attr_float(const ol_node *node, const char *name, float dflt);
/* NUL-terminated copy is not made: returns the bytes and their length, or NULL. */
const char *ol_node_attr_string(const ol_node *node, const char *name, size_t *len);
/* Pointer to the INTS list and its length, or NULL. */
const int64_t *ol_node_attr_ints(const ol_node *node, const char *name, size_t *n);
const ol_tensor *ol_node_attr_tensor(const ol_node *node, const char *name);

/* Adds or replaces an attribute. The list setters copy their arguments. */
ol_status ol_node_set_attr_int(ol_node *node, const char *name, int64_t value, ol_error *err);
ol_status ol_node_set_attr_float(ol_node *node, const char *name, float value, ol_error *err);
ol_status ol_node_set_attr_string(ol_node *node, const char *name, const char *value, ol_error *err);
ol_status ol_node_set_attr_ints(ol_node *node, const char *name, const int64_t *values, size_t n,
                                ol_error *err);
ol_status ol_node_set_attr_floats(ol_node *node, const char *name, const float *values, size_t n,
                                  ol_error *err);
/* Takes ownership of `tensor` (also on failure). */
ol_status ol_node_set_attr_tensor(ol_node *node, const char *name, ol_tensor *tensor, ol_error *err);
bool ol_node_remove_attr(ol_node *node, const char *name);
void ol_attr_clear(ol_attr *attr);

/* Constant data of a value: its initializer (following outer references), or the `value` tensor of a
 * Constant node producing it; NULL when the value is not a known constant. */
const ol_tensor *ol_value_constant(const ol_value *value);

/* Counting helpers used by inspect and the pass statistics. */
size_t ol_graph_live_node_count(const ol_graph *graph);

#ifdef __cplusplus
}
#endif
#endif
