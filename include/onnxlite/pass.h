/* Passes: the unit of graph transformation, for built-in passes and plugins alike.
 *
 * A pass is described by an ol_pass_def: a name used in pipeline text ("fuse-bn"), a one-line
 * description, typed options with defaults, properties (lossless, needs shapes, canonicalization run
 * to a fixpoint), and a run function that rewrites the model in place.
 *
 * Plugins are shared libraries built against this header. They export one function,
 * `onnxlite_plugin_init`, which receives the host's function table (ol_plugin_api) and registers
 * passes through it. The table is append-only: a plugin built against an older header sees a prefix
 * of it (the host checks `struct_size`), and a plugin that needs a newer ABI than the host offers is
 * refused with a clear message. Plugins call the IR only through the table, so they do not link
 * against libonnxlite and keep working across host versions of the same ABI. */
#ifndef ONNXLITE_PASS_H
#define ONNXLITE_PASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onnxlite/ir.h"
#include "onnxlite/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OL_PASS_ABI_VERSION 1

typedef enum ol_option_type {
    OL_OPTION_BOOL = 1,
    OL_OPTION_INT = 2,
    OL_OPTION_FLOAT = 3,
    OL_OPTION_STRING = 4,
} ol_option_type;

typedef struct ol_pass_option {
    const char *name;
    ol_option_type type;
    const char *default_value;   /* in pipeline-text syntax: "true", "3", "0.5", "minmax" */
    const char *help;
} ol_pass_option;

/* Option values of one pass instance, parsed and type-checked by the host before the pass runs. */
typedef struct ol_option_values ol_option_values;

enum {
    OL_PASS_LOSSLESS = 1u << 0,      /* outputs equal within the lossless tolerance */
    OL_PASS_NEEDS_SHAPES = 1u << 1,  /* the host runs shape inference first */
    OL_PASS_FIXPOINT = 1u << 2,      /* canonicalization: rerun while it changes something (bounded) */
};

typedef struct ol_pass_def {
    uint32_t struct_size;            /* sizeof(ol_pass_def) as the plugin saw it */
    const char *name;
    const char *description;
    const ol_pass_option *options;
    size_t n_options;
    uint32_t flags;
    /* Rewrites `model`; sets *changed when it changed anything. On failure the host discards the
     * model: a pass never has to undo a half-done rewrite. */
    ol_status (*run)(ol_model *model, const ol_option_values *options, bool *changed, ol_error *err);
} ol_pass_def;

/* The host's function table handed to plugins. Append-only: new functions go at the end. */
typedef struct ol_plugin_api {
    uint32_t struct_size;
    uint32_t abi_version;
    ol_status (*register_pass)(void *host, const ol_pass_def *pass, ol_error *err);
    void *host;

    /* option values */
    bool (*option_bool)(const ol_option_values *values, const char *name);
    int64_t (*option_int)(const ol_option_values *values, const char *name);
    double (*option_float)(const ol_option_values *values, const char *name);
    const char *(*option_string)(const ol_option_values *values, const char *name);

    /* errors */
    ol_status (*fail)(ol_error *err, ol_status status, const char *fmt, ...);

    /* graph mutation (see ir.h for each function's contract) */
    ol_value *(*graph_add_value)(ol_graph *graph, const char *name, ol_error *err);
    ol_value *(*graph_find_value)(const ol_graph *graph, const char *name);
    ol_value *(*graph_add_initializer)(ol_graph *graph, const char *name, ol_tensor *tensor, ol_error *err);
    ol_node *(*graph_add_node)(ol_graph *graph, const char *op_type, const char *domain, const char *name,
                               ol_error *err);
    ol_status (*node_add_input)(ol_node *node, ol_value *value, ol_error *err);
    ol_status (*node_set_input)(ol_node *node, size_t index, ol_value *value, ol_error *err);
    ol_status (*node_add_output)(ol_node *node, ol_value *value, ol_error *err);
    ol_value *(*node_new_output)(ol_node *node, const char *name, ol_error *err);
    void (*graph_erase_node)(ol_graph *graph, ol_node *node);
    ol_status (*value_replace_all_uses)(ol_value *from, ol_value *to, ol_error *err);
    ol_status (*graph_erase_value)(ol_graph *graph, ol_value *value, ol_error *err);
    ol_status (*graph_toposort)(ol_graph *graph, ol_error *err);
    const ol_attr *(*node_attr)(const ol_node *node, const char *name);
    int64_t (*node_attr_int)(const ol_node *node, const char *name, int64_t dflt);
    float (*node_attr_float)(const ol_node *node, const char *name, float dflt);
    const int64_t *(*node_attr_ints)(const ol_node *node, const char *name, size_t *n);
    ol_status (*node_set_attr_int)(ol_node *node, const char *name, int64_t value, ol_error *err);
    ol_status (*node_set_attr_float)(ol_node *node, const char *name, float value, ol_error *err);
    ol_status (*node_set_attr_ints)(ol_node *node, const char *name, const int64_t *values, size_t n,
                                    ol_error *err);
    bool (*node_remove_attr)(ol_node *node, const char *name);
    const ol_tensor *(*value_constant)(const ol_value *value);
    ol_tensor *(*tensor_create)(ol_dtype dtype, int rank, const int64_t *dims, ol_error *err);
    void *(*tensor_mutable_data)(ol_tensor *tensor, ol_error *err);
    void (*tensor_destroy)(ol_tensor *tensor);
    int64_t (*tensor_numel)(const ol_tensor *tensor);
} ol_plugin_api;

/* The one symbol a plugin exports. Returns OL_OK after registering its passes. */
typedef ol_status (*ol_plugin_init_fn)(const ol_plugin_api *api, ol_error *err);
#define OL_PLUGIN_INIT_SYMBOL "onnxlite_plugin_init"

#ifdef __cplusplus
}
#endif
#endif
