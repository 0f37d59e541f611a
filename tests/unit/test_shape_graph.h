/* Helpers for the shape inference tests: small graphs written tersely, and types rendered as strings
 * ("float32[batch,64,?,56]", "int64[]" for a scalar, "float32[*]" for an unknown rank, "?" for no type)
 * so that expectations read like the shapes they check. Built on the shared ir_builders helpers; every
 * helper fails the running test instead of returning an error. */
#ifndef OL_TESTS_SHAPE_GRAPH_H
#define OL_TESTS_SHAPE_GRAPH_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir_builders.h"
#include "onnxlite/shape.h"

#define SG_VALUES(...) sizeof((ol_value *[]){__VA_ARGS__}) / sizeof(ol_value *), (ol_value *[]){__VA_ARGS__}
#define SG_INTS(...) sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t), (const int64_t[]){__VA_ARGS__}

/* A model importing `opset` of the default domain, with an empty main graph. */
static inline ol_model *sg_model(int64_t opset)
{
    ol_model *m = irb_model();
    cr_assert_eq(ol_model_set_opset(m, "", opset), 0);
    return m;
}

/* Parses "batch,3,?,224" into a type: numbers are static dims, '?' unknown, other words symbols;
 * "" is a scalar and NULL an unknown rank. */
static inline void sg_parse_type(ol_type *t, ol_dtype elem, const char *shape)
{
    *t = (ol_type){.kind = OL_TYPE_UNKNOWN, .rank = -1};
    if (!shape) {
        cr_assert_eq(ol_type_set_tensor(t, elem, -1, NULL), 0);
        return;
    }
    int rank = *shape ? 1 : 0;
    for (const char *p = shape; *p; p++)
        rank += *p == ',';
    cr_assert_eq(ol_type_set_tensor(t, elem, rank, NULL), 0);
    const char *p = shape;
    for (int d = 0; d < rank; d++) {
        size_t len = strcspn(p, ",");
        if (len == 1 && *p == '?') {
            t->dims[d].value = -1;
        } else if (*p >= '0' && *p <= '9') {
            t->dims[d].value = strtoll(p, NULL, 10);
        } else {
            t->dims[d].value = -1;
            t->dims[d].param = strndup(p, len);
        }
        p += len + (p[len] == ',');
    }
}

static inline ol_value *sg_input(ol_graph *g, const char *name, ol_dtype elem, const char *shape)
{
    ol_type t;
    sg_parse_type(&t, elem, shape);
    ol_value *v = ol_graph_add_input(g, name, &t, &irb_err);
    ol_type_clear(&t);
    cr_assert(v, "adding input '%s': %s", name, irb_err.message);
    return v;
}

/* An int64 initializer: rank 0 takes one value, rank 1 a vector of n. */
static inline ol_value *sg_ints(ol_graph *g, const char *name, int rank, size_t n, const int64_t *v)
{
    int64_t dims[1] = {(int64_t)n};
    ol_tensor *t = ol_tensor_create(OL_INT64, rank, dims, &irb_err);
    cr_assert(t, "%s", irb_err.message);
    if (n)
        memcpy(ol_tensor_mutable_data(t, &irb_err), v, n * sizeof *v);
    ol_value *value = ol_graph_add_initializer(g, name, t, &irb_err);
    cr_assert(value, "%s", irb_err.message);
    return value;
}

static inline ol_value *sg_floats(ol_graph *g, const char *name, size_t n, const float *v)
{
    int64_t dims[1] = {(int64_t)n};
    ol_tensor *t = ol_tensor_create(OL_FLOAT, 1, dims, &irb_err);
    cr_assert(t, "%s", irb_err.message);
    if (n)
        memcpy(ol_tensor_mutable_data(t, &irb_err), v, n * sizeof *v);
    ol_value *value = ol_graph_add_initializer(g, name, t, &irb_err);
    cr_assert(value, "%s", irb_err.message);
    return value;
}

/* Node `name` with the given inputs and `n_out` outputs named "<name>:0", "<name>:1", ... */
static inline ol_node *sg_node(ol_graph *g, const char *op, const char *name, size_t n_in,
                               ol_value *const *ins, size_t n_out)
{
    ol_node *node = ol_graph_add_node(g, op, "", name, &irb_err);
    cr_assert(node, "%s", irb_err.message);
    for (size_t i = 0; i < n_in; i++)
        cr_assert_eq(ol_node_add_input(node, ins[i], &irb_err), OL_OK, "%s", irb_err.message);
    for (size_t o = 0; o < n_out; o++) {
        char out[128];
        snprintf(out, sizeof out, "%s:%zu", name, o);
        cr_assert(ol_node_new_output(node, out, &irb_err), "%s", irb_err.message);
    }
    return node;
}

/* Output o of node. */
static inline ol_value *sg_out(const ol_node *node, size_t o)
{
    cr_assert(o < node->n_outputs);
    return node->outputs[o];
}

static inline void sg_attr_int(ol_node *n, const char *name, int64_t v)
{
    cr_assert_eq(ol_node_set_attr_int(n, name, v, &irb_err), OL_OK, "%s", irb_err.message);
}

static inline void sg_attr_ints(ol_node *n, const char *name, size_t count, const int64_t *v)
{
    cr_assert_eq(ol_node_set_attr_ints(n, name, v, count, &irb_err), OL_OK, "%s", irb_err.message);
}

static inline void sg_attr_float(ol_node *n, const char *name, float v)
{
    cr_assert_eq(ol_node_set_attr_float(n, name, v, &irb_err), OL_OK, "%s", irb_err.message);
}

static inline void sg_attr_string(ol_node *n, const char *name, const char *v)
{
    cr_assert_eq(ol_node_set_attr_string(n, name, v, &irb_err), OL_OK, "%s", irb_err.message);
}

/* The type as a string, in a rotating static buffer so that a few can appear in one assertion. */
static inline const char *sg_type_str(const ol_type *t)
{
    static char bufs[4][512];
    static int next;
    char *buf = bufs[next++ % 4];
    if (t->kind == OL_TYPE_UNKNOWN)
        return "?";
    if (t->kind == OL_TYPE_OTHER)
        return "other";
    int n = snprintf(buf, 512, "%s[", ol_dtype_name(t->elem));
    if (t->rank < 0) {
        snprintf(buf + n, 512 - (size_t)n, "*]");
        return buf;
    }
    for (int d = 0; d < t->rank && n < 480; d++) {
        const char *sep = d ? "," : "";
        if (t->dims[d].value >= 0)
            n += snprintf(buf + n, 512 - (size_t)n, "%s%lld", sep, (long long)t->dims[d].value);
        else if (t->dims[d].param)
            n += snprintf(buf + n, 512 - (size_t)n, "%s%s", sep, t->dims[d].param);
        else
            n += snprintf(buf + n, 512 - (size_t)n, "%s?", sep);
    }
    snprintf(buf + n, 512 - (size_t)n, "]");
    return buf;
}

static inline const char *sg_type(const ol_value *v)
{
    return sg_type_str(&v->type);
}

#define sg_assert_type(value, expected)                                                        \
    do {                                                                                       \
        const char *sg_actual_ = sg_type(value);                                               \
        cr_assert_str_eq(sg_actual_, (expected), "'%s': inferred %s, expected %s", (value)->name, \
                         sg_actual_, (expected));                                              \
    } while (0)

static inline void sg_infer_ok(ol_model *m)
{
    ol_error err = {0};
    ol_status st = ol_model_infer_shapes(m, &err);
    cr_assert_eq(st, OL_OK, "inference failed: %s", err.message);
}

/* Runs inference expecting OL_ERR_INVALID; returns the message (static buffer). */
static inline const char *sg_infer_fails(ol_model *m)
{
    static ol_error err;
    ol_error_clear(&err);
    ol_status st = ol_model_infer_shapes(m, &err);
    cr_assert_eq(st, OL_ERR_INVALID, "expected OL_ERR_INVALID, got %s (%s)", ol_status_name(st),
                 err.message);
    return err.message;
}

#define sg_assert_contains(haystack, needle) \
    cr_assert(strstr((haystack), (needle)), "message \"%s\" lacks \"%s\"", (haystack), (needle))

#endif
