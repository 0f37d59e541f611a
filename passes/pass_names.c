/* Names for what a rewrite adds. onnxruntime refuses a model in which two nodes share a name, so
 * a helper node named after the node it serves ("fc_Cast") must not collide with one the model
 * already has; new values prefer a readable name derived from the original ("w_quantized") over
 * ol_model_fresh_name's numbered one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pass_util.h"

static bool node_name_taken(const ol_graph *graph, const char *name)
{
    for (size_t i = 0; i < graph->n_nodes; i++)
        if (!graph->nodes[i]->erased && graph->nodes[i]->name && strcmp(graph->nodes[i]->name, name) == 0)
            return true;
    return false;
}

char *pass_node_name(const ol_graph *graph, const char *base, const char *suffix)
{
    if (!base || !*base)
        return NULL;
    size_t len = strlen(base) + (suffix ? strlen(suffix) + 1 : 0), cap = len + 24;
    char *name = malloc(cap);
    if (!name)
        return NULL;
    snprintf(name, cap, suffix ? "%s_%s" : "%s", base, suffix);
    for (unsigned k = 1; node_name_taken(graph, name); k++)
        snprintf(name + len, cap - len, "_%u", k);
    return name;
}

void pass_prefer_name(ol_value *value, const char *base, const char *suffix)
{
    if (!value || !base)
        return;
    size_t cap = strlen(base) + (suffix ? strlen(suffix) : 0) + 1;
    char *name = malloc(cap);
    if (!name)
        return;   /* the fresh name stays: naming is cosmetic */
    snprintf(name, cap, "%s%s", base, suffix ? suffix : "");
    ol_error ignored = {0};
    if (strcmp(name, value->name) != 0)
        ol_value_rename(value, name, &ignored);   /* fails, harmlessly, when the name is taken */
    free(name);
}

bool pass_list_contains(const char *list, const char *name)
{
    if (!name)
        return false;
    size_t len = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == len && memcmp(p, name, len) == 0)
            return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}
