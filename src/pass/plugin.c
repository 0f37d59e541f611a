#include "pass/plugin.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "onnxlite/pass.h"

/* What the `host` member of the table points to. Allocated per plugin and kept until the registry
 * unloads the library, since a plugin may keep the table for its passes to use. */
typedef struct plugin_host {
    ol_plugin_api api;
    ol_pass_registry *registry;
    bool initializing;   /* passes may be registered only from the init function */
    size_t registered;
    ol_error refused;    /* the first registration the host refused: fatal even if init ignores it */
    char path[];
} plugin_host;

/* The released layout of ABI version 1, pinned: a member that moves breaks every plugin built
 * before. New members go after node_set_name (and get a pin here). */
#if UINTPTR_MAX == UINT64_MAX
#define PIN(type, member, offset) \
    _Static_assert(offsetof(type, member) == (offset), #type "." #member " moved: the ABI is frozen")
PIN(ol_pass_def, abi_version, 4);
PIN(ol_pass_def, name, 8);
PIN(ol_pass_def, options, 24);
PIN(ol_pass_def, flags, 40);
PIN(ol_pass_def, run, 48);
_Static_assert(sizeof(ol_pass_def) == 56, "ol_pass_def of ABI version 1 is 56 bytes");
PIN(ol_pass_option, default_value, 16);
PIN(ol_pass_option, choices, 32);
_Static_assert(sizeof(ol_pass_option) == 40, "ol_pass_option of ABI version 1 is 40 bytes");
/* The table: two uint32 members, then pointers; member k (1-based) of the pointers at 8 * k. */
#define PIN_API(member, k) PIN(ol_plugin_api, member, 8 * (k))
PIN_API(register_pass, 1);
PIN_API(host, 2);
PIN_API(option_bool, 3);
PIN_API(fail, 7);
PIN_API(graph_add_value, 8);
PIN_API(graph_toposort, 19);
PIN_API(node_attr, 20);
PIN_API(value_constant, 28);
PIN_API(tensor_numel, 32);
PIN_API(node_attr_string, 33);
PIN_API(node_set_name, 36);
_Static_assert(sizeof(ol_plugin_api) == 8 * 37, "ol_plugin_api of ABI version 1 has 36 pointers");
#endif

static ol_status host_register_pass(void *host, const ol_pass_def *pass, ol_error *err)
{
    plugin_host *h = host;
    if (!h || !h->initializing)
        return ol_fail(err, OL_ERR_ARG, "plugin %s: passes can be registered only from %s",
                       h ? h->path : "(unknown)", OL_PLUGIN_INIT_SYMBOL);
    ol_status st = ol_pass_registry_add(h->registry, pass, h->path, err);
    if (st == OL_OK)
        h->registered++;
    else if (h->refused.status == OL_OK)
        h->refused = err ? *err : (ol_error){.status = st, .message = "(no message)"};
    return st;
}

static ol_status host_node_set_name(ol_node *node, const char *name, ol_error *err)
{
    char *copy = NULL;
    if (name && !(copy = strdup(name)))
        return ol_fail(err, OL_ERR_NOMEM, "out of memory naming a %s node", node->op_type);
    free(node->name);
    node->name = copy;
    return OL_OK;
}

static void fill_api(ol_plugin_api *api, plugin_host *host)
{
    *api = (ol_plugin_api){
        .struct_size = sizeof(ol_plugin_api),
        .abi_version = OL_PASS_ABI_VERSION,
        .register_pass = host_register_pass,
        .host = host,
        .option_bool = ol_option_bool,
        .option_int = ol_option_int,
        .option_float = ol_option_float,
        .option_string = ol_option_string,
        .fail = ol_fail,
        .graph_add_value = ol_graph_add_value,
        .graph_find_value = ol_graph_find_value,
        .graph_add_initializer = ol_graph_add_initializer,
        .graph_add_node = ol_graph_add_node,
        .node_add_input = ol_node_add_input,
        .node_set_input = ol_node_set_input,
        .node_add_output = ol_node_add_output,
        .node_new_output = ol_node_new_output,
        .graph_erase_node = ol_graph_erase_node,
        .value_replace_all_uses = ol_value_replace_all_uses,
        .graph_erase_value = ol_graph_erase_value,
        .graph_toposort = ol_graph_toposort,
        .node_attr = ol_node_attr,
        .node_attr_int = ol_node_attr_int,
        .node_attr_float = ol_node_attr_float,
        .node_attr_ints = ol_node_attr_ints,
        .node_set_attr_int = ol_node_set_attr_int,
        .node_set_attr_float = ol_node_set_attr_float,
        .node_set_attr_ints = ol_node_set_attr_ints,
        .node_remove_attr = ol_node_remove_attr,
        .value_constant = ol_value_constant,
        .tensor_create = ol_tensor_create,
        .tensor_mutable_data = ol_tensor_mutable_data,
        .tensor_destroy = ol_tensor_destroy,
        .tensor_numel = ol_tensor_numel,
        .node_attr_string = ol_node_attr_string,
        .node_set_attr_string = ol_node_set_attr_string,
        .value_rename = ol_value_rename,
        .node_set_name = host_node_set_name,
    };
}

/* dlopen() searches the library path for a name without '/': "--plugin libx.so" would then not
 * find ./libx.so, which is what a command-line user means. */
static char *resolve_path(const char *path)
{
    struct stat sb;
    if (strchr(path, '/') || stat(path, &sb) != 0) {
        return strdup(path);
    }
    size_t len = strlen(path) + 3;
    char *local = malloc(len);
    if (local)
        snprintf(local, len, "./%s", path);
    return local;
}

static ol_status init_plugin(plugin_host *host, ol_plugin_init_fn init, ol_error *err)
{
    ol_error plugin_err = {0};
    host->initializing = true;
    ol_status st = init(&host->api, &plugin_err);
    host->initializing = false;
    if (host->refused.status != OL_OK)
        return ol_fail(err, host->refused.status, "plugin %s: %s", host->path, host->refused.message);
    if (st != OL_OK)
        return plugin_err.message[0]
                   ? ol_fail(err, st, "plugin %s failed to initialize: %s", host->path, plugin_err.message)
                   : ol_fail(err, st, "plugin %s failed to initialize (%s) without saying why", host->path,
                             ol_status_name(st));
    if (host->registered == 0)
        return ol_fail(err, OL_ERR_INVALID, "plugin %s registered no passes", host->path);
    return OL_OK;
}

ol_status ol_plugin_load(ol_pass_registry *registry, const char *path, ol_error *err)
{
    char *resolved = resolve_path(path);
    if (!resolved)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    dlerror();
    void *handle = dlopen(resolved, RTLD_NOW | RTLD_LOCAL);
    free(resolved);
    if (!handle) {
        const char *why = dlerror();
        return ol_fail(err, OL_ERR_IO, "cannot load plugin %s: %s", path, why ? why : "unknown error");
    }
    /* POSIX has dlsym return a data pointer; the cast through a union keeps -Wpedantic quiet. */
    union {
        void *symbol;
        ol_plugin_init_fn init;
    } entry = {.symbol = dlsym(handle, OL_PLUGIN_INIT_SYMBOL)};
    if (!entry.symbol) {
        dlclose(handle);
        return ol_fail(err, OL_ERR_INVALID, "%s is not an onnx-lite plugin: it does not export %s() "
                       "(see onnxlite/pass.h)", path, OL_PLUGIN_INIT_SYMBOL);
    }
    plugin_host *host = calloc(1, sizeof *host + strlen(path) + 1);
    if (!host) {
        dlclose(handle);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    memcpy(host->path, path, strlen(path) + 1);
    host->registry = registry;
    fill_api(&host->api, host);
    size_t before = ol_pass_registry_count(registry);
    ol_status st = init_plugin(host, entry.init, err);
    if (st == OL_OK)
        st = ol_pass_registry_keep_library(registry, handle, host, err);
    if (st != OL_OK) {
        ol_pass_registry_truncate(registry, before);
        dlclose(handle);
        free(host);
        return st;
    }
    return OL_OK;
}
