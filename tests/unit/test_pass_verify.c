/* Numerical verification in the executor, and the bisection that names the first pass whose
 * output diverges. A deliberately wrong "lossless" pass registered here turns Relu into Neg. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "ir_builders.h"
#include "pass/bisect.h"
#include "pass/pipeline.h"
#include "pass/registry.h"
#include "pass/verify.h"

#define DIMS IRB_DIMS

static ol_status relu_to_neg(ol_model *model, const ol_option_values *options, bool *changed,
                             ol_error *err)
{
    (void)options;
    ol_graph *g = model->graph;
    for (size_t i = 0; i < g->n_nodes; i++) {
        ol_node *node = g->nodes[i];
        if (node->erased || strcmp(node->op_type, "Relu") != 0)
            continue;
        char *neg = strdup("Neg");
        if (!neg)
            return ol_fail(err, OL_ERR_NOMEM, "out of memory");
        free(node->op_type);
        node->op_type = neg;
        *changed = true;
    }
    return OL_OK;
}

static const ol_pass_def RELU_TO_NEG = {
    OL_PASS_DEF_VERSION,
    .name = "relu-to-neg",
    .description = "deliberately wrong: claims to be lossless",
    .flags = OL_PASS_LOSSLESS,
    .run = relu_to_neg,
};

/* y = Relu(x) + 0.5, x of shape [first_dim, 3] ("N" when first_dim < 0). */
static ol_model *small_model(int64_t first_dim)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", DIMS(first_dim < 0 ? 1 : first_dim, 3));
    if (first_dim < 0) {
        x->type.dims[0].value = -1;
        x->type.dims[0].param = strdup("N");
    }
    ol_value *half = irb_weight(g, "half", OL_FLOAT, DIMS(1, 3));
    float *data = ol_tensor_mutable_data(half->constant, &irb_err);
    cr_assert_not_null(data, "%s", irb_err.message);
    for (int i = 0; i < 3; i++)
        data[i] = 0.5f;
    ol_node *relu = IRB_NODE(g, "Relu", "relu", "r", x);
    ol_node *add = IRB_NODE(g, "Add", "add", "y", relu->outputs[0], half);
    irb_output(g, add->outputs[0]);
    irb_assert_verifies(g);
    return model;
}

static ol_model *copy_of(const ol_model *model)
{
    ol_bytes bytes = irb_write(model);
    ol_model *copy = irb_read_bytes(&bytes);
    free(bytes.data);
    return copy;
}

static ol_verifier *make_verifier(const ol_model *reference, double tolerance)
{
    ol_verifier *verifier = NULL;
    ol_error err = {0};
    ol_verify_options options = {.samples = 2, .tolerance = tolerance};
    cr_assert_eq(ol_verifier_create(reference, &options, &verifier, &err), OL_OK, "%s", err.message);
    return verifier;
}

static ol_verify_result check(ol_verifier *verifier, const ol_model *candidate)
{
    ol_verify_result result;
    ol_error err = {0};
    cr_assert_eq(ol_verifier_check(verifier, candidate, &result, &err), OL_OK, "%s", err.message);
    return result;
}

static ol_pass_registry *registry_with_test_pass(void)
{
    ol_pass_registry *registry = NULL;
    ol_error err = {0};
    cr_assert_eq(ol_pass_registry_create(&registry, &err), OL_OK);
    cr_assert_eq(ol_pass_registry_add_builtins(registry, &err), OL_OK, "%s", err.message);
    cr_assert_eq(ol_pass_registry_add(registry, &RELU_TO_NEG, NULL, &err), OL_OK, "%s", err.message);
    return registry;
}

static ol_pipeline parse(const ol_pass_registry *registry, const char *text)
{
    ol_pipeline pipeline;
    ol_error err = {0};
    cr_assert_eq(ol_pipeline_parse(registry, text, &pipeline, NULL, &err), OL_OK, "%s", err.message);
    return pipeline;
}

Test(verify, a_model_matches_itself_exactly)
{
    ol_model *model = small_model(2);
    ol_verifier *verifier = make_verifier(model, 1e-4);
    cr_expect_eq(ol_verifier_options(verifier)->samples, 2);
    ol_model *copy = copy_of(model);
    ol_verify_result result = check(verifier, copy);
    cr_expect(result.ok);
    cr_assert_eq(result.n_outputs, 1);
    cr_expect_str_eq(result.outputs[0].name, "y");
    cr_expect(result.outputs[0].ok);
    cr_expect_eq(result.outputs[0].max_abs_error, 0.0);
    cr_expect_eq(result.outputs[0].max_rel_error, 0.0);
    ol_verify_result_clear(&result);
    ol_verifier_destroy(verifier);
    ol_model_destroy(copy);
    ol_model_destroy(model);
}

Test(verify, a_changed_output_fails_with_its_errors_measured)
{
    ol_model *model = small_model(2);
    ol_verifier *verifier = make_verifier(model, 1e-4);
    ol_model *wrong = copy_of(model);
    bool changed = false;
    cr_assert_eq(relu_to_neg(wrong, NULL, &changed, &irb_err), OL_OK);
    ol_verify_result result = check(verifier, wrong);
    cr_expect_not(result.ok);
    cr_expect_not(result.outputs[0].ok);
    cr_expect_str_eq(result.outputs[0].reason, "", "a numerical difference needs no reason");
    /* Relu(v) - Neg(v) is 2v for v > 0 and -v below, for v in [-1, 1): up to 2. */
    cr_expect(result.outputs[0].max_abs_error > 0.1 && result.outputs[0].max_abs_error < 2.0,
              "max abs error %g", result.outputs[0].max_abs_error);
    cr_expect(result.outputs[0].max_rel_error > 0.05, "max rel error %g", result.outputs[0].max_rel_error);
    ol_verify_result_clear(&result);
    ol_verifier_destroy(verifier);

    /* The same difference passes a tolerance above it. */
    verifier = make_verifier(model, 10.0);
    result = check(verifier, wrong);
    cr_expect(result.ok);
    cr_expect(result.outputs[0].max_abs_error > 0.1);
    ol_verify_result_clear(&result);
    ol_verifier_destroy(verifier);
    ol_model_destroy(wrong);
    ol_model_destroy(model);
}

Test(verify, a_missing_output_and_a_different_shape_are_failures_with_a_reason)
{
    ol_model *model = small_model(2);
    ol_verifier *verifier = make_verifier(model, 1e-4);
    ol_model *renamed = copy_of(model);
    cr_assert_eq(ol_value_rename(ol_graph_find_value(renamed->graph, "y"), "z", &irb_err), OL_OK);
    ol_verify_result result = check(verifier, renamed);
    cr_expect_not(result.ok);
    cr_expect_str_eq(result.outputs[0].reason, "the optimized model has no output of this name");
    ol_verify_result_clear(&result);

    /* Adding a [1, 2, 3] constant instead of the [1, 3] one broadcasts y to [1, 2, 3]. */
    ol_model *reshaped = copy_of(model);
    ol_graph *g = reshaped->graph;
    ol_value *wide = irb_weight(g, "wide", OL_FLOAT, DIMS(1, 2, 3));
    ol_node *add = g->nodes[1];
    cr_assert_eq(ol_node_set_input(add, 1, wide, &irb_err), OL_OK);
    result = check(verifier, reshaped);
    cr_expect_not(result.ok);
    cr_expect_str_eq(result.outputs[0].reason, "shape [1,2,3], expected [2,3]");
    ol_verify_result_clear(&result);

    ol_verifier_destroy(verifier);
    ol_model_destroy(renamed);
    ol_model_destroy(reshaped);
    ol_model_destroy(model);
}

Test(verify, symbolic_dims_take_the_batch_and_fixed_ones_refuse_another)
{
    ol_model *symbolic = small_model(-1);
    ol_verifier *verifier = NULL;
    ol_error err = {0};
    ol_verify_options options = {.samples = 1, .batch = 4, .tolerance = 1e-4};
    cr_assert_eq(ol_verifier_create(symbolic, &options, &verifier, &err), OL_OK, "%s", err.message);
    ol_verify_result result = check(verifier, symbolic);
    cr_expect(result.ok);
    ol_verify_result_clear(&result);
    ol_verifier_destroy(verifier);

    ol_model *fixed = small_model(2);
    cr_assert_eq(ol_verifier_create(fixed, &options, &verifier, &err), OL_ERR_ARG);
    cr_expect(strstr(err.message, "input 'x' has a fixed first dimension 2; cannot use batch 4"), "%s",
              err.message);
    ol_model_destroy(symbolic);
    ol_model_destroy(fixed);
}

Test(verify, an_input_the_original_does_not_take_is_an_error)
{
    ol_model *model = small_model(2);
    ol_verifier *verifier = make_verifier(model, 1e-4);
    ol_model *extra = copy_of(model);
    irb_input(extra->graph, "extra", DIMS(3));
    ol_verify_result result;
    ol_error err = {0};
    cr_assert_eq(ol_verifier_check(verifier, extra, &result, &err), OL_ERR_INVALID);
    cr_expect(strstr(err.message, "the optimized model has an input 'extra' that the original model does "
                                  "not take"), "%s", err.message);
    ol_verifier_destroy(verifier);
    ol_model_destroy(extra);
    ol_model_destroy(model);
}

Test(verify, bisection_names_the_first_pass_whose_output_diverges)
{
    ol_pass_registry *registry = registry_with_test_pass();
    ol_model *reference = small_model(2);
    ol_verifier *verifier = make_verifier(reference, 1e-4);
    ol_pipeline pipeline = parse(registry, "eliminate-dead,relu-to-neg,eliminate-dead");
    ol_model *fresh = copy_of(reference);
    ol_bisection bisection;
    ol_error err = {0};
    ol_pass_manager_options options = {.verify_each = true};
    cr_assert_eq(ol_pipeline_bisect(&pipeline, fresh, verifier, &options, &bisection, &err), OL_OK, "%s",
                 err.message);
    cr_expect(bisection.ran);
    cr_expect(bisection.found);
    cr_expect_eq(bisection.step, 1);
    cr_expect_str_eq(bisection.pass_text, "relu-to-neg");
    cr_expect_not(bisection.result.ok);
    cr_expect_str_eq(bisection.result.outputs[0].name, "y");
    free(bisection.pass_text);
    ol_verify_result_clear(&bisection.result);
    ol_model_destroy(fresh);
    ol_pipeline_clear(&pipeline);

    /* A pipeline that keeps the outputs: every prefix verifies, nothing is found. */
    pipeline = parse(registry, "eliminate-dead");
    fresh = copy_of(reference);
    cr_assert_eq(ol_pipeline_bisect(&pipeline, fresh, verifier, &options, &bisection, &err), OL_OK, "%s",
                 err.message);
    cr_expect(bisection.ran);
    cr_expect_not(bisection.found);
    cr_expect_null(bisection.pass_text);
    ol_model_destroy(fresh);
    ol_pipeline_clear(&pipeline);

    ol_verifier_destroy(verifier);
    ol_model_destroy(reference);
    ol_pass_registry_destroy(registry);
}
