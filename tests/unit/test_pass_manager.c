/* The pass manager with test-only passes registered here: the fixpoint bound, shape inference for
 * passes that need it (and not again while shapes stay valid), the IR verifier catching a
 * deliberately broken pass, failures that name the pass and the node, the report and its JSON, and
 * measurements that leave the model as it was. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ir_builders.h"
#include "pass/manager.h"
#include "pass_testing.h"
#include "pass/pipeline.h"
#include "pass/registry.h"

#define DIMS IRB_DIMS

/* Criterion runs each test in its own process, so the passes can count in globals. */
static unsigned runs;
static int seen_rank;   /* rank of value "r" when the shape-reading pass ran */

static ol_status always_changes(ol_model *model, const ol_option_values *options, bool *changed,
                                ol_error *err)
{
    (void)model, (void)options, (void)err;
    runs++;
    *changed = true;
    return OL_OK;
}

/* Changes something on its first `settle-after` - 1 runs. */
static ol_status settles(ol_model *model, const ol_option_values *options, bool *changed, ol_error *err)
{
    (void)model, (void)err;
    runs++;
    *changed = runs < (unsigned)ol_option_int(options, "settle-after");
    return OL_OK;
}

static ol_status reads_shapes(ol_model *model, const ol_option_values *options, bool *changed,
                              ol_error *err)
{
    (void)options, (void)err;
    seen_rank = ol_graph_find_value(model->graph, "r")->type.rank;
    *changed = false;
    return OL_OK;
}

/* Forgets the type of "r" and says so: a change that invalidates shapes. */
static ol_status forgets_shapes(ol_model *model, const ol_option_values *options, bool *changed,
                                ol_error *err)
{
    (void)options, (void)err;
    ol_value *r = ol_graph_find_value(model->graph, "r");
    ol_type_clear(&r->type);
    *changed = true;
    return OL_OK;
}

/* Deliberately broken: moves the last node to the front, so it reads a value before its producer
 * runs, and claims nothing changed. */
static ol_status breaks_order(ol_model *model, const ol_option_values *options, bool *changed,
                              ol_error *err)
{
    (void)options, (void)err;
    ol_graph *g = model->graph;
    ol_node *last = g->nodes[g->n_nodes - 1];
    memmove(&g->nodes[1], &g->nodes[0], (g->n_nodes - 1) * sizeof *g->nodes);
    g->nodes[0] = last;
    *changed = false;
    return OL_OK;
}

static ol_status fails_on_a_node(ol_model *model, const ol_option_values *options, bool *changed,
                                 ol_error *err)
{
    (void)options, (void)changed;
    const ol_node *node = model->graph->nodes[0];
    return ol_fail(err, OL_ERR_UNSUPPORTED, "node '%s' (%s): cannot rewrite this", node->name,
                   node->op_type);
}

static ol_status fails_silently(ol_model *model, const ol_option_values *options, bool *changed,
                                ol_error *err)
{
    (void)model, (void)options, (void)changed, (void)err;
    return OL_ERR_INVALID;
}

static const ol_pass_option SETTLE_OPTIONS[] = {
    {.name = "settle-after", .type = OL_OPTION_INT, .default_value = "3", .help = "runs until stable"},
};

#define TEST_PASS(var, pass_name, pass_flags, fn)                                                    \
    static const ol_pass_def var = {OL_PASS_DEF_VERSION, .name = pass_name,                          \
                                    .description = "test pass", .flags = (pass_flags), .run = fn}

TEST_PASS(ALWAYS_CHANGES, "always-changes", OL_PASS_FIXPOINT | OL_PASS_LOSSLESS, always_changes);
TEST_PASS(CHANGES_ONCE, "changes-once", OL_PASS_LOSSLESS, always_changes);
TEST_PASS(READS_SHAPES, "reads-shapes", OL_PASS_NEEDS_SHAPES, reads_shapes);
TEST_PASS(READS_NO_SHAPES, "reads-no-shapes", 0, reads_shapes);
TEST_PASS(FORGETS_SHAPES, "forgets-shapes", 0, forgets_shapes);
TEST_PASS(KEEPS_SHAPES, "keeps-shapes", OL_PASS_PRESERVES_SHAPES, always_changes);
TEST_PASS(BREAKS_ORDER, "breaks-order", OL_PASS_LOSSLESS, breaks_order);
TEST_PASS(FAILS_ON_A_NODE, "fails-on-a-node", 0, fails_on_a_node);
TEST_PASS(FAILS_SILENTLY, "fails-silently", 0, fails_silently);
static const ol_pass_def SETTLES = {OL_PASS_DEF_VERSION, .name = "settles", .description = "test pass",
                                    .options = SETTLE_OPTIONS, .n_options = 1,
                                    .flags = OL_PASS_FIXPOINT, .run = settles};

static const ol_pass_def *const TEST_PASSES[] = {
    &ALWAYS_CHANGES, &CHANGES_ONCE, &READS_SHAPES, &READS_NO_SHAPES, &FORGETS_SHAPES, &KEEPS_SHAPES,
    &BREAKS_ORDER, &FAILS_ON_A_NODE, &FAILS_SILENTLY, &SETTLES,
};

static ol_pass_registry *registry;
static ol_model *model;
static ol_pipeline_report report;
static ol_error err;

/* x -> Relu "relu" -> r -> Neg "neg" -> y, plus a dead Sigmoid on x; r's type is left unknown. */
static void setup(void)
{
    ol_error e = {0};
    cr_assert_eq(ol_pass_registry_create(&registry, &e), OL_OK);
    cr_assert_eq(ol_pass_registry_add_builtins(registry, &e), OL_OK, "%s", e.message);
    for (size_t i = 0; i < sizeof TEST_PASSES / sizeof *TEST_PASSES; i++)
        cr_assert_eq(ol_pass_registry_add(registry, TEST_PASSES[i], NULL, &e), OL_OK, "%s", e.message);
    model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = irb_input(g, "x", DIMS(2, 3));
    ol_node *relu = IRB_NODE(g, "Relu", "relu", "r", x);
    ol_node *neg = IRB_NODE(g, "Neg", "neg", "y", relu->outputs[0]);
    IRB_NODE(g, "Sigmoid", "dead_sigmoid", "unused", x);
    irb_output(g, neg->outputs[0]);
    report = (ol_pipeline_report){0};
    err = (ol_error){0};
    runs = 0;
    seen_rank = -2;
}

static void teardown(void)
{
    ol_pipeline_report_clear(&report);
    ol_model_destroy(model);
    ol_pass_registry_destroy(registry);
}

TestSuite(manager, .init = setup, .fini = teardown);

static ol_status run_with(const char *text, ol_pass_manager_options options)
{
    ol_pipeline pipeline;
    ol_error parse_err = {0};
    cr_assert_eq(ol_pipeline_parse(registry, text, &pipeline, NULL, &parse_err), OL_OK, "%s",
                 parse_err.message);
    ol_status st = ol_pass_manager_run(&pipeline, model, &options, &report, &err);
    ol_pipeline_clear(&pipeline);
    return st;
}

/* With the verifier after every pass, as tests always run. */
static ol_status run(const char *text)
{
    return run_with(text, (ol_pass_manager_options){.verify_each = true});
}

Test(manager, a_fixpoint_pass_that_keeps_changing_stops_at_the_bound)
{
    cr_assert_eq(run("always-changes"), OL_OK, "%s", err.message);
    cr_expect_eq(runs, OL_PASS_DEFAULT_MAX_ITERATIONS);
    cr_expect_eq(report.steps[0].iterations, 16);
    cr_expect(report.steps[0].hit_iteration_limit);
    cr_expect(report.steps[0].changed);
    cr_expect(report.ok, "hitting the bound is not an error");
    cr_expect_eq(report.max_iterations, 16);
}

Test(manager, the_bound_is_an_option)
{
    cr_assert_eq(run_with("always-changes", (ol_pass_manager_options){.max_iterations = 4}), OL_OK);
    cr_expect_eq(runs, 4);
    cr_expect(report.steps[0].hit_iteration_limit);
}

Test(manager, a_fixpoint_pass_reruns_until_it_changes_nothing)
{
    cr_assert_eq(run("settles{settle-after=5}"), OL_OK, "%s", err.message);
    cr_expect_eq(runs, 5, "four runs that change, then one that does not");
    cr_expect_eq(report.steps[0].iterations, 5);
    cr_expect_not(report.steps[0].hit_iteration_limit);
    cr_expect(report.steps[0].changed);
}

Test(manager, other_passes_run_once_even_when_they_change)
{
    cr_assert_eq(run("changes-once"), OL_OK, "%s", err.message);
    cr_expect_eq(runs, 1);
    cr_expect_eq(report.steps[0].iterations, 1);
}

Test(manager, shapes_are_inferred_for_passes_that_need_them)
{
    cr_assert_eq(run("reads-no-shapes"), OL_OK, "%s", err.message);
    cr_expect_eq(seen_rank, -1, "no inference without the flag");
    cr_assert_eq(run("reads-shapes"), OL_OK, "%s", err.message);
    cr_expect_eq(seen_rank, 2, "r = Relu(x) is inferred as [2,3] first");
    cr_expect(report.steps[0].inferred_shapes);
}

Test(manager, shapes_are_inferred_again_only_after_a_change_that_does_not_preserve_them)
{
    cr_assert_eq(run("reads-shapes,reads-shapes,keeps-shapes,reads-shapes,forgets-shapes,reads-shapes"),
                 OL_OK, "%s", err.message);
    bool expected[] = {true, false, false, false, false, true};
    for (size_t i = 0; i < 6; i++)
        cr_expect_eq(report.steps[i].inferred_shapes, expected[i], "step %zu (%s)", i, report.steps[i].text);
    cr_expect_eq(seen_rank, 2, "the last reader saw r's type again");
}

Test(manager, verify_each_names_the_pass_that_broke_the_model_and_the_node)
{
    cr_assert_eq(run("eliminate-dead,breaks-order,changes-once"), OL_ERR_INVALID);
    cr_expect(strstr(err.message, "pass 'breaks-order' left an invalid model: "), "%s", err.message);
    cr_expect(strstr(err.message, "node 'neg' (Neg) reads 'r' before node 'relu' produces it"), "%s",
              err.message);
    cr_expect_not(report.ok);
    cr_expect_str_eq(report.error, err.message);
    cr_expect_eq(report.n_steps, 2, "the pipeline stops at the broken pass");
    cr_expect(report.steps[0].verified);
    cr_expect(report.steps[1].failed);
    cr_expect_eq(runs, 0, "changes-once never ran");
}

Test(manager, without_verify_each_the_final_check_still_refuses_a_broken_model)
{
    cr_assert_eq(run_with("eliminate-dead,breaks-order,changes-once", (ol_pass_manager_options){0}),
                 OL_ERR_INVALID);
    cr_expect(strstr(err.message, "the optimized model is invalid (verify after each pass to find the pass "
                                  "that broke it): "), "%s", err.message);
    cr_expect_not(report.steps[1].verified);
    cr_expect_eq(runs, 1, "the passes after the broken one ran: nothing checked in between");
}

Test(manager, a_failing_pass_is_named_with_its_message)
{
    cr_assert_eq(run("eliminate-dead,fails-on-a-node"), OL_ERR_UNSUPPORTED);
    cr_expect_str_eq(err.message, "pass 'fails-on-a-node' failed: node 'relu' (Relu): cannot rewrite this");
    cr_expect(report.steps[1].failed);
    cr_expect_not(report.ok);
}

Test(manager, a_pass_that_fails_without_a_message_still_gets_one)
{
    cr_assert_eq(run("fails-silently"), OL_ERR_INVALID);
    cr_expect_str_eq(err.message, "pass 'fails-silently' failed (invalid model) without saying why");
}

Test(manager, an_invalid_input_model_is_refused_before_any_pass)
{
    ol_graph *g = model->graph;
    ol_node *last = g->nodes[g->n_nodes - 1];
    memmove(&g->nodes[1], &g->nodes[0], (g->n_nodes - 1) * sizeof *g->nodes);
    g->nodes[0] = last;
    ol_node *neg = g->nodes[2];
    g->nodes[2] = g->nodes[1];
    g->nodes[1] = neg;
    cr_assert_eq(run("changes-once"), OL_ERR_INVALID);
    cr_expect(strstr(err.message, "the input model is invalid: "), "%s", err.message);
    cr_expect_eq(runs, 0);
}

Test(manager, the_report_has_each_pass_with_its_statistics_before_and_after)
{
    cr_assert_eq(run_with("eliminate-dead,settles", (ol_pass_manager_options){.verify_each = true,
                                                                              .measure = true}),
                 OL_OK, "%s", err.message);
    cr_expect_str_eq(report.pipeline, "eliminate-dead{initializers=true},settles{settle-after=3}");
    cr_assert_eq(report.n_steps, 2);
    cr_expect(report.ok);
    cr_expect(report.measured);
    cr_expect_eq(report.input_stats.node_count, 3);
    cr_expect_str_eq(report.steps[0].text, "eliminate-dead{initializers=true}");
    cr_expect_eq(report.steps[0].pass, ol_pass_registry_find(registry, "eliminate-dead")->def);
    cr_expect(report.steps[0].changed);
    cr_expect(report.steps[0].measured);
    cr_expect_eq(report.steps[0].after.node_count, 2, "the dead Sigmoid is gone");
    cr_expect_eq(report.steps[1].iterations, 3);
    cr_expect_eq(ol_pipeline_report_output_stats(&report), &report.steps[1].after);
    cr_expect_eq(ol_pipeline_report_output_stats(&report)->node_count, 2);
    cr_expect(report.steps[0].run_seconds >= 0 && report.seconds >= report.steps[0].run_seconds);
}

static ol_status stop_after_first(void *user, size_t index, const ol_model *m, bool *stop, ol_error *e)
{
    (void)m, (void)e;
    cr_expect_eq(*(unsigned *)user, 1, "called after the pass ran");
    *stop = index == 0;
    return OL_OK;
}

Test(manager, an_after_pass_hook_can_stop_the_pipeline)
{
    cr_assert_eq(run_with("changes-once,changes-once,changes-once",
                          (ol_pass_manager_options){.after_pass = stop_after_first, .user = &runs}),
                 OL_OK, "%s", err.message);
    cr_expect_eq(runs, 1);
    cr_expect_eq(report.n_steps, 1);
}

static json_t *get(json_t *object, const char *key)
{
    json_t *v = json_object_get(object, key);
    cr_assert_not_null(v, "report has no key '%s'", key);
    return v;
}

Test(manager, the_json_report_holds_the_pipeline_passes_and_statistics)
{
    cr_assert_eq(run_with("eliminate-dead,always-changes", (ol_pass_manager_options){.measure = true,
                                                                                     .max_iterations = 2}),
                 OL_OK, "%s", err.message);
    char path[] = "/tmp/onnx-lite-report-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    cr_assert_eq(ol_pipeline_report_write_json(&report, "in.onnx", "out.onnx", path, &err), OL_OK, "%s",
                 err.message);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    unlink(path);
    cr_assert_not_null(root, "report is not JSON: %s", jerr.text);
    cr_expect_str_eq(json_string_value(get(root, "input")), "in.onnx");
    cr_expect_str_eq(json_string_value(get(root, "output")), "out.onnx");
    cr_expect_str_eq(json_string_value(get(root, "pipeline")), "eliminate-dead{initializers=true},always-changes");
    cr_expect(json_is_true(get(root, "ok")));
    cr_expect(json_is_null(get(root, "error")));
    cr_expect(json_is_null(get(root, "verification")));
    cr_expect_eq(json_integer_value(get(root, "max_iterations")), 2);
    cr_expect_eq(json_integer_value(get(get(root, "input_model"), "node_count")), 3);
    cr_expect_eq(json_integer_value(get(get(root, "output_model"), "node_count")), 2);
    json_t *passes = get(root, "passes");
    cr_assert_eq(json_array_size(passes), 2);
    json_t *first = json_array_get(passes, 0), *second = json_array_get(passes, 1);
    cr_expect_str_eq(json_string_value(get(first, "name")), "eliminate-dead");
    cr_expect(json_is_true(get(first, "lossless")));
    cr_expect(json_is_true(get(first, "changed")));
    cr_expect_eq(json_integer_value(get(get(first, "before"), "node_count")), 3);
    cr_expect_eq(json_integer_value(get(get(first, "after"), "node_count")), 2);
    cr_expect_eq(json_integer_value(get(get(second, "before"), "node_count")), 2);
    cr_expect(json_is_true(get(second, "iteration_limit_hit")));
    cr_expect_eq(json_integer_value(get(second, "iterations")), 2);
    cr_expect(json_is_real(get(second, "seconds")));
    json_decref(root);
}

/* x[N,3] -> MatMul by W[3,4] -> y, with y's type unknown: the statistics take N as 1 and infer
 * shapes, but the model keeps its symbolic input and its unknown type. */
static void use_symbolic_matmul_model(void)
{
    ol_model_destroy(model);
    model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, DIMS(2, 3), (const char *const[]){"N", NULL});
    ol_value *w = pt_random_weight(g, "w", -1, 1, DIMS(3, 4));
    irb_output(g, IRB_NODE(g, "MatMul", "mm", "y", x, w)->outputs[0]);
}

Test(manager, measuring_leaves_no_assumed_dims_or_inferred_types_behind)
{
    use_symbolic_matmul_model();
    ol_value *x = ol_graph_find_value(model->graph, "x"), *y = ol_graph_find_value(model->graph, "y");
    cr_assert_eq(y->type.kind, OL_TYPE_UNKNOWN);
    cr_assert_eq(run_with("changes-once", (ol_pass_manager_options){.measure = true}), OL_OK, "%s",
                 err.message);
    cr_expect_eq(report.input_stats.linear_macs, 12, "1 x 3 x 4 with N taken as 1");
    cr_expect_eq(report.steps[0].after.linear_macs, 12);
    cr_expect_gt(report.input_stats.file_bytes, 48, "the serialized model holds W's 48 bytes");
    cr_expect_eq(report.input_stats.gzip_bytes, 0, "no compressed size for a lossless pipeline");
    cr_expect_str_eq(x->type.dims[0].param, "N");
    cr_expect_eq(x->type.dims[0].value, -1);
    cr_expect_eq(y->type.kind, OL_TYPE_UNKNOWN, "the inferred [1, 4] was not left behind");
}

Test(manager, a_pipeline_with_a_lossy_pass_measures_compressed_sizes)
{
    use_symbolic_matmul_model();
    cr_assert_eq(run_with("keeps-shapes", (ol_pass_manager_options){.measure = true}), OL_OK, "%s",
                 err.message);
    cr_expect_gt(report.input_stats.gzip_bytes, 0);
    cr_expect_gt(ol_pipeline_report_output_stats(&report)->gzip_bytes, 0);
}
