#include "ir_builders.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

ol_error irb_err;

ol_model *irb_model(void)
{
    ol_error_clear(&irb_err);
    ol_model *model = ol_model_create(&irb_err);
    cr_assert(model, "%s", irb_err.message);
    cr_assert_eq(ol_model_set_opset(model, "", 17), 0);
    model->graph = ol_graph_create(model, NULL, "main", &irb_err);
    cr_assert(model->graph, "%s", irb_err.message);
    return model;
}

ol_value *irb_input(ol_graph *graph, const char *name, int rank, const int64_t *dims)
{
    ol_type type = {.kind = OL_TYPE_UNKNOWN, .rank = -1};
    cr_assert_eq(ol_type_set_tensor(&type, OL_FLOAT, rank, dims), 0);
    ol_value *value = ol_graph_add_input(graph, name, &type, &irb_err);
    ol_type_clear(&type);
    cr_assert(value, "adding input '%s': %s", name ? name : "", irb_err.message);
    return value;
}

ol_value *irb_weight(ol_graph *graph, const char *name, ol_dtype dtype, int rank, const int64_t *dims)
{
    ol_tensor *tensor = ol_tensor_create(dtype, rank, dims, &irb_err);
    cr_assert(tensor, "%s", irb_err.message);
    ol_value *value = ol_graph_add_initializer(graph, name, tensor, &irb_err);
    cr_assert(value, "adding initializer '%s': %s", name ? name : "", irb_err.message);
    return value;
}

ol_node *irb_node(ol_graph *graph, const char *op, const char *name, const char *out, size_t n_inputs,
                  ol_value *const *inputs)
{
    ol_node *node = ol_graph_add_node(graph, op, "", name, &irb_err);
    cr_assert(node, "%s", irb_err.message);
    for (size_t i = 0; i < n_inputs; i++)
        cr_assert_eq(ol_node_add_input(node, inputs[i], &irb_err), OL_OK, "%s", irb_err.message);
    cr_assert(ol_node_new_output(node, out, &irb_err), "%s", irb_err.message);
    return node;
}

void irb_output(ol_graph *graph, ol_value *value)
{
    cr_assert_eq(ol_graph_add_output(graph, value, &irb_err), OL_OK, "%s", irb_err.message);
}

void irb_assert_uses(const ol_value *value, const ol_use *expected, size_t n)
{
    cr_assert_eq(value->n_uses, n, "'%s' has %zu uses, expected %zu", value->name, value->n_uses, n);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(value->uses[i].node, expected[i].node, "'%s' use %zu: wrong node", value->name, i);
        cr_assert_eq(value->uses[i].index, expected[i].index, "'%s' use %zu: index %d, expected %d",
                     value->name, i, value->uses[i].index, expected[i].index);
    }
}

size_t irb_count_uses(const ol_value *value, const ol_node *node, int index)
{
    size_t n = 0;
    for (size_t i = 0; i < value->n_uses; i++)
        n += value->uses[i].node == node && value->uses[i].index == index;
    return n;
}

void irb_assert_verifies(const ol_graph *graph)
{
    ol_error err = {0};
    cr_assert_eq(ol_graph_verify(graph, &err), OL_OK, "verifier: %s", err.message);
}

const char *irb_verify_fails(const ol_graph *graph, ol_status status)
{
    static ol_error err;
    ol_error_clear(&err);
    ol_status st = ol_graph_verify(graph, &err);
    cr_assert_eq(st, status, "verifier returned %s (%s), expected %s", ol_status_name(st), err.message,
                 ol_status_name(status));
    return err.message;
}

ol_node *irb_find_node(const ol_graph *graph, const char *name)
{
    for (size_t i = 0; i < graph->n_nodes; i++)
        if (!graph->nodes[i]->erased && graph->nodes[i]->name && strcmp(graph->nodes[i]->name, name) == 0)
            return graph->nodes[i];
    cr_assert_fail("no node named '%s'", name);
    return NULL;
}

size_t irb_node_index(const ol_graph *graph, const ol_node *node)
{
    for (size_t i = 0; i < graph->n_nodes; i++)
        if (graph->nodes[i] == node)
            return i;
    cr_assert_fail("node is not in the graph");
    return SIZE_MAX;
}

ol_graph *irb_subgraph(const ol_node *node, const char *attr)
{
    const ol_attr *a = ol_node_attr(node, attr);
    cr_assert(a && a->type == OL_ATTR_GRAPH && a->g, "node has no graph attribute '%s'", attr);
    return a->g;
}

ol_model *irb_read(const char *path)
{
    ol_model *model = NULL;
    ol_error_clear(&irb_err);
    cr_assert_eq(ol_model_read_file(path, &model, &irb_err), OL_OK, "%s", irb_err.message);
    cr_assert(model);
    return model;
}

ol_bytes irb_write(const ol_model *model)
{
    ol_bytes out = {0};
    ol_error_clear(&irb_err);
    cr_assert_eq(ol_model_write_buffer(model, &out, &irb_err), OL_OK, "%s", irb_err.message);
    cr_assert(out.size > 0);
    return out;
}

ol_model *irb_read_bytes(const ol_bytes *bytes)
{
    ol_model *model = NULL;
    ol_error_clear(&irb_err);
    cr_assert_eq(ol_model_read_buffer(bytes->data, bytes->size, NULL, &model, &irb_err), OL_OK, "%s",
                 irb_err.message);
    return model;
}

ol_bytes irb_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    cr_assert_eq(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    cr_assert(size >= 0);
    rewind(f);
    ol_bytes out = {.data = malloc(size ? (size_t)size : 1), .size = (size_t)size};
    cr_assert(out.data);
    cr_assert_eq(fread(out.data, 1, out.size, f), out.size);
    fclose(f);
    return out;
}

char *irb_tempdir(void)
{
    const char *base = getenv("TMPDIR");
    char *dir = irb_path(base && *base ? base : "/tmp", "onnxlite-test-XXXXXX");
    cr_assert(mkdtemp(dir), "mkdtemp %s failed", dir);
    return dir;
}

char *irb_path(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *path = malloc(len);
    cr_assert(path);
    snprintf(path, len, "%s/%s", dir, name);
    return path;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in `dir`, excluding "." and ".."; *n gets the count. */
static char **dir_names(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    cr_assert(d, "cannot open folder %s", dir);
    char **names = NULL;
    *n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        names = realloc(names, (*n + 1) * sizeof *names);
        cr_assert(names);
        names[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    if (*n)
        qsort(names, *n, sizeof *names, compare_names);
    return names;
}

char *irb_list_dir(const char *dir)
{
    size_t n, len = 1;
    char **names = dir_names(dir, &n);
    for (size_t i = 0; i < n; i++)
        len += strlen(names[i]) + 1;
    char *out = calloc(len, 1);
    cr_assert(out);
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(out, " ");
        strcat(out, names[i]);
        free(names[i]);
    }
    free(names);
    return out;
}

void irb_rmtree(char *dir)
{
    if (!dir)
        return;
    size_t n;
    char **names = dir_names(dir, &n);
    for (size_t i = 0; i < n; i++) {
        char *path = irb_path(dir, names[i]);
        unlink(path);   /* the tests only create plain files */
        free(path);
        free(names[i]);
    }
    free(names);
    rmdir(dir);
    free(dir);
}
