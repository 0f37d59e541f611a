/* One-node models run by the executor: constant folding computes exactly what the runtime would. */
#include "node_eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/session.h"
#include "pass_attrs.h"

/* The one-node model; its inputs are graph inputs bound to the constants at run time. */
static ol_status build_model(const ol_node *node, const ol_tensor *const *inputs, ol_model **out,
                             ol_error *err)
{
    const ol_model *src = node->graph->model;
    ol_model *m = ol_model_create(err);
    if (!m)
        return OL_ERR_NOMEM;
    *out = m;
    m->ir_version = src->ir_version;
    for (size_t i = 0; i < src->n_opsets; i++)
        if (ol_model_set_opset(m, src->opsets[i].domain, src->opsets[i].version) != 0)
            return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    ol_graph *g = ol_graph_create(m, NULL, "fold", err);
    if (!g)
        return OL_ERR_NOMEM;
    m->graph = g;
    ol_node *copy = ol_graph_add_node(g, node->op_type, node->domain, node->name, err);
    if (!copy)
        return OL_ERR_NOMEM;
    ol_status st = pass_copy_attrs(copy, node, err);
    for (size_t i = 0; i < node->n_inputs && st == OL_OK; i++) {
        ol_value *in = NULL;
        if (inputs[i]) {
            char name[32];
            snprintf(name, sizeof name, "in%zu", i);
            ol_type type = {.kind = OL_TYPE_UNKNOWN, .rank = -1};
            if (ol_type_set_tensor(&type, inputs[i]->dtype, inputs[i]->rank, inputs[i]->dims) != 0)
                return ol_fail(err, OL_ERR_NOMEM, "out of memory");
            in = ol_graph_add_input(g, name, &type, err);
            ol_type_clear(&type);
            if (!in)
                return OL_ERR_NOMEM;
        }
        st = ol_node_add_input(copy, in, err);
    }
    for (size_t k = 0; k < node->n_outputs && st == OL_OK; k++) {
        if (!node->outputs[k]) {
            st = ol_node_add_output(copy, NULL, err);
            continue;
        }
        char name[32];
        snprintf(name, sizeof name, "out%zu", k);
        ol_value *v = ol_node_new_output(copy, name, err);
        st = v ? ol_graph_add_output(g, v, err) : OL_ERR_NOMEM;
    }
    return st;
}

static ol_tensor *tensor_from_result(const ol_ktensor *r, ol_error *err)
{
    ol_tensor *t = ol_tensor_create(r->dtype, r->rank, r->dims, err);
    if (!t)
        return NULL;
    size_t bytes = ol_ktensor_nbytes(r);
    if (bytes != t->nbytes) {   /* a type the executor stores differently: leave the node */
        ol_tensor_destroy(t);
        return NULL;
    }
    if (bytes)
        memcpy((void *)t->data, r->data, bytes);
    return t;
}

ol_status pass_eval_node(const ol_node *node, const ol_tensor *const *inputs, ol_tensor **outputs,
                         bool *ran, ol_error *err)
{
    *ran = false;
    for (size_t k = 0; k < node->n_outputs; k++)
        outputs[k] = NULL;
    if (!pass_attrs_copyable(node))
        return OL_OK;
    for (size_t i = 0; i < node->n_inputs; i++)
        if (inputs[i] && (inputs[i]->dtype == OL_STRING || inputs[i]->rank > OL_KMAX_RANK))
            return OL_OK;
    ol_model *m = NULL;
    ol_session *session = NULL;
    ol_ktensor *bound = calloc(node->n_inputs + 1, sizeof *bound);
    ol_ktensor *results = calloc(node->n_outputs + 1, sizeof *results);
    ol_status st = bound && results ? build_model(node, inputs, &m, err)
                                    : ol_fail(err, OL_ERR_NOMEM, "out of memory");
    size_t n_bound = 0;
    for (size_t i = 0; i < node->n_inputs && st == OL_OK; i++)
        if (inputs[i]) {
            ol_ktensor_set_shape(&bound[n_bound], inputs[i]->dtype, inputs[i]->rank, inputs[i]->dims);
            bound[n_bound++].data = (void *)inputs[i]->data;
        }
    ol_error local = {0};   /* why the executor declined is of no interest to the caller */
    if (st == OL_OK && ol_session_create(m, NULL, &session, &local) == OL_OK &&
        ol_session_run(session, bound, results, &local) == OL_OK) {
        size_t r = 0;
        bool complete = true;
        for (size_t k = 0; k < node->n_outputs; k++) {
            if (!node->outputs[k])
                continue;
            outputs[k] = tensor_from_result(&results[r], &local);
            complete = complete && outputs[k];
            free(results[r++].data);
        }
        *ran = complete;
        if (!complete)
            for (size_t k = 0; k < node->n_outputs; k++) {
                ol_tensor_destroy(outputs[k]);
                outputs[k] = NULL;
            }
    }
    if (local.status == OL_ERR_NOMEM && st == OL_OK)
        st = ol_fail(err, OL_ERR_NOMEM, "%s", local.message);
    ol_session_destroy(session);
    ol_model_destroy(m);
    free(bound);
    free(results);
    return st;
}
