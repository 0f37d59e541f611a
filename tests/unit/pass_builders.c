#include "pass_builders.h"

#include <criterion/criterion.h>
#include <string.h>

#include "ir_builders.h"
#include "pass/manager.h"
#include "pass/pipeline.h"
#include "pass/registry.h"

ol_status ptest_try_run(ol_model *model, const char *pipeline_text, ol_pipeline_report *report,
                        ol_error *err)
{
    ol_pass_registry *registry = NULL;
    ol_pipeline pipeline = {0};
    ol_error setup = {0};
    cr_assert_eq(ol_pass_registry_create(&registry, &setup), OL_OK, "%s", setup.message);
    cr_assert_eq(ol_pass_registry_add_builtins(registry, &setup), OL_OK, "%s", setup.message);
    cr_assert_eq(ol_pipeline_parse(registry, pipeline_text, &pipeline, NULL, &setup), OL_OK, "%s",
                 setup.message);
    ol_pass_manager_options options = {.verify_each = true};
    *report = (ol_pipeline_report){0};
    ol_error_clear(err);
    ol_status st = ol_pass_manager_run(&pipeline, model, &options, report, err);
    ol_pipeline_clear(&pipeline);
    ol_pass_registry_destroy(registry);
    return st;
}

bool ptest_run(ol_model *model, const char *pipeline_text)
{
    ol_pipeline_report report;
    ol_error err = {0};
    ol_status st = ptest_try_run(model, pipeline_text, &report, &err);
    cr_assert_eq(st, OL_OK, "running '%s': %s", pipeline_text, err.message);
    bool changed = false;
    for (size_t i = 0; i < report.n_steps; i++)
        changed = changed || report.steps[i].changed;
    ol_pipeline_report_clear(&report);
    return changed;
}

ol_graph *ptest_attach_subgraph(ol_node *node, const char *attr)
{
    ol_graph *sub = ol_graph_create(node->graph->model, node->graph, attr, &irb_err);
    cr_assert(sub, "%s", irb_err.message);
    sub->owner = node;
    /* The IR has no setter for graph attributes (only the reader makes them): fill one in. */
    cr_assert_eq(ol_node_set_attr_int(node, attr, 0, &irb_err), OL_OK, "%s", irb_err.message);
    ol_attr *a = (ol_attr *)ol_node_attr(node, attr);
    a->type = OL_ATTR_GRAPH;
    a->g = sub;
    return sub;
}

size_t ptest_count_ops(const ol_graph *graph, const char *op_type)
{
    size_t n = 0;
    for (size_t i = 0; i < graph->n_nodes; i++)
        n += !graph->nodes[i]->erased && strcmp(graph->nodes[i]->op_type, op_type) == 0;
    return n;
}
