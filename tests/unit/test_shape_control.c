/* Shape inference through If and Loop: bodies are inferred in their enclosing scope, If outputs get
 * what the branches agree on, Loop outputs what the initial values and the body agree on. The IR has
 * no setter for graph attributes, so these models are written with protobuf-c and read back. */
#include "onnx.pb-c.h"
#include "test_shape_graph.h"

/* Every protobuf-c object of one model, freed together. */
typedef struct pb_arena {
    void *items[512];
    size_t n;
} pb_arena;

static void *pb_alloc(pb_arena *a, size_t size)
{
    cr_assert(a->n < sizeof a->items / sizeof *a->items);
    void *p = calloc(1, size);
    cr_assert(p);
    a->items[a->n++] = p;
    return p;
}

static char *pb_str(pb_arena *a, const char *s, size_t len)
{
    char *p = pb_alloc(a, len + 1);
    memcpy(p, s, len);
    return p;
}

/* Splits "a,b,,c" into names ("" for an omitted optional input). */
static char **pb_names(pb_arena *a, const char *list, size_t *n)
{
    *n = 0;
    if (!list)
        return NULL;
    size_t count = 1;
    for (const char *p = list; *p; p++)
        count += *p == ',';
    char **names = pb_alloc(a, count * sizeof *names);
    for (const char *p = list;; p++) {
        size_t len = strcspn(p, ",");
        names[(*n)++] = pb_str(a, p, len);
        p += len;
        if (!*p)
            break;
    }
    return names;
}

static Onnx__NodeProto *pb_node(pb_arena *a, const char *op, const char *inputs, const char *outputs)
{
    Onnx__NodeProto *n = pb_alloc(a, sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = pb_str(a, op, strlen(op));
    n->name = pb_str(a, outputs, strcspn(outputs, ","));
    n->input = pb_names(a, inputs, &n->n_input);
    n->output = pb_names(a, outputs, &n->n_output);
    return n;
}

static Onnx__AttributeProto *pb_add_attr(pb_arena *a, Onnx__NodeProto *n, const char *name,
                                         Onnx__AttributeProto__AttributeType type)
{
    Onnx__AttributeProto *attr = pb_alloc(a, sizeof *attr);
    onnx__attribute_proto__init(attr);
    attr->name = pb_str(a, name, strlen(name));
    attr->has_type = 1;
    attr->type = type;
    Onnx__AttributeProto **grown = pb_alloc(a, (n->n_attribute + 1) * sizeof *grown);
    if (n->n_attribute)
        memcpy(grown, n->attribute, n->n_attribute * sizeof *grown);
    grown[n->n_attribute++] = attr;
    n->attribute = grown;
    return attr;
}

static void pb_attr_graph(pb_arena *a, Onnx__NodeProto *n, const char *name, Onnx__GraphProto *g)
{
    pb_add_attr(a, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH)->g = g;
}

static void pb_attr_int(pb_arena *a, Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *attr = pb_add_attr(a, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    attr->has_i = 1;
    attr->i = v;
}

/* A scalar constant of `elem` (INT64 or BOOL) holding v. */
static void pb_attr_scalar(pb_arena *a, Onnx__NodeProto *n, int elem, int64_t v)
{
    Onnx__TensorProto *t = pb_alloc(a, sizeof *t);
    onnx__tensor_proto__init(t);
    t->has_data_type = 1;
    t->data_type = elem;
    if (elem == OL_INT64) {
        t->n_int64_data = 1;
        t->int64_data = pb_alloc(a, sizeof(int64_t));
        t->int64_data[0] = v;
    } else {
        t->n_int32_data = 1;
        t->int32_data = pb_alloc(a, sizeof(int32_t));
        t->int32_data[0] = (int32_t)v;
    }
    pb_add_attr(a, n, "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR)->t = t;
}

/* A ValueInfo; elem 0 leaves it untyped, otherwise `shape` is parsed like sg_input's. */
static Onnx__ValueInfoProto *pb_value(pb_arena *a, const char *name, int elem, const char *shape)
{
    Onnx__ValueInfoProto *v = pb_alloc(a, sizeof *v);
    onnx__value_info_proto__init(v);
    v->name = pb_str(a, name, strlen(name));
    if (!elem)
        return v;
    Onnx__TypeProto *tp = pb_alloc(a, sizeof *tp);
    onnx__type_proto__init(tp);
    Onnx__TypeProto__Tensor *tt = pb_alloc(a, sizeof *tt);
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1;
    tt->elem_type = elem;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    v->type = tp;
    if (!shape)
        return v;
    Onnx__TensorShapeProto *sp = pb_alloc(a, sizeof *sp);
    onnx__tensor_shape_proto__init(sp);
    tt->shape = sp;
    size_t n;
    char **dims = *shape ? pb_names(a, shape, &n) : (n = 0, NULL);
    sp->n_dim = n;
    sp->dim = pb_alloc(a, (n ? n : 1) * sizeof *sp->dim);
    for (size_t i = 0; i < n; i++) {
        Onnx__TensorShapeProto__Dimension *d = pb_alloc(a, sizeof *d);
        onnx__tensor_shape_proto__dimension__init(d);
        if (dims[i][0] >= '0' && dims[i][0] <= '9') {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = strtoll(dims[i], NULL, 10);
        } else if (strcmp(dims[i], "?") != 0) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = dims[i];
        }
        sp->dim[i] = d;
    }
    return v;
}

#define PB_LIST(type, ...) \
    (sizeof((type *[]){__VA_ARGS__}) / sizeof(type *)), ((type *[]){__VA_ARGS__})

static Onnx__GraphProto *pb_graph(pb_arena *a, const char *name, size_t n_nodes, Onnx__NodeProto **nodes,
                                  size_t n_in, Onnx__ValueInfoProto **in, size_t n_out,
                                  Onnx__ValueInfoProto **out)
{
    Onnx__GraphProto *g = pb_alloc(a, sizeof *g);
    onnx__graph_proto__init(g);
    g->name = pb_str(a, name, strlen(name));
    g->n_node = n_nodes;
    g->node = pb_alloc(a, (n_nodes ? n_nodes : 1) * sizeof *nodes);
    if (n_nodes)
        memcpy(g->node, nodes, n_nodes * sizeof *nodes);
    g->n_input = n_in;
    g->input = pb_alloc(a, (n_in ? n_in : 1) * sizeof *in);
    if (n_in)
        memcpy(g->input, in, n_in * sizeof *in);
    g->n_output = n_out;
    g->output = pb_alloc(a, (n_out ? n_out : 1) * sizeof *out);
    if (n_out)
        memcpy(g->output, out, n_out * sizeof *out);
    return g;
}

static ol_model *pb_read(pb_arena *a, Onnx__GraphProto *g, int64_t opset)
{
    Onnx__OperatorSetIdProto op = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    op.domain = "";
    op.has_version = 1;
    op.version = opset;
    Onnx__OperatorSetIdProto *ops[] = {&op};
    Onnx__ModelProto model = ONNX__MODEL_PROTO__INIT;
    model.has_ir_version = 1;
    model.ir_version = 8;
    model.n_opset_import = 1;
    model.opset_import = ops;
    model.graph = g;
    size_t size = onnx__model_proto__get_packed_size(&model);
    uint8_t *buf = malloc(size);
    cr_assert(buf);
    onnx__model_proto__pack(&model, buf);
    ol_model *m = NULL;
    ol_error err = {0};
    cr_assert_eq(ol_model_read_buffer(buf, size, NULL, &m, &err), OL_OK, "%s", err.message);
    free(buf);
    for (size_t i = 0; i < a->n; i++)
        free(a->items[i]);
    a->n = 0;
    return m;
}

static ol_value *find(const ol_model *m, const char *name)
{
    ol_value *v = ol_graph_find_value(m->graph, name);
    cr_assert(v, "no value '%s'", name);
    return v;
}

/* x: float[batch,3] -> If(cond) { then: Relu(x) } { else: Concat(x, x, axis 1) } */
static ol_model *if_model(pb_arena *a, Onnx__NodeProto *cond_node, const char *else_op)
{
    Onnx__NodeProto *relu = pb_node(a, "Relu", "x", "then_out");
    Onnx__GraphProto *then_g = pb_graph(a, "then", PB_LIST(Onnx__NodeProto, relu), 0, NULL,
                                        PB_LIST(Onnx__ValueInfoProto, pb_value(a, "then_out", 0, NULL)));
    Onnx__NodeProto *other = pb_node(a, else_op, strcmp(else_op, "Concat") == 0 ? "x,x" : "x", "else_out");
    if (strcmp(else_op, "Concat") == 0)
        pb_attr_int(a, other, "axis", 1);
    else
        pb_attr_int(a, other, "to", OL_INT64);
    Onnx__GraphProto *else_g = pb_graph(a, "else", PB_LIST(Onnx__NodeProto, other), 0, NULL,
                                        PB_LIST(Onnx__ValueInfoProto, pb_value(a, "else_out", 0, NULL)));
    Onnx__NodeProto *iff = pb_node(a, "If", "cond", "y");
    pb_attr_graph(a, iff, "then_branch", then_g);
    pb_attr_graph(a, iff, "else_branch", else_g);
    size_t n_in = cond_node ? 1 : 2;
    Onnx__ValueInfoProto *ins[] = {pb_value(a, "x", OL_FLOAT, "batch,3"), pb_value(a, "cond", OL_BOOL, "")};
    Onnx__NodeProto *nodes[] = {cond_node ? cond_node : iff, iff};
    Onnx__GraphProto *g = pb_graph(a, "main", cond_node ? 2 : 1, nodes, n_in, ins,
                                   PB_LIST(Onnx__ValueInfoProto, pb_value(a, "y", 0, NULL)));
    return pb_read(a, g, 16);
}

Test(shape_control, if_outputs_agree_where_the_branches_do)
{
    pb_arena a = {0};
    ol_model *m = if_model(&a, NULL, "Concat");
    sg_infer_ok(m);
    ol_node *iff = m->graph->nodes[0];
    ol_graph *then_g = ol_node_attr(iff, "then_branch")->g;
    ol_graph *else_g = ol_node_attr(iff, "else_branch")->g;
    sg_assert_type(then_g->outputs[0], "float32[batch,3]");
    sg_assert_type(else_g->outputs[0], "float32[batch,6]");
    sg_assert_type(find(m, "y"), "float32[batch,?]");
    ol_model_destroy(m);
}

Test(shape_control, if_with_a_constant_condition_takes_one_branch)
{
    pb_arena a = {0};
    Onnx__NodeProto *cond = pb_node(&a, "Constant", NULL, "cond");
    pb_attr_scalar(&a, cond, OL_BOOL, 0);
    ol_model *m = if_model(&a, cond, "Concat");
    sg_infer_ok(m);
    sg_assert_type(find(m, "y"), "float32[batch,6]");
    ol_model_destroy(m);
}

Test(shape_control, if_branches_of_different_types_are_an_error)
{
    pb_arena a = {0};
    ol_model *m = if_model(&a, NULL, "Cast");
    const char *msg = sg_infer_fails(m);
    sg_assert_contains(msg, "node 'y' (If)");
    sg_assert_contains(msg, "float32 on one path and int64 on the other");
    ol_model_destroy(m);
}

/* Shape computed outside, used by a Reshape inside a branch: known contents cross the scope. */
Test(shape_control, data_propagation_reaches_into_branches)
{
    pb_arena a = {0};
    Onnx__NodeProto *shape = pb_node(&a, "Shape", "x", "shape_x");
    Onnx__NodeProto *reshape = pb_node(&a, "Reshape", "flat_x,shape_x", "back");
    Onnx__GraphProto *then_g = pb_graph(&a, "then", PB_LIST(Onnx__NodeProto, reshape), 0, NULL,
                                        PB_LIST(Onnx__ValueInfoProto, pb_value(&a, "back", 0, NULL)));
    Onnx__NodeProto *ident = pb_node(&a, "Identity", "x", "same");
    Onnx__GraphProto *else_g = pb_graph(&a, "else", PB_LIST(Onnx__NodeProto, ident), 0, NULL,
                                        PB_LIST(Onnx__ValueInfoProto, pb_value(&a, "same", 0, NULL)));
    Onnx__NodeProto *iff = pb_node(&a, "If", "cond", "y");
    pb_attr_graph(&a, iff, "then_branch", then_g);
    pb_attr_graph(&a, iff, "else_branch", else_g);
    Onnx__GraphProto *g = pb_graph(
        &a, "main", PB_LIST(Onnx__NodeProto, shape, iff),
        PB_LIST(Onnx__ValueInfoProto, pb_value(&a, "x", OL_FLOAT, "batch,3"),
                pb_value(&a, "flat_x", OL_FLOAT, "?"), pb_value(&a, "cond", OL_BOOL, "")),
        PB_LIST(Onnx__ValueInfoProto, pb_value(&a, "y", 0, NULL)));
    ol_model *m = pb_read(&a, g, 16);
    sg_infer_ok(m);
    sg_assert_type(find(m, "y"), "float32[batch,3]");
    ol_model_destroy(m);
}

/* Loop(M, cond, v) with body (i, c, v_in) -> (c_out, v_out = v_in + v_in, scan = Relu(w)). */
static ol_model *loop_model(pb_arena *a, bool extra_body_input)
{
    Onnx__NodeProto *c_out = pb_node(a, "Identity", "c_in", "c_out");
    Onnx__NodeProto *add = pb_node(a, "Add", "v_in,v_in", "v_out");
    Onnx__NodeProto *relu = pb_node(a, "Relu", "w", "scan");
    Onnx__ValueInfoProto *body_in[] = {
        pb_value(a, "i", 0, NULL), pb_value(a, "c_in", 0, NULL), pb_value(a, "v_in", 0, NULL),
        pb_value(a, "extra", 0, NULL),
    };
    Onnx__GraphProto *body = pb_graph(
        a, "body", PB_LIST(Onnx__NodeProto, c_out, add, relu), extra_body_input ? 4 : 3, body_in,
        PB_LIST(Onnx__ValueInfoProto, pb_value(a, "c_out", 0, NULL), pb_value(a, "v_out", 0, NULL),
                pb_value(a, "scan", 0, NULL)));
    Onnx__NodeProto *loop = pb_node(a, "Loop", "m,cond,v", "v_final,scans");
    pb_attr_graph(a, loop, "body", body);
    Onnx__GraphProto *g = pb_graph(
        a, "main", PB_LIST(Onnx__NodeProto, loop),
        PB_LIST(Onnx__ValueInfoProto, pb_value(a, "m", OL_INT64, ""), pb_value(a, "cond", OL_BOOL, ""),
                pb_value(a, "v", OL_FLOAT, "2,3"), pb_value(a, "w", OL_FLOAT, "batch,4")),
        PB_LIST(Onnx__ValueInfoProto, pb_value(a, "v_final", 0, NULL), pb_value(a, "scans", 0, NULL)));
    return pb_read(a, g, 16);
}

Test(shape_control, loop_types_its_body_and_its_outputs)
{
    pb_arena a = {0};
    ol_model *m = loop_model(&a, false);
    sg_infer_ok(m);
    ol_graph *body = ol_node_attr(m->graph->nodes[0], "body")->g;
    sg_assert_type(body->inputs[0], "int64[]");
    sg_assert_type(body->inputs[1], "bool[]");
    /* a carried value may change shape between iterations */
    sg_assert_type(body->inputs[2], "float32[*]");
    sg_assert_type(find(m, "v_final"), "float32[*]");
    sg_assert_type(find(m, "scans"), "float32[?,batch,4]");
    ol_model_destroy(m);
}

Test(shape_control, loop_body_arity_is_checked)
{
    pb_arena a = {0};
    ol_model *m = loop_model(&a, true);
    sg_assert_contains(sg_infer_fails(m), "body takes 4 inputs but the loop carries 1 values (needs 3)");
    ol_model_destroy(m);
}
