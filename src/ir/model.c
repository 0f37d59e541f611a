#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir_internal.h"
#include "util/mem.h"

ol_model *ol_model_create(ol_error *err)
{
    ol_model *model = calloc(1, sizeof *model);
    if (!model) {
        ol_fail(err, OL_ERR_NOMEM, "out of memory creating a model");
        return NULL;
    }
    model->ir_version = 8;
    return model;
}

void ol_model_destroy(ol_model *model)
{
    if (!model)
        return;
    ol_graph_destroy(model->graph);
    for (size_t i = 0; i < model->n_opsets; i++)
        free(model->opsets[i].domain);
    free(model->opsets);
    free(model->producer_name);
    free(model->producer_version);
    free(model->envelope.data);
    free(model->dir);
    free(model);
}

static bool is_default_domain(const char *domain)
{
    return !domain || !*domain || strcmp(domain, "ai.onnx") == 0;
}

static bool same_domain(const char *a, const char *b)
{
    if (is_default_domain(a) || is_default_domain(b))
        return is_default_domain(a) && is_default_domain(b);
    return strcmp(a, b) == 0;
}

int64_t ol_model_opset(const ol_model *model, const char *domain)
{
    for (size_t i = 0; i < model->n_opsets; i++)
        if (same_domain(model->opsets[i].domain, domain))
            return model->opsets[i].version;
    return 0;
}

int ol_model_set_opset(ol_model *model, const char *domain, int64_t version)
{
    for (size_t i = 0; i < model->n_opsets; i++)
        if (same_domain(model->opsets[i].domain, domain)) {
            model->opsets[i].version = version;
            return 0;
        }
    ol_opset *grown = realloc(model->opsets, (model->n_opsets + 1) * sizeof *grown);
    if (!grown)
        return -1;
    model->opsets = grown;
    char *copy = strdup(domain ? domain : "");
    if (!copy)
        return -1;
    model->opsets[model->n_opsets++] = (ol_opset){.domain = copy, .version = version};
    return 0;
}

static ol_value *find_in_graph_tree(const ol_graph *graph, const char *name)
{
    if (!graph)
        return NULL;
    ol_value *v = ol_graph_find_value(graph, name);
    if (v)
        return v;
    for (size_t i = 0; i < graph->n_nodes; i++) {
        const ol_node *node = graph->nodes[i];
        for (size_t a = 0; a < node->n_attrs; a++) {
            const ol_attr *attr = &node->attrs[a];
            if (attr->g && (v = find_in_graph_tree(attr->g, name)))
                return v;
            for (size_t k = 0; attr->graphs && k < attr->n; k++)
                if ((v = find_in_graph_tree(attr->graphs[k], name)))
                    return v;
        }
    }
    return NULL;
}

ol_value *ol_model_find_value_anywhere(const ol_model *model, const char *name)
{
    return find_in_graph_tree(model->graph, name);
}

char *ol_model_fresh_name(ol_model *model, const char *hint)
{
    if (!hint || !*hint)
        hint = "t";
    size_t len = strlen(hint) + 32;
    char *name = malloc(len);
    if (!name)
        return NULL;
    /* A model-wide counter keeps generated names deterministic for a given sequence of passes. */
    do {
        snprintf(name, len, "%s_ol%" PRIu64, hint, model->fresh_name_counter++);
    } while (ol_model_find_value_anywhere(model, name));
    return name;
}
