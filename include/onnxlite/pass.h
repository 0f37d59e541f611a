/* Passes: the unit of graph transformation, for built-in passes and plugins alike.
 *
 * A pass is described by an ol_pass_def: a name used in pipeline text ("fuse-bn"), a one-line
 * description, typed options with defaults, properties (lossless; needs shapes; preserves shapes;
 * canonicalization run to a fixpoint), and a run function that rewrites the model in place.
 * Pipelines are written as text, `fold-constants,fuse-bn,quantize{mode=static,per-channel=true}`,
 * and printed back canonically with every option spelled out.
 *
 * Plugins are shared libraries built against this header. They export one function,
 * `onnxlite_plugin_init`, which receives the host's function table (ol_plugin_api) and registers
 * passes through it. Versions are checked both ways:
 *  - the host's table says which ABI it implements (abi_version) and how long it is (struct_size):
 *    a plugin refuses a host older than it needs, and tests OL_PLUGIN_API_HAS() before calling a
 *    function added after the ABI it requires;
 *  - every ol_pass_def says the ABI it was built for and its own size: the host refuses a pass built
 *    for a newer ABI or with a struct_size it does not know.
 * The table and ol_pass_def are append-only: new members go at the end, and a released member
 * never changes. Plugins call the IR only through the table, so they do not link against
 * libonnxlite; they do read the IR structs of ir.h directly, whose layout is therefore part of the
 * ABI too (a change there is a new ABI version). */
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

/* Version 1: ol_pass_def, ol_pass_option and ol_plugin_api exactly as below. */
#define OL_PASS_ABI_VERSION 1

typedef enum ol_option_type {
    OL_OPTION_BOOL = 1,    /* true | false */
    OL_OPTION_INT = 2,     /* decimal 64-bit integer, optional sign */
    OL_OPTION_FLOAT = 3,   /* finite decimal number: 0.5, 1e-3 */
    OL_OPTION_STRING = 4,  /* any text; quote it ("a b") when it holds spaces or , { } = " */
    OL_OPTION_ENUM = 5,    /* one of `choices` */
} ol_option_type;

/* One option of a pass. Its layout is frozen for ABI version 1 (plugins hand the host arrays of
 * it); a later ABI adds a new array member to ol_pass_def instead of growing this struct. */
typedef struct ol_pass_option {
    const char *name;            /* as written in pipeline text: lower-case letters, digits, '-' */
    ol_option_type type;
    const char *default_value;   /* in pipeline-text syntax: "true", "3", "0.5", "minmax" */
    const char *help;            /* one line */
    const char *choices;         /* OL_OPTION_ENUM only: the allowed values, '|'-separated */
} ol_pass_option;

/* Option values of one pass instance, parsed and type-checked by the host before the pass runs.
 * Read them with the ol_option_* functions (plugins: the table's option_* members). */
typedef struct ol_option_values ol_option_values;

/* Properties. A pass states what it needs before it runs and what it keeps valid when it changes
 * the model; the host establishes what is needed and tracks what is still valid. */
enum {
    OL_PASS_LOSSLESS = 1u << 0,         /* outputs equal within the lossless tolerance (1e-4) */
    OL_PASS_NEEDS_SHAPES = 1u << 1,     /* needs inferred types and shapes: the host runs shape
                                           inference first unless they are still valid */
    OL_PASS_FIXPOINT = 1u << 2,         /* canonicalization: rerun while it changes something
                                           (bounded; the host reports when the bound is hit) */
    OL_PASS_PRESERVES_SHAPES = 1u << 3, /* every value's type stays correct after a change (it only
                                           removes things, or sets the types it creates) */
};
#define OL_PASS_KNOWN_FLAGS 0xfu

typedef struct ol_pass_def {
    uint32_t struct_size;            /* sizeof(ol_pass_def) as the pass's author saw it */
    uint32_t abi_version;            /* OL_PASS_ABI_VERSION as the pass's author saw it */
    const char *name;                /* lower-case letters, digits and '-': "eliminate-dead" */
    const char *description;         /* one line, no final period */
    const ol_pass_option *options;
    size_t n_options;
    uint32_t flags;                  /* OL_PASS_* */
    /* Rewrites `model`; sets *changed (false on entry) when it changed anything. It must leave a
     * model that ol_model_verify accepts: nodes in topological order, use lists exact (use the
     * mutation API of ir.h). On failure it fills `err` naming the node at fault; the host then
     * discards the model, so a pass never has to undo a half-done rewrite. Erased nodes and values
     * may be left for the host to compact. */
    ol_status (*run)(ol_model *model, const ol_option_values *options, bool *changed, ol_error *err);
} ol_pass_def;

/* Fills the two version members; start every definition with it:
 *   const ol_pass_def my_pass = {OL_PASS_DEF_VERSION, .name = "my-pass", ...}; */
#define OL_PASS_DEF_VERSION .struct_size = sizeof(ol_pass_def), .abi_version = OL_PASS_ABI_VERSION

/* Option values by option name, for built-in passes (plugins use the table's members). A name the
 * pass does not declare, or a type that does not match the declaration, gives false / 0 / NULL.
 * ol_option_string also reads OL_OPTION_ENUM options; the string lives as long as `values`. */
bool ol_option_bool(const ol_option_values *values, const char *name);
int64_t ol_option_int(const ol_option_values *values, const char *name);
double ol_option_float(const ol_option_values *values, const char *name);
const char *ol_option_string(const ol_option_values *values, const char *name);

/* ---------------------------------------------------------------------------------------------- */
/* Plugins */

/* The host's function table handed to plugins. Append-only: new functions go at the end. Each
 * member behaves as the ir.h / status.h function of the same name. */
typedef struct ol_plugin_api {
    uint32_t struct_size;   /* sizeof(ol_plugin_api) in the host */
    uint32_t abi_version;   /* OL_PASS_ABI_VERSION of the host */
    /* Registers a pass; the host keeps the pointer (the library stays loaded while the host runs),
     * so `pass` and what it points to must be static. Fails for a name already registered, an
     * invalid definition, or a version the host does not know. */
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
    const char *(*node_attr_string)(const ol_node *node, const char *name, size_t *len);
    ol_status (*node_set_attr_string)(ol_node *node, const char *name, const char *value, ol_error *err);
    ol_status (*value_rename)(ol_value *value, const char *name, ol_error *err);
    /* Replaces a node's name (NULL: no name). Node names are not links, so this is the only way a
     * pass changes one: node->name is owned by the host's allocator. */
    ol_status (*node_set_name)(ol_node *node, const char *name, ol_error *err);
} ol_plugin_api;

/* True when the host's table is long enough to hold `member`: a plugin that calls a function added
 * after the ABI version it requires checks this first. */
#define OL_PLUGIN_API_HAS(api, member) \
    ((api)->struct_size >= offsetof(ol_plugin_api, member) + sizeof((api)->member))

/* The one symbol a plugin exports. It checks api->abi_version, registers its passes and returns
 * OL_OK, or fails with a message in `err` (the host then unloads it and drops what it registered).
 * Define it as
 *   OL_PLUGIN_EXPORT ol_status onnxlite_plugin_init(const ol_plugin_api *api, ol_error *err)
 * OL_PLUGIN_EXPORT keeps it visible when the plugin is built with -fvisibility=hidden. */
typedef ol_status (*ol_plugin_init_fn)(const ol_plugin_api *api, ol_error *err);
#define OL_PLUGIN_INIT_SYMBOL "onnxlite_plugin_init"
#define OL_PLUGIN_EXPORT __attribute__((visibility("default")))

#ifdef __cplusplus
}
#endif
#endif
