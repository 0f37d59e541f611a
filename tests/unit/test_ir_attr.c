/* Attribute getters, setters, replacement and removal. */
#include <criterion/criterion.h>
#include <string.h>

#include "ir_builders.h"

static ol_model *model;
static ol_node *node;

static void setup(void)
{
    model = irb_model();
    ol_value *x = irb_input(model->graph, "x", IRB_DIMS(1, 3, 8, 8));
    node = IRB_NODE(model->graph, "Conv", "conv", "y", x);
}

static void teardown(void)
{
    ol_model_destroy(model);
}

TestSuite(ir_attr, .init = setup, .fini = teardown);

Test(ir_attr, absent_attributes_give_defaults)
{
    size_t n = 99, len = 99;
    cr_assert_null(ol_node_attr(node, "group"));
    cr_assert_eq(ol_node_attr_int(node, "group", 7), 7);
    cr_assert_float_eq(ol_node_attr_float(node, "alpha", 0.5f), 0.5f, 0);
    cr_assert_null(ol_node_attr_string(node, "auto_pad", &len));
    cr_assert_null(ol_node_attr_ints(node, "pads", &n));
    cr_assert_eq(n, 99);   /* untouched when absent */
    cr_assert_eq(len, 99);
    cr_assert_null(ol_node_attr_tensor(node, "value"));
    cr_assert(!ol_node_remove_attr(node, "group"));
}

Test(ir_attr, set_and_get_each_kind)
{
    const int64_t pads[] = {1, 1, 2, 2};
    const float scales[] = {1.5f, -2.0f};
    cr_assert_eq(ol_node_set_attr_int(node, "group", 4, &irb_err), OL_OK);
    cr_assert_eq(ol_node_set_attr_float(node, "alpha", 0.25f, &irb_err), OL_OK);
    cr_assert_eq(ol_node_set_attr_string(node, "auto_pad", "SAME_UPPER", &irb_err), OL_OK);
    cr_assert_eq(ol_node_set_attr_ints(node, "pads", pads, 4, &irb_err), OL_OK);
    cr_assert_eq(ol_node_set_attr_floats(node, "scales", scales, 2, &irb_err), OL_OK);
    ol_tensor *t = ol_tensor_create(OL_INT64, IRB_DIMS(2), &irb_err);
    ((int64_t *)ol_tensor_mutable_data(t, &irb_err))[1] = 42;
    cr_assert_eq(ol_node_set_attr_tensor(node, "value", t, &irb_err), OL_OK);
    cr_assert_eq(node->n_attrs, 6);

    cr_assert_eq(ol_node_attr_int(node, "group", 0), 4);
    cr_assert_float_eq(ol_node_attr_float(node, "alpha", 0), 0.25f, 0);
    size_t len = 0;
    const char *s = ol_node_attr_string(node, "auto_pad", &len);
    cr_assert_eq(len, 10);
    cr_assert(memcmp(s, "SAME_UPPER", 10) == 0);
    size_t n = 0;
    const int64_t *got = ol_node_attr_ints(node, "pads", &n);
    cr_assert_eq(n, 4);
    cr_assert_arr_eq(got, pads, sizeof pads);
    /* The list was copied, not borrowed. */
    cr_assert_neq(got, pads);
    const ol_attr *fa = ol_node_attr(node, "scales");
    cr_assert_eq(fa->type, OL_ATTR_FLOATS);
    cr_assert_eq(fa->n, 2);
    cr_assert_float_eq(fa->floats[1], -2.0f, 0);
    const ol_tensor *tv = ol_node_attr_tensor(node, "value");
    cr_assert_eq(tv, t);
    cr_assert_eq(((const int64_t *)tv->data)[1], 42);
    cr_assert_eq(ol_node_attr(node, "group")->type, OL_ATTR_INT);
}

Test(ir_attr, getters_check_the_kind)
{
    cr_assert_eq(ol_node_set_attr_float(node, "alpha", 3.0f, &irb_err), OL_OK);
    cr_assert_eq(ol_node_set_attr_int(node, "axis", 1, &irb_err), OL_OK);
    size_t n = 0;
    /* A float attribute is not an int, and an int is not a list. */
    cr_assert_eq(ol_node_attr_int(node, "alpha", -1), -1);
    cr_assert_float_eq(ol_node_attr_float(node, "axis", -1.0f), -1.0f, 0);
    cr_assert_null(ol_node_attr_ints(node, "axis", &n));
    cr_assert_null(ol_node_attr_string(node, "axis", NULL));
    cr_assert_null(ol_node_attr_tensor(node, "axis"));
}

Test(ir_attr, replacement_keeps_position_and_changes_kind)
{
    const int64_t pads[] = {0, 0, 0, 0};
    cr_assert_eq(ol_node_set_attr_ints(node, "pads", pads, 4, &irb_err), OL_OK);
    cr_assert_eq(ol_node_set_attr_int(node, "group", 1, &irb_err), OL_OK);
    cr_assert_eq(ol_node_set_attr_string(node, "pads", "oops", &irb_err), OL_OK);
    cr_assert_eq(node->n_attrs, 2);
    cr_assert_str_eq(node->attrs[0].name, "pads");
    cr_assert_eq(node->attrs[0].type, OL_ATTR_STRING);
    cr_assert_null(node->attrs[0].ints);   /* the old list is gone (ASan would flag a leak) */
    cr_assert_eq(node->attrs[0].n, 0);
    size_t n;
    cr_assert_null(ol_node_attr_ints(node, "pads", &n));
    cr_assert_eq(ol_node_set_attr_int(node, "group", 2, &irb_err), OL_OK);
    cr_assert_eq(ol_node_attr_int(node, "group", 0), 2);
    cr_assert_eq(node->n_attrs, 2);

    /* Replacing a tensor attribute frees the old tensor. */
    cr_assert_eq(ol_node_set_attr_tensor(node, "value", ol_tensor_create(OL_FLOAT, IRB_DIMS(3), NULL),
                                         &irb_err), OL_OK);
    cr_assert_eq(ol_node_set_attr_tensor(node, "value", ol_tensor_create(OL_INT8, IRB_DIMS(5), NULL),
                                         &irb_err), OL_OK);
    cr_assert_eq(ol_node_attr_tensor(node, "value")->dtype, OL_INT8);
    cr_assert_eq(node->n_attrs, 3);
}

Test(ir_attr, empty_lists_and_strings)
{
    cr_assert_eq(ol_node_set_attr_ints(node, "axes", NULL, 0, &irb_err), OL_OK);
    size_t n = 99;
    const int64_t *axes = ol_node_attr_ints(node, "axes", &n);
    /* Present but empty: a valid pointer and a zero count, unlike an absent attribute. */
    cr_assert_not_null(axes);
    cr_assert_eq(n, 0);
    cr_assert_eq(ol_node_set_attr_string(node, "mode", "", &irb_err), OL_OK);
    size_t len = 99;
    const char *s = ol_node_attr_string(node, "mode", &len);
    cr_assert_not_null(s);
    cr_assert_eq(len, 0);
}

Test(ir_attr, remove_keeps_the_order_of_the_rest)
{
    cr_assert_eq(ol_node_set_attr_int(node, "a", 1, &irb_err), OL_OK);
    cr_assert_eq(ol_node_set_attr_int(node, "b", 2, &irb_err), OL_OK);
    cr_assert_eq(ol_node_set_attr_int(node, "c", 3, &irb_err), OL_OK);
    cr_assert(ol_node_remove_attr(node, "b"));
    cr_assert(!ol_node_remove_attr(node, "b"));
    cr_assert_eq(node->n_attrs, 2);
    cr_assert_str_eq(node->attrs[0].name, "a");
    cr_assert_str_eq(node->attrs[1].name, "c");
    cr_assert_eq(ol_node_attr_int(node, "c", 0), 3);
}

Test(ir_attr, survive_a_round_trip)
{
    const int64_t pads[] = {1, 2, 3, 4};
    const float scales[] = {0.5f};
    cr_assert_eq(ol_node_set_attr_ints(node, "pads", pads, 4, &irb_err), OL_OK);
    cr_assert_eq(ol_node_set_attr_floats(node, "scales", scales, 1, &irb_err), OL_OK);
    cr_assert_eq(ol_node_set_attr_string(node, "auto_pad", "VALID", &irb_err), OL_OK);
    cr_assert_eq(ol_node_set_attr_float(node, "alpha", -0.125f, &irb_err), OL_OK);
    cr_assert_eq(ol_node_set_attr_int(node, "group", -3, &irb_err), OL_OK);
    ol_tensor *t = ol_tensor_create(OL_FLOAT, IRB_DIMS(2), &irb_err);
    ((float *)ol_tensor_mutable_data(t, &irb_err))[0] = 9.5f;
    cr_assert_eq(ol_node_set_attr_tensor(node, "value", t, &irb_err), OL_OK);
    irb_output(model->graph, node->outputs[0]);

    ol_bytes bytes = irb_write(model);
    ol_model *back = irb_read_bytes(&bytes);
    ol_node *n2 = irb_find_node(back->graph, "conv");
    cr_assert_eq(n2->n_attrs, 6);
    size_t n;
    cr_assert_arr_eq(ol_node_attr_ints(n2, "pads", &n), pads, sizeof pads);
    cr_assert_eq(n, 4);
    cr_assert_float_eq(ol_node_attr(n2, "scales")->floats[0], 0.5f, 0);
    size_t len;
    cr_assert(memcmp(ol_node_attr_string(n2, "auto_pad", &len), "VALID", 5) == 0);
    cr_assert_eq(len, 5);
    cr_assert_float_eq(ol_node_attr_float(n2, "alpha", 0), -0.125f, 0);
    cr_assert_eq(ol_node_attr_int(n2, "group", 0), -3);
    cr_assert(ol_tensor_equal(ol_node_attr_tensor(n2, "value"), t));
    free(bytes.data);
    ol_model_destroy(back);
}
