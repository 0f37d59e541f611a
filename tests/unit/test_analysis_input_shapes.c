/* Parsing --overwrite-input-shape values, applying them to graph inputs, and binding the remaining
 * symbolic dims; the last two run shape inference, checked here through a Relu behind each input. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/input_shapes.h"
#include "ir_builders.h"
#include "onnxlite/ir.h"

/* ---------------------------------------------------------------------------------------------- */
/* Parsing */

Test(input_shape_parse, name_and_dims)
{
    ol_input_shape shape;
    cr_assert_eq(ol_input_shape_parse("input:1,3,224,224", &shape, &irb_err), OL_OK, "%s",
                 irb_err.message);
    cr_expect_str_eq(shape.name, "input");
    cr_assert_eq(shape.rank, 4);
    const int64_t expected[] = {1, 3, 224, 224};
    for (int i = 0; i < 4; i++)
        cr_expect_eq(shape.dims[i], expected[i]);
    ol_input_shape_clear(&shape);
}

Test(input_shape_parse, name_may_contain_colons)
{
    ol_input_shape shape;
    cr_assert_eq(ol_input_shape_parse("input:0:8,0", &shape, &irb_err), OL_OK, "%s",
                 irb_err.message);
    cr_expect_str_eq(shape.name, "input:0");
    cr_assert_eq(shape.rank, 2);
    cr_expect_eq(shape.dims[0], 8);
    cr_expect_eq(shape.dims[1], 0);
    ol_input_shape_clear(&shape);
}

static void expect_parse_error(const char *text, const char *fragment)
{
    ol_error_clear(&irb_err);
    ol_input_shape shape;
    cr_expect_eq(ol_input_shape_parse(text, &shape, &irb_err), OL_ERR_ARG, "'%s' was accepted",
                 text);
    cr_expect(strstr(irb_err.message, fragment), "'%s': message '%s' lacks '%s'", text,
              irb_err.message, fragment);
    cr_expect_null(shape.name);
    cr_expect_null(shape.dims);
}

Test(input_shape_parse, rejects_bad_syntax_with_the_text_in_the_message)
{
    expect_parse_error("input", "no ':'");
    expect_parse_error(":1,2", "no input name");
    expect_parse_error("x:", "no dims");
    expect_parse_error("x:1,,2", "empty dim");
    expect_parse_error("x:1,", "empty dim");
    expect_parse_error("x:1,a", "'a' is not a non-negative integer");
    expect_parse_error("x:-1", "'-1' is not a non-negative integer");
    expect_parse_error("x: 1", "' 1' is not");
    expect_parse_error("x:99999999999999999999", "too large");
    expect_parse_error("x:1,3,224,2x4", "x:1,3,224,2x4");
}

Test(input_shape_parse, rejects_more_dims_than_the_ir_allows)
{
    char text[2 + 2 * (OL_MAX_RANK + 1)] = "x:";
    for (int i = 0; i <= OL_MAX_RANK; i++)
        strcat(text, i ? ",1" : "1");
    expect_parse_error(text, "more than 64 dims");
}

/* ---------------------------------------------------------------------------------------------- */
/* Models: inputs with declared dims, each feeding a Relu whose output shape inference fills in. */

typedef struct dim_spec {
    int64_t value;      /* -1: symbolic or unknown */
    const char *symbol; /* NULL with value -1: unnamed unknown */
} dim_spec;

#define D(v)                                                                                       \
    {                                                                                              \
        v, NULL                                                                                    \
    }
#define SYM(s)                                                                                     \
    {                                                                                              \
        -1, s                                                                                      \
    }
#define UNNAMED                                                                                    \
    {                                                                                              \
        -1, NULL                                                                                   \
    }

/* Adds input `name` with the given dims and a Relu reading it, whose output is a graph output. */
static ol_value *add_input(ol_model *model, const char *name, const dim_spec *dims, int rank)
{
    ol_graph *g = model->graph;
    ol_dim *d = calloc((size_t)rank, sizeof *d);
    for (int i = 0; i < rank; i++)
        d[i] = (ol_dim){.value = dims[i].value,
                        .param = dims[i].symbol ? strdup(dims[i].symbol) : NULL};
    ol_type type = {.kind = OL_TYPE_TENSOR, .elem = OL_FLOAT, .rank = rank, .dims = d};
    ol_value *input = ol_graph_add_input(g, name, &type, &irb_err);
    ol_type_clear(&type);
    cr_assert(input, "%s", irb_err.message);

    char node_name[64];
    snprintf(node_name, sizeof node_name, "relu_%s", name);
    ol_node *relu = ol_graph_add_node(g, "Relu", "", node_name, &irb_err);
    cr_assert(relu, "%s", irb_err.message);
    cr_assert_eq(ol_node_add_input(relu, input, &irb_err), OL_OK, "%s", irb_err.message);
    ol_value *y = ol_node_new_output(relu, NULL, &irb_err);
    cr_assert(y, "%s", irb_err.message);
    cr_assert_eq(ol_graph_add_output(g, y, &irb_err), OL_OK, "%s", irb_err.message);
    return input;
}

#define ADD_INPUT(model, name, ...)                                                                \
    add_input(model, name, (const dim_spec[]){__VA_ARGS__},                                        \
              (int)(sizeof((dim_spec[]){__VA_ARGS__}) / sizeof(dim_spec)))

/* An initializer also listed among the inputs, as the reader leaves IR < 4 models. */
static void add_initializer_input(ol_model *model, const char *name)
{
    ol_graph *g = model->graph;
    ol_tensor *t = ol_tensor_create(OL_FLOAT, 1, (const int64_t[]){2}, &irb_err);
    cr_assert(t, "%s", irb_err.message);
    ol_value *w = ol_graph_add_initializer(g, name, t, &irb_err);
    cr_assert(w, "%s", irb_err.message);
    ol_value **grown = realloc(g->inputs, (g->n_inputs + 1) * sizeof *grown);
    cr_assert(grown);
    g->inputs = grown;
    g->cap_inputs = g->n_inputs + 1;
    g->inputs[g->n_inputs++] = w;
    w->is_input = true;
}

static ol_value *relu_output(const ol_value *input)
{
    cr_assert_eq(input->n_uses, 1);
    return input->uses[0].node->outputs[0];
}

static void expect_static(const ol_value *value, const int64_t *dims, int rank)
{
    cr_assert(ol_type_is_static(&value->type), "'%s' is not static", value->name);
    cr_assert_eq(value->type.rank, rank, "'%s' rank", value->name);
    for (int i = 0; i < rank; i++) {
        cr_expect_eq(value->type.dims[i].value, dims[i], "'%s' dim %d", value->name, i);
        cr_expect_null(value->type.dims[i].param, "'%s' dim %d keeps its symbol", value->name, i);
    }
}

#define EXPECT_STATIC(value, ...)                                                                  \
    expect_static(value, (const int64_t[]){__VA_ARGS__},                                           \
                  (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)))

static ol_input_shape parsed(const char *text)
{
    ol_input_shape shape;
    cr_assert_eq(ol_input_shape_parse(text, &shape, &irb_err), OL_OK, "%s", irb_err.message);
    return shape;
}

static void clear_shapes(ol_input_shape *shapes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ol_input_shape_clear(&shapes[i]);
}

/* ---------------------------------------------------------------------------------------------- */
/* Overrides */

Test(override_input_shapes, fills_symbolic_and_unknown_dims_then_infers)
{
    ol_model *model = irb_model();
    ol_value *x = ADD_INPUT(model, "x", SYM("batch"), D(3), UNNAMED, UNNAMED);
    ol_input_shape shapes[] = {parsed("x:2,3,32,48")};
    cr_assert_eq(ol_model_override_input_shapes(model, shapes, 1, &irb_err), OL_OK, "%s",
                 irb_err.message);
    EXPECT_STATIC(x, 2, 3, 32, 48);
    cr_expect_eq(x->type.elem, OL_FLOAT, "the element type is kept");
    EXPECT_STATIC(relu_output(x), 2, 3, 32, 48);
    clear_shapes(shapes, 1);
    ol_model_destroy(model);
}

Test(override_input_shapes, a_symbol_fixed_on_one_input_is_fixed_on_all)
{
    ol_model *model = irb_model();
    ol_value *ids = ADD_INPUT(model, "input_ids", SYM("batch"), SYM("seq"));
    ol_value *mask = ADD_INPUT(model, "attention_mask", SYM("batch"), SYM("seq"));
    ol_value *other = ADD_INPUT(model, "other", SYM("n"));
    ol_input_shape shapes[] = {parsed("input_ids:4,128")};
    cr_assert_eq(ol_model_override_input_shapes(model, shapes, 1, &irb_err), OL_OK, "%s",
                 irb_err.message);
    EXPECT_STATIC(ids, 4, 128);
    EXPECT_STATIC(mask, 4, 128);
    cr_expect_str_eq(other->type.dims[0].param, "n", "an unrelated symbol stays");
    clear_shapes(shapes, 1);
    ol_model_destroy(model);
}

static void expect_override_error(ol_model *model, const char *const *texts, size_t n,
                                  const char *fragment)
{
    ol_input_shape shapes[4];
    cr_assert(n <= 4);
    for (size_t i = 0; i < n; i++)
        shapes[i] = parsed(texts[i]);
    ol_error_clear(&irb_err);
    cr_expect_eq(ol_model_override_input_shapes(model, shapes, n, &irb_err), OL_ERR_ARG,
                 "accepted %s", texts[0]);
    cr_expect(strstr(irb_err.message, fragment), "message '%s' lacks '%s'", irb_err.message,
              fragment);
    clear_shapes(shapes, n);
}

#define EXPECT_OVERRIDE_ERROR(model, fragment, ...)                                                \
    expect_override_error(model, (const char *const[]){__VA_ARGS__},                               \
                          sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *), fragment)

Test(override_input_shapes, errors_name_the_input_and_leave_the_model_unchanged)
{
    ol_model *model = irb_model();
    ol_value *x = ADD_INPUT(model, "x", SYM("batch"), D(3), D(224), D(224));
    ol_value *y = ADD_INPUT(model, "y", SYM("batch"));
    add_initializer_input(model, "w");

    EXPECT_OVERRIDE_ERROR(model, "no input named 'images' (inputs: x, y)", "images:1,3,224,224");
    EXPECT_OVERRIDE_ERROR(model, "input 'x' has rank 4 but the shape given has 3 dims",
                          "x:1,3,224");
    EXPECT_OVERRIDE_ERROR(model, "input 'x' dim 2 is fixed at 224", "x:1,3,256,256");
    EXPECT_OVERRIDE_ERROR(model, "input 'x' is given a shape twice", "x:1,3,224,224",
                          "x:2,3,224,224");
    EXPECT_OVERRIDE_ERROR(model, "'batch' is given as 1 for input 'x' but as 2 for input 'y'",
                          "x:1,3,224,224", "y:2");
    EXPECT_OVERRIDE_ERROR(model, "'w' is an initializer", "w:2");

    /* Nothing was applied: the symbolic dims are all still there. */
    cr_expect_str_eq(x->type.dims[0].param, "batch");
    cr_expect_eq(x->type.dims[0].value, -1);
    cr_expect_str_eq(y->type.dims[0].param, "batch");
    ol_model_destroy(model);
}

Test(override_input_shapes, an_input_without_a_declared_shape_takes_any)
{
    ol_model *model = irb_model();
    ol_value *x = ADD_INPUT(model, "x", D(1));
    ol_type_clear(&x->type); /* nothing known, not even the rank */
    ol_input_shape shapes[] = {parsed("x:5,6")};
    cr_assert_eq(ol_model_override_input_shapes(model, shapes, 1, &irb_err), OL_OK, "%s",
                 irb_err.message);
    EXPECT_STATIC(x, 5, 6);
    clear_shapes(shapes, 1);
    ol_model_destroy(model);
}

/* Declares the Relu output behind `input` (a graph output) with one symbolic dim. */
static ol_value *declare_output(ol_value *input, const char *symbol)
{
    ol_value *y = relu_output(input);
    ol_dim *dims = calloc(1, sizeof *dims);
    dims[0] = (ol_dim){.value = -1, .param = strdup(symbol)};
    ol_type_clear(&y->type);
    y->type = (ol_type){.kind = OL_TYPE_TENSOR, .elem = OL_FLOAT, .rank = 1, .dims = dims};
    return y;
}

Test(override_input_shapes, a_bound_symbol_is_replaced_in_declared_outputs)
{
    ol_model *model = irb_model();
    ol_value *x = ADD_INPUT(model, "x", SYM("batch"));
    ol_value *y = declare_output(x, "batch");
    ol_input_shape shapes[] = {parsed("x:6")};
    cr_assert_eq(ol_model_override_input_shapes(model, shapes, 1, &irb_err), OL_OK, "%s",
                 irb_err.message);
    EXPECT_STATIC(y, 6);
    clear_shapes(shapes, 1);
    ol_model_destroy(model);
}

/* ---------------------------------------------------------------------------------------------- */
/* Binding what is left */

Test(bind_unknown_input_dims, a_bound_symbol_is_replaced_in_declared_outputs)
{
    ol_model *model = irb_model();
    ol_value *x = ADD_INPUT(model, "x", SYM("batch"));
    ol_value *y = declare_output(x, "batch");
    ol_value *z = ADD_INPUT(model, "z", D(2));
    ol_value *w = declare_output(z, "other");
    ol_assumed_dims assumed;
    cr_assert_eq(ol_model_bind_unknown_input_dims(model, 1, &assumed, &irb_err), OL_OK, "%s",
                 irb_err.message);
    EXPECT_STATIC(y, 1);
    cr_expect_str_eq(w->type.dims[0].param, "other", "a symbol of no input is not assumed");
    ol_assumed_dims_clear(&assumed);
    ol_model_destroy(model);
}

Test(bind_unknown_input_dims, binds_to_the_value_and_records_each_dim)
{
    ol_model *model = irb_model();
    ol_value *x = ADD_INPUT(model, "x", SYM("batch"), D(3), UNNAMED, D(4));
    ol_value *y = ADD_INPUT(model, "y", D(7));
    ol_assumed_dims assumed;
    cr_assert_eq(ol_model_bind_unknown_input_dims(model, 1, &assumed, &irb_err), OL_OK, "%s",
                 irb_err.message);
    EXPECT_STATIC(x, 1, 3, 1, 4);
    EXPECT_STATIC(relu_output(x), 1, 3, 1, 4);
    EXPECT_STATIC(relu_output(y), 7);

    cr_assert_eq(assumed.n, 2);
    cr_expect_str_eq(assumed.items[0].input, "x");
    cr_expect_eq(assumed.items[0].axis, 0);
    cr_expect_str_eq(assumed.items[0].symbol, "batch");
    cr_expect_eq(assumed.items[0].value, 1);
    cr_expect_str_eq(assumed.items[1].input, "x");
    cr_expect_eq(assumed.items[1].axis, 2);
    cr_expect_null(assumed.items[1].symbol);
    ol_assumed_dims_clear(&assumed);
    cr_expect_eq(assumed.n, 0);
    ol_model_destroy(model);
}

Test(bind_unknown_input_dims, after_an_override_only_the_rest_is_assumed)
{
    ol_model *model = irb_model();
    ADD_INPUT(model, "x", SYM("batch"), SYM("seq"));
    ol_value *z = ADD_INPUT(model, "z", SYM("batch"), SYM("k"));
    ol_input_shape shapes[] = {parsed("x:2,9")};
    cr_assert_eq(ol_model_override_input_shapes(model, shapes, 1, &irb_err), OL_OK, "%s",
                 irb_err.message);
    ol_assumed_dims assumed;
    cr_assert_eq(ol_model_bind_unknown_input_dims(model, 1, &assumed, &irb_err), OL_OK, "%s",
                 irb_err.message);
    cr_assert_eq(assumed.n, 1, "only z's 'k' is left to assume");
    cr_expect_str_eq(assumed.items[0].symbol, "k");
    EXPECT_STATIC(z, 2, 1);
    ol_assumed_dims_clear(&assumed);
    clear_shapes(shapes, 1);
    ol_model_destroy(model);
}

Test(bind_unknown_input_dims, rejects_a_negative_value)
{
    ol_model *model = irb_model();
    ADD_INPUT(model, "x", SYM("batch"));
    ol_assumed_dims assumed;
    ol_error_clear(&irb_err);
    cr_expect_eq(ol_model_bind_unknown_input_dims(model, -1, &assumed, &irb_err), OL_ERR_ARG);
    cr_expect_eq(assumed.n, 0);
    ol_model_destroy(model);
}
