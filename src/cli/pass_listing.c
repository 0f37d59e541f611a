#include "cli/pass_listing.h"

#include <stdlib.h>
#include <string.h>

#include "pass/options.h"
#include "pass/pipeline.h"
#include "pass/plugin.h"

ol_pass_registry *ol_cli_load_passes(const char *program, const char *const *plugins, size_t n_plugins)
{
    ol_error err = {0};
    ol_pass_registry *registry = NULL;
    ol_status st = ol_pass_registry_create(&registry, &err);
    if (st == OL_OK)
        st = ol_pass_registry_add_builtins(registry, &err);
    for (size_t i = 0; st == OL_OK && i < n_plugins; i++)
        st = ol_plugin_load(registry, plugins[i], &err);
    if (st != OL_OK) {
        fprintf(stderr, "%s: %s\n", program, err.message);
        ol_pass_registry_destroy(registry);
        return NULL;
    }
    return registry;
}

static void print_properties(FILE *out, const ol_registered_pass *r)
{
    uint32_t flags = r->def->flags;
    fprintf(out, "  [%s", flags & OL_PASS_LOSSLESS ? "lossless" : "lossy");
    if (flags & OL_PASS_NEEDS_SHAPES)
        fprintf(out, ", needs shapes");
    if (flags & OL_PASS_PRESERVES_SHAPES)
        fprintf(out, ", preserves shapes");
    if (flags & OL_PASS_FIXPOINT)
        fprintf(out, ", runs to a fixpoint");
    if (r->origin)
        fprintf(out, ", plugin %s", r->origin);
    fprintf(out, "]\n");
}

void ol_cli_print_passes(FILE *out, const ol_pass_registry *registry)
{
    for (size_t i = 0; i < ol_pass_registry_count(registry); i++) {
        const ol_registered_pass *r = ol_pass_registry_at(registry, i);
        const ol_pass_def *def = r->def;
        fprintf(out, "%s", def->name);
        print_properties(out, r);
        fprintf(out, "    %s\n", def->description);
        for (size_t k = 0; k < def->n_options; k++) {
            const ol_pass_option *option = &def->options[k];
            ol_text text = {0};
            ol_text_appendf(&text, "%s=", option->name);
            ol_option_format_string(option->default_value, &text);
            fprintf(out, "    %-28s %-7s %s", text.data ? text.data : option->name,
                    ol_option_type_name(option->type), option->help ? option->help : "");
            if (option->type == OL_OPTION_ENUM)
                fprintf(out, " (%s)", option->choices);
            fprintf(out, "\n");
            ol_text_clear(&text);
        }
    }
    ol_error err = {0};
    ol_pipeline o1;
    if (ol_pipeline_default(registry, 1, &o1, &err) == OL_OK) {
        char *text = ol_pipeline_to_text(&o1);
        fprintf(out, "\n-O1 (the default of optimize) runs: %s\n", text && *text ? text : "(nothing)");
        free(text);
        ol_pipeline_clear(&o1);
    }
    fprintf(out, "Pipelines are written as -p 'pass,pass{option=value,...},...'.\n");
}
