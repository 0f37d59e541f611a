#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/input_shapes.h"
#include "onnxlite/shape.h"
#include "util/mem.h"

#define SHAPE_SYNTAX "expected NAME:D0,D1,... such as input:1,3,224,224"

/* ---------------------------------------------------------------------------------------------- */
/* Parsing */

static ol_status parse_dim(const char *text, const char *start, size_t len, int64_t *out,
                           ol_error *err)
{
    if (len == 0)
        return ol_fail(err, OL_ERR_ARG, "bad input shape '%s': empty dim (%s)", text, SHAPE_SYNTAX);
    char digits[32];
    for (size_t i = 0; i < len; i++)
        if (start[i] < '0' || start[i] > '9')
            return ol_fail(err, OL_ERR_ARG,
                           "bad input shape '%s': '%.*s' is not a non-negative integer (%s)", text,
                           (int)len, start, SHAPE_SYNTAX);
    if (len >= sizeof digits)
        return ol_fail(err, OL_ERR_ARG, "bad input shape '%s': dim '%.*s' is too large", text,
                       (int)len, start);
    memcpy(digits, start, len);
    digits[len] = '\0';
    errno = 0;
    long long value = strtoll(digits, NULL, 10);
    if (errno == ERANGE)
        return ol_fail(err, OL_ERR_ARG, "bad input shape '%s': dim '%s' is too large", text,
                       digits);
    *out = value;
    return OL_OK;
}

ol_status ol_input_shape_parse(const char *text, ol_input_shape *out, ol_error *err)
{
    *out = (ol_input_shape){0};
    const char *colon = strrchr(text, ':');
    if (!colon)
        return ol_fail(err, OL_ERR_ARG, "bad input shape '%s': no ':' (%s)", text, SHAPE_SYNTAX);
    if (colon == text)
        return ol_fail(err, OL_ERR_ARG, "bad input shape '%s': no input name (%s)", text,
                       SHAPE_SYNTAX);
    const char *list = colon + 1;
    if (*list == '\0')
        return ol_fail(err, OL_ERR_ARG, "bad input shape '%s': no dims after ':' (%s)", text,
                       SHAPE_SYNTAX);

    size_t rank = 1;
    for (const char *p = list; *p; p++)
        rank += *p == ',';
    if (rank > OL_MAX_RANK)
        return ol_fail(err, OL_ERR_ARG, "bad input shape '%s': more than %d dims", text,
                       OL_MAX_RANK);

    ol_input_shape shape = {.rank = (int)rank};
    shape.name = strndup(text, (size_t)(colon - text));
    shape.dims = calloc(rank, sizeof *shape.dims);
    if (!shape.name || !shape.dims) {
        ol_input_shape_clear(&shape);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory parsing input shape '%s'", text);
    }
    const char *start = list;
    for (size_t i = 0; i < rank; i++) {
        const char *end = strchr(start, ',');
        size_t len = end ? (size_t)(end - start) : strlen(start);
        ol_status st = parse_dim(text, start, len, &shape.dims[i], err);
        if (st != OL_OK) {
            ol_input_shape_clear(&shape);
            return st;
        }
        start += len + 1;
    }
    *out = shape;
    return OL_OK;
}

void ol_input_shape_clear(ol_input_shape *shape)
{
    free(shape->name);
    free(shape->dims);
    *shape = (ol_input_shape){0};
}

/* ---------------------------------------------------------------------------------------------- */
/* Helpers over the graph inputs */

static bool is_model_input(const ol_value *value)
{
    return value->is_input && !value->constant && !value->erased;
}

static ol_value *find_model_input(const ol_graph *graph, const char *name)
{
    for (size_t i = 0; i < graph->n_inputs; i++)
        if (is_model_input(graph->inputs[i]) && strcmp(graph->inputs[i]->name, name) == 0)
            return graph->inputs[i];
    return NULL;
}

/* "model has no input named 'x' (inputs: a, b)", the list cut short if it is long. */
static ol_status fail_unknown_input(const ol_graph *graph, const char *name, ol_error *err)
{
    const ol_value *other = ol_graph_find_value(graph, name);
    if (other && other->is_input && other->constant)
        return ol_fail(
            err, OL_ERR_ARG,
            "'%s' is an initializer with a fixed shape, not an input whose shape can be set", name);
    char list[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < graph->n_inputs && used < sizeof list; i++) {
        if (!is_model_input(graph->inputs[i]))
            continue;
        int n = snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "",
                         graph->inputs[i]->name);
        used += n > 0 ? (size_t)n : 0;
    }
    if (used >= sizeof list)
        memcpy(list + sizeof list - 4, "...", 4);
    return ol_fail(err, OL_ERR_ARG, "model has no input named '%s' (inputs: %s)", name,
                   used ? list : "none");
}

static ol_status infer_shapes(ol_model *model, ol_error *err)
{
    ol_status st = ol_model_infer_shapes(model, err);
    if (st != OL_OK)
        ol_error_prefix(err, "shape inference: ");
    return st;
}

/* Replaces a symbolic or unknown dim in place. */
static void fix_dim(ol_dim *dim, int64_t value)
{
    free(dim->param);
    dim->param = NULL;
    dim->value = value;
}

/* ---------------------------------------------------------------------------------------------- */
/* Symbols */

/* Sizes given to symbolic dims. Symbols are copied, since the dims holding them get replaced. */
typedef struct symbol_binding {
    char *symbol;
    int64_t value;
    const char *input; /* the input that bound it, for messages */
} symbol_binding;

typedef struct symbol_table {
    symbol_binding *items;
    size_t n, cap;
} symbol_table;

static void symbol_table_clear(symbol_table *table)
{
    for (size_t i = 0; i < table->n; i++)
        free(table->items[i].symbol);
    free(table->items);
    *table = (symbol_table){0};
}

static const symbol_binding *symbol_find(const symbol_table *table, const char *symbol)
{
    for (size_t i = 0; i < table->n; i++)
        if (strcmp(table->items[i].symbol, symbol) == 0)
            return &table->items[i];
    return NULL;
}

static ol_status symbol_bind(symbol_table *table, const char *symbol, int64_t value,
                             const char *input, ol_error *err)
{
    const symbol_binding *seen = symbol_find(table, symbol);
    if (seen) {
        if (seen->value == value)
            return OL_OK;
        return ol_fail(
            err, OL_ERR_ARG,
            "symbolic dim '%s' is given as %lld for input '%s' but as %lld for input '%s'", symbol,
            (long long)seen->value, seen->input, (long long)value, input);
    }
    char *copy = strdup(symbol);
    if (!copy || !OL_RESERVE(table->items, table->cap, table->n + 1)) {
        free(copy);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory binding symbolic dims");
    }
    table->items[table->n++] = (symbol_binding){.symbol = copy, .value = value, .input = input};
    return OL_OK;
}

/* ONNX gives one dim_param one size wherever it appears, so a bound symbol is replaced in every
 * value of the model: other inputs, value_info and the graph outputs too. Shape inference keeps the
 * declared types of graph outputs, so without this a Gemm writing a [batch, 1000] output would stay
 * without a static shape. */
static void substitute_symbols(ol_graph *graph, const symbol_table *symbols)
{
    for (size_t i = 0; i < graph->n_values; i++) {
        ol_value *value = graph->values[i];
        if (value->erased || value->type.kind != OL_TYPE_TENSOR)
            continue;
        for (int axis = 0; axis < value->type.rank; axis++) {
            ol_dim *dim = &value->type.dims[axis];
            const symbol_binding *bound = dim->param ? symbol_find(symbols, dim->param) : NULL;
            if (dim->value < 0 && bound)
                fix_dim(dim, bound->value);
        }
    }
    for (size_t i = 0; i < graph->n_nodes; i++) {
        const ol_node *node = graph->nodes[i];
        for (size_t a = 0; !node->erased && a < node->n_attrs; a++) {
            const ol_attr *attr = &node->attrs[a];
            if (attr->type == OL_ATTR_GRAPH && attr->g)
                substitute_symbols(attr->g, symbols);
            for (size_t j = 0; attr->type == OL_ATTR_GRAPHS && j < attr->n; j++)
                if (attr->graphs[j])
                    substitute_symbols(attr->graphs[j], symbols);
        }
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* Overrides */

/* Checks one override against its input and records the symbols it binds. */
static ol_status check_override(const ol_graph *graph, const ol_input_shape *shapes, size_t index,
                                symbol_table *symbols, ol_error *err)
{
    const ol_input_shape *shape = &shapes[index];
    for (size_t j = 0; j < index; j++)
        if (strcmp(shapes[j].name, shape->name) == 0)
            return ol_fail(err, OL_ERR_ARG, "input '%s' is given a shape twice", shape->name);
    const ol_value *input = find_model_input(graph, shape->name);
    if (!input)
        return fail_unknown_input(graph, shape->name, err);
    const ol_type *type = &input->type;
    if (type->kind == OL_TYPE_OTHER)
        return ol_fail(err, OL_ERR_ARG, "input '%s' is not a tensor, so it has no shape to set",
                       shape->name);
    if (type->kind != OL_TYPE_TENSOR || type->rank < 0)
        return OL_OK; /* nothing declared: any shape fits */
    if (type->rank != shape->rank)
        return ol_fail(err, OL_ERR_ARG, "input '%s' has rank %d but the shape given has %d dims",
                       shape->name, type->rank, shape->rank);
    for (int axis = 0; axis < type->rank; axis++) {
        const ol_dim *dim = &type->dims[axis];
        if (dim->value >= 0 && dim->value != shape->dims[axis])
            return ol_fail(err, OL_ERR_ARG,
                           "input '%s' dim %d is fixed at %lld by the model, but the shape given "
                           "has %lld",
                           shape->name, axis, (long long)dim->value, (long long)shape->dims[axis]);
        if (dim->value < 0 && dim->param) {
            ol_status st = symbol_bind(symbols, dim->param, shape->dims[axis], shape->name, err);
            if (st != OL_OK)
                return st;
        }
    }
    return OL_OK;
}

ol_status ol_model_override_input_shapes(ol_model *model, const ol_input_shape *shapes, size_t n,
                                         ol_error *err)
{
    ol_graph *graph = model->graph;
    if (n == 0)
        return OL_OK;
    if (!graph)
        return ol_fail(err, OL_ERR_INVALID, "model has no graph");

    /* Check everything first, so that a bad override leaves the model as it was. */
    symbol_table symbols = {0};
    for (size_t i = 0; i < n; i++) {
        ol_status st = check_override(graph, shapes, i, &symbols, err);
        if (st != OL_OK) {
            symbol_table_clear(&symbols);
            return st;
        }
    }

    for (size_t i = 0; i < n; i++) {
        ol_value *input = find_model_input(graph, shapes[i].name);
        ol_dtype elem = input->type.kind == OL_TYPE_TENSOR ? input->type.elem : OL_UNDEFINED;
        if (ol_type_set_tensor(&input->type, elem, shapes[i].rank, shapes[i].dims) != 0) {
            symbol_table_clear(&symbols);
            return ol_fail(err, OL_ERR_NOMEM, "out of memory setting the shape of input '%s'",
                           shapes[i].name);
        }
    }
    substitute_symbols(graph, &symbols);
    symbol_table_clear(&symbols);
    return infer_shapes(model, err);
}

/* ---------------------------------------------------------------------------------------------- */
/* Assumed dims */

static ol_status record_assumed(ol_assumed_dims *assumed, size_t *cap, const char *input, int axis,
                                const char *symbol, int64_t value, ol_error *err)
{
    ol_assumed_dim item = {.input = strdup(input),
                           .axis = axis,
                           .symbol = symbol ? strdup(symbol) : NULL,
                           .value = value};
    if (!item.input || (symbol && !item.symbol) ||
        !OL_RESERVE(assumed->items, *cap, assumed->n + 1)) {
        free(item.input);
        free(item.symbol);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory recording assumed dims");
    }
    assumed->items[assumed->n++] = item;
    return OL_OK;
}

/* Records every open dim of the inputs, binds their symbols, and fixes the unnamed ones in place
 * (an unnamed dim is private to its input, so there is nothing to substitute elsewhere). */
static ol_status assume_input_dims(ol_graph *graph, int64_t value, ol_assumed_dims *assumed,
                                   symbol_table *symbols, ol_error *err)
{
    size_t cap = 0;
    for (size_t i = 0; i < graph->n_inputs; i++) {
        ol_value *input = graph->inputs[i];
        if (!is_model_input(input) || input->type.kind != OL_TYPE_TENSOR)
            continue;
        for (int axis = 0; axis < input->type.rank; axis++) {
            ol_dim *dim = &input->type.dims[axis];
            if (dim->value >= 0)
                continue;
            ol_status st = record_assumed(assumed, &cap, input->name, axis, dim->param, value, err);
            if (st == OL_OK && dim->param)
                st = symbol_bind(symbols, dim->param, value, input->name, err);
            if (st != OL_OK)
                return st;
            if (!dim->param)
                fix_dim(dim, value);
        }
    }
    return OL_OK;
}

ol_status ol_model_bind_unknown_input_dims(ol_model *model, int64_t value, ol_assumed_dims *assumed,
                                           ol_error *err)
{
    *assumed = (ol_assumed_dims){0};
    if (value < 0)
        return ol_fail(err, OL_ERR_ARG, "cannot assume a negative dim (%lld)", (long long)value);
    if (!model->graph)
        return ol_fail(err, OL_ERR_INVALID, "model has no graph");
    symbol_table symbols = {0};
    ol_status st = assume_input_dims(model->graph, value, assumed, &symbols, err);
    if (st == OL_OK)
        substitute_symbols(model->graph, &symbols);
    symbol_table_clear(&symbols);
    if (st == OL_OK)
        st = infer_shapes(model, err);
    if (st != OL_OK)
        ol_assumed_dims_clear(assumed);
    return st;
}

void ol_assumed_dims_clear(ol_assumed_dims *assumed)
{
    for (size_t i = 0; i < assumed->n; i++) {
        free(assumed->items[i].input);
        free(assumed->items[i].symbol);
    }
    free(assumed->items);
    *assumed = (ol_assumed_dims){0};
}
