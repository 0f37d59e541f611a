#include "pass/registry.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "pass/builtin_passes.h"
#include "pass/options.h"
#include "pass/suggest.h"
#include "util/mem.h"

#define MAX_NAME_LENGTH 64

struct ol_pass_registry {
    ol_registered_pass *passes;
    size_t n_passes, cap_passes;
    struct loaded_library {
        void *handle;
        void *state;
    } *libraries;
    size_t n_libraries, cap_libraries;
};

/* sizeof(ol_pass_def) of each released ABI version, indexed by version. A definition must have
 * exactly the size of the version it claims: anything else is a mismatched header. */
static const size_t PASS_DEF_SIZE[] = {
    [1] = sizeof(ol_pass_def),
};
#define NEWEST_ABI (sizeof PASS_DEF_SIZE / sizeof *PASS_DEF_SIZE - 1)
_Static_assert(NEWEST_ABI == OL_PASS_ABI_VERSION, "PASS_DEF_SIZE needs the size of every ABI version");

ol_status ol_pass_registry_create(ol_pass_registry **out, ol_error *err)
{
    *out = calloc(1, sizeof **out);
    return *out ? OL_OK : ol_fail(err, OL_ERR_NOMEM, "out of memory");
}

ol_status ol_pass_registry_add_builtins(ol_pass_registry *registry, ol_error *err)
{
    for (size_t i = 0; i < ol_builtin_pass_count; i++) {
        ol_status st = ol_pass_registry_add(registry, ol_builtin_passes[i], NULL, err);
        if (st != OL_OK)
            return st;
    }
    return OL_OK;
}

void ol_pass_registry_destroy(ol_pass_registry *registry)
{
    if (!registry)
        return;
    ol_pass_registry_truncate(registry, 0);
    free(registry->passes);
    /* Unload in reverse order, after nothing points into them any more. */
    for (size_t i = registry->n_libraries; i-- > 0;) {
        dlclose(registry->libraries[i].handle);
        free(registry->libraries[i].state);
    }
    free(registry->libraries);
    free(registry);
}

bool ol_pass_name_valid(const char *name)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len > MAX_NAME_LENGTH || !(name[0] >= 'a' && name[0] <= 'z') || name[len - 1] == '-')
        return false;
    for (size_t i = 1; i < len; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && name[i - 1] != '-');
        if (!ok)
            return false;
    }
    return true;
}

static ol_status check_option(const ol_pass_def *def, size_t index, ol_error *err)
{
    const ol_pass_option *option = &def->options[index];
    if (!ol_pass_name_valid(option->name))
        return ol_fail(err, OL_ERR_ARG, "pass '%s': option %zu has an invalid name '%s' (%s)", def->name,
                       index, option->name ? option->name : "(null)",
                       "lower-case letters, digits and '-', starting with a letter");
    for (size_t j = 0; j < index; j++)
        if (strcmp(def->options[j].name, option->name) == 0)
            return ol_fail(err, OL_ERR_ARG, "pass '%s' declares option '%s' twice", def->name,
                           option->name);
    if (option->type < OL_OPTION_BOOL || option->type > OL_OPTION_ENUM)
        return ol_fail(err, OL_ERR_ARG, "pass '%s': option '%s' has unknown type %d", def->name,
                       option->name, (int)option->type);
    if ((option->type == OL_OPTION_ENUM) != (option->choices != NULL) ||
        (option->choices && !*option->choices))
        return ol_fail(err, OL_ERR_ARG, "pass '%s': option '%s' %s", def->name, option->name,
                       option->type == OL_OPTION_ENUM ? "is an enum without choices"
                                                      : "has choices but is not an enum");
    if (!option->default_value)
        return ol_fail(err, OL_ERR_ARG, "pass '%s': option '%s' has no default", def->name, option->name);
    ol_option_value value;
    ol_status st = ol_option_parse(option, option->default_value, strlen(option->default_value), &value,
                                   err);
    if (st != OL_OK) {
        ol_error_prefix(err, "pass '%s': bad default: ", def->name);
        return st;
    }
    free(value.s);
    return OL_OK;
}

/* What `def` says about itself, checked before anything else is read: a definition built for
 * another ABI may have another layout. */
static ol_status check_version(const ol_pass_def *def, ol_error *err)
{
    /* The name is at the same place in every version, so messages can use it once the size covers
     * it. */
    bool has_name = def->struct_size >= offsetof(ol_pass_def, name) + sizeof def->name && def->name;
    const char *name = has_name ? def->name : "(unnamed)";
    if (def->abi_version == 0)
        return ol_fail(err, OL_ERR_UNSUPPORTED, "pass '%s' does not say which pass ABI it was built for "
                       "(start its definition with OL_PASS_DEF_VERSION)", name);
    if (def->abi_version > NEWEST_ABI)
        return ol_fail(err, OL_ERR_UNSUPPORTED, "pass '%s' was built for pass ABI version %u, but this "
                       "onnx-lite supports up to version %d: upgrade onnx-lite, or rebuild the plugin "
                       "against this onnx-lite's headers", name, def->abi_version, OL_PASS_ABI_VERSION);
    if (def->struct_size != PASS_DEF_SIZE[def->abi_version])
        return ol_fail(err, OL_ERR_UNSUPPORTED, "pass '%s' has struct_size %u, unknown for pass ABI "
                       "version %u (which has %zu): it was built against a mismatched onnxlite/pass.h",
                       name, def->struct_size, def->abi_version, PASS_DEF_SIZE[def->abi_version]);
    return OL_OK;
}

static ol_status check_def(const ol_pass_def *def, ol_error *err)
{
    if (!def)
        return ol_fail(err, OL_ERR_ARG, "a pass definition is NULL");
    ol_status st = check_version(def, err);
    if (st != OL_OK)
        return st;
    if (!ol_pass_name_valid(def->name))
        return ol_fail(err, OL_ERR_ARG, "invalid pass name '%s': use lower-case letters, digits and '-', "
                       "starting with a letter (at most %d characters)", def->name ? def->name : "(null)",
                       MAX_NAME_LENGTH);
    if (!def->description || !*def->description)
        return ol_fail(err, OL_ERR_ARG, "pass '%s' has no description", def->name);
    if (!def->run)
        return ol_fail(err, OL_ERR_ARG, "pass '%s' has no run function", def->name);
    if (def->flags & ~OL_PASS_KNOWN_FLAGS)
        return ol_fail(err, OL_ERR_ARG, "pass '%s' sets unknown flags 0x%x", def->name,
                       def->flags & ~OL_PASS_KNOWN_FLAGS);
    if (def->n_options && !def->options)
        return ol_fail(err, OL_ERR_ARG, "pass '%s' declares %zu options but no option array", def->name,
                       def->n_options);
    for (size_t i = 0; i < def->n_options; i++)
        if ((st = check_option(def, i, err)) != OL_OK)
            return st;
    return OL_OK;
}

ol_status ol_pass_registry_add(ol_pass_registry *registry, const ol_pass_def *def, const char *origin,
                               ol_error *err)
{
    ol_status st = check_def(def, err);
    if (st != OL_OK)
        return st;
    const ol_registered_pass *existing = ol_pass_registry_find(registry, def->name);
    if (existing)
        return ol_fail(err, OL_ERR_ARG, "pass '%s' is already registered (%s%s)", def->name,
                       existing->origin ? "by plugin " : "built-in",
                       existing->origin ? existing->origin : "");
    if (!OL_RESERVE(registry->passes, registry->cap_passes, registry->n_passes + 1))
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    ol_registered_pass entry = {.def = def};
    if (origin && !(entry.origin = strdup(origin)))
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    registry->passes[registry->n_passes++] = entry;
    return OL_OK;
}

size_t ol_pass_registry_count(const ol_pass_registry *registry)
{
    return registry->n_passes;
}

const ol_registered_pass *ol_pass_registry_at(const ol_pass_registry *registry, size_t index)
{
    return index < registry->n_passes ? &registry->passes[index] : NULL;
}

const ol_registered_pass *ol_pass_registry_find(const ol_pass_registry *registry, const char *name)
{
    for (size_t i = 0; i < registry->n_passes; i++)
        if (strcmp(registry->passes[i].def->name, name) == 0)
            return &registry->passes[i];
    return NULL;
}

const char *ol_pass_registry_suggest(const ol_pass_registry *registry, const char *name)
{
    const char **names = malloc((registry->n_passes ? registry->n_passes : 1) * sizeof *names);
    if (!names)
        return NULL;
    for (size_t i = 0; i < registry->n_passes; i++)
        names[i] = registry->passes[i].def->name;
    const char *best = ol_closest_name(name, names, registry->n_passes);
    free(names);
    return best;
}

void ol_pass_registry_truncate(ol_pass_registry *registry, size_t count)
{
    while (registry->n_passes > count)
        free(registry->passes[--registry->n_passes].origin);
}

ol_status ol_pass_registry_keep_library(ol_pass_registry *registry, void *handle, void *state,
                                        ol_error *err)
{
    if (!OL_RESERVE(registry->libraries, registry->cap_libraries, registry->n_libraries + 1))
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    registry->libraries[registry->n_libraries++] = (struct loaded_library){handle, state};
    return OL_OK;
}
