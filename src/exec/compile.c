/* Graph -> exec_graph: slots per value, the op implementation of every node, and for each step the
 * slots it is the last reader of. Subgraphs are compiled up front so that a missing op anywhere
 * refuses the model before anything runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/exec_internal.h"
#include "util/mem.h"

void ol_exec_graph_destroy(exec_graph *eg)
{
    if (!eg)
        return;
    for (size_t i = 0; i < eg->n_steps; i++) {
        if (eg->prepared && eg->prepared[i].data && eg->prepared[i].destroy)
            eg->prepared[i].destroy(eg->prepared[i].data);
        free(eg->steps[i].inputs);
        free(eg->steps[i].outputs);
        free(eg->steps[i].release);
        free(eg->steps[i].fusion);
        free(eg->steps[i].owned_label);
    }
    free(eg->steps);
    free(eg->prepared);
    free(eg->slots);
    free(eg);
}

const ol_tensor *ol_exec_fixed_constant(const ol_value *v)
{
    /* Through outer references and Identity nodes (exports put them between shared weights and
     * their readers), at most a few levels deep. */
    for (int depth = 0; v && depth < 16; depth++) {
        while (v->outer)
            v = v->outer;
        if (v->is_input)
            return NULL;
        const ol_tensor *t = ol_value_constant(v);
        if (t)
            return t;
        const ol_node *p = v->producer;
        if (!p || p->erased || *p->domain || strcmp(p->op_type, "Identity") != 0 || p->n_inputs != 1)
            return NULL;
        v = p->inputs[0];
    }
    return NULL;
}

const exec_graph *ol_exec_find_subgraph(const ol_session *session, const ol_graph *graph)
{
    for (size_t i = 0; i < session->n_subgraphs; i++)
        if (session->subgraphs[i]->graph == graph)
            return session->subgraphs[i];
    return NULL;
}

/* Collects "Op (domain vN)" names of nodes without an implementation, subgraphs included. */
typedef struct missing_list {
    char text[OL_ERROR_MESSAGE_SIZE / 2];
    size_t count;
} missing_list;

static void note_missing(missing_list *m, const ol_node *node)
{
    char item[200];
    snprintf(item, sizeof item, "%s%s%s v%lld", node->op_type, *node->domain ? " in " : "",
             node->domain, (long long)node->opset);
    if (strstr(m->text, item))
        return;
    size_t len = strlen(m->text);
    snprintf(m->text + len, sizeof m->text - len, "%s%s", m->count ? ", " : "", item);
    m->count++;
}

static void find_missing(const ol_graph *graph, missing_list *m)
{
    for (size_t i = 0; i < graph->n_nodes; i++) {
        const ol_node *node = graph->nodes[i];
        if (node->erased)
            continue;
        if (!ol_op_lookup(node->op_type, node->domain, node->opset))
            note_missing(m, node);
        for (size_t a = 0; a < node->n_attrs; a++) {
            const ol_attr *attr = &node->attrs[a];
            if (attr->g)
                find_missing(attr->g, m);
            for (size_t k = 0; attr->graphs && k < attr->n; k++)
                find_missing(attr->graphs[k], m);
        }
    }
}

static ol_status compile_subgraphs(ol_session *session, const ol_node *node, ol_error *err)
{
    for (size_t a = 0; a < node->n_attrs; a++) {
        const ol_attr *attr = &node->attrs[a];
        size_t n = attr->g ? 1 : (attr->graphs ? attr->n : 0);
        for (size_t k = 0; k < n; k++) {
            const ol_graph *sub = attr->g ? attr->g : attr->graphs[k];
            exec_graph *eg;
            ol_status st = ol_exec_compile(session, sub, &eg, err);
            if (st != OL_OK)
                return st;
            exec_graph **grown = realloc(session->subgraphs, (session->n_subgraphs + 1) * sizeof *grown);
            if (!grown) {
                ol_exec_graph_destroy(eg);
                return ol_fail(err, OL_ERR_NOMEM, "out of memory");
            }
            session->subgraphs = grown;
            session->subgraphs[session->n_subgraphs++] = eg;
        }
    }
    return OL_OK;
}

static const char *label(const ol_node *node)
{
    return node->name && *node->name ? node->name : "(unnamed)";
}

static ol_status fill_step(exec_step *step, const ol_node *node, ol_error *err)
{
    step->node = node;
    step->label = node->op_type;
    step->def = ol_op_lookup(node->op_type, node->domain, node->opset);
    step->n_inputs = node->n_inputs;
    step->n_outputs = node->n_outputs;
    step->inputs = malloc((node->n_inputs ? node->n_inputs : 1) * sizeof *step->inputs);
    step->outputs = malloc((node->n_outputs ? node->n_outputs : 1) * sizeof *step->outputs);
    if (!step->inputs || !step->outputs)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    if (!step->def)
        return ol_fail(err, OL_ERR_UNSUPPORTED, "node '%s': the executor cannot run %s (opset %lld)",
                       label(node), node->op_type, (long long)node->opset);
    for (size_t k = 0; k < node->n_inputs; k++)
        step->inputs[k] = node->inputs[k] ? node->inputs[k]->id : OL_NO_SLOT;
    for (size_t k = 0; k < node->n_outputs; k++)
        step->outputs[k] = node->outputs[k] ? node->outputs[k]->id : OL_NO_SLOT;
    return OL_OK;
}

/* A fused chain's step: the head's inputs (a fused Pad's input in place of X; a residual, then a
 * scale and a shift after Conv's X, W, B), the chain's output; the values inside the chain never
 * get a slot. */
static ol_status fill_chain_step(exec_graph *eg, exec_step *step, const exec_chain *c, ol_error *err)
{
    const ol_node *head = c->head;
    step->node = head;
    step->def = c->def;
    step->label = step->owned_label = ol_strdup(c->label);
    step->n_inputs = c->scale || c->shift ? 6 : c->sum ? 4 : head->n_inputs;
    step->n_outputs = 1;
    step->inputs = malloc(step->n_inputs * sizeof *step->inputs);
    step->outputs = malloc(sizeof *step->outputs);
    const ol_op_fusion *f = &c->fusion;
    bool fused = f->activation != OL_FUSED_NONE || f->sum || f->scale_shift || f->padded;
    step->fusion = fused ? malloc(sizeof *step->fusion) : NULL;
    if (!step->inputs || !step->outputs || !step->owned_label || (fused && !step->fusion))
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    if (step->fusion)
        *step->fusion = *f;
    for (size_t k = 0; k < step->n_inputs; k++)
        step->inputs[k] = k < head->n_inputs && head->inputs[k] ? head->inputs[k]->id : OL_NO_SLOT;
    if (c->pad)
        step->inputs[0] = c->pad->inputs[0]->id;
    if (c->sum)
        step->inputs[3] = c->sum->id;
    if (c->scale)
        step->inputs[4] = c->scale->id;
    if (c->shift)
        step->inputs[5] = c->shift->id;
    step->outputs[0] = c->out->id;
    for (size_t k = 0; k < c->n_inner; k++)
        eg->slots[c->inner[k]->id].kind = SLOT_UNUSED;
    return OL_OK;
}

ol_status ol_exec_compile(ol_session *session, const ol_graph *graph, exec_graph **out, ol_error *err)
{
    *out = NULL;
    if (!graph->parent) {
        missing_list m = {{0}, 0};
        find_missing(graph, &m);
        if (m.count)
            return ol_fail(err, OL_ERR_UNSUPPORTED, "the model uses %zu operator%s the executor cannot "
                           "run: %s", m.count, m.count == 1 ? "" : "s", m.text);
    }
    exec_graph *eg = calloc(1, sizeof *eg);
    if (!eg)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    eg->graph = graph;
    eg->n_slots = graph->next_value_id;
    eg->slots = calloc(eg->n_slots ? eg->n_slots : 1, sizeof *eg->slots);
    size_t n_nodes = 0;
    for (size_t i = 0; i < graph->n_nodes; i++)
        n_nodes += !graph->nodes[i]->erased;
    eg->steps = calloc(n_nodes ? n_nodes : 1, sizeof *eg->steps);
    eg->prepared = calloc(n_nodes ? n_nodes : 1, sizeof *eg->prepared);
    if (!eg->slots || !eg->steps || !eg->prepared) {
        ol_exec_graph_destroy(eg);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < graph->n_values; i++) {
        const ol_value *v = graph->values[i];
        if (v->erased)
            continue;
        slot_info *s = &eg->slots[v->id];
        s->value = v;
        s->kind = v->outer ? SLOT_OUTER : v->producer ? SLOT_ACTIVATION
                : (v->is_input ? SLOT_INPUT : v->constant ? SLOT_CONST : SLOT_UNUSED);
        s->is_output = v->is_output;
        s->last_step = v->is_output ? UINT32_MAX : 0;
        if (v->type.kind == OL_TYPE_TENSOR && v->type.rank > OL_KMAX_RANK) {
            ol_exec_graph_destroy(eg);
            return ol_fail(err, OL_ERR_UNSUPPORTED, "value '%s' has rank %d; the executor handles "
                           "up to %d", v->name, v->type.rank, OL_KMAX_RANK);
        }
    }
    exec_chain **chains = NULL;
    bool *absorbed = NULL;
    ol_status st = session->options.no_fusion ? OL_OK : ol_exec_find_chains(graph, &chains, &absorbed, err);
    for (size_t i = 0; i < graph->n_nodes && st == OL_OK; i++) {
        const ol_node *node = graph->nodes[i];
        if (node->erased || (absorbed && absorbed[i]))
            continue;
        exec_step *step = &eg->steps[eg->n_steps];
        uint32_t index = (uint32_t)eg->n_steps++;
        const exec_chain *chain = chains ? chains[i] : NULL;
        if ((st = chain ? fill_chain_step(eg, step, chain, err) : fill_step(step, node, err)) != OL_OK)
            break;
        for (size_t k = 0; k < step->n_inputs; k++) {
            uint32_t s = step->inputs[k];
            if (s != OL_NO_SLOT && eg->slots[s].last_step != UINT32_MAX)
                eg->slots[s].last_step = index;
        }
        for (size_t k = 0; k < step->n_outputs; k++) {
            uint32_t s = step->outputs[k];
            if (s != OL_NO_SLOT && eg->slots[s].last_step != UINT32_MAX)
                eg->slots[s].last_step = index;   /* unread outputs die where they are made */
        }
        /* Values read inside this node's subgraphs stay alive until the node has run. */
        bool has_subgraphs = false;
        for (size_t a = 0; a < node->n_attrs; a++)
            has_subgraphs |= node->attrs[a].g != NULL || node->attrs[a].graphs != NULL;
        for (size_t u = 0; has_subgraphs && u < graph->n_values; u++) {
            const ol_value *v = graph->values[u];
            for (size_t k = 0; !v->erased && k < v->n_uses; k++)
                if (v->uses[k].node == node && v->uses[k].index == OL_IMPLICIT_USE &&
                    eg->slots[v->id].last_step != UINT32_MAX)
                    eg->slots[v->id].last_step = index;
        }
        st = compile_subgraphs(session, node, err);
    }
    /* Release lists: each step frees the activations it read last. */
    for (size_t s = 0; s < eg->n_slots && st == OL_OK; s++) {
        slot_info *si = &eg->slots[s];
        if (si->kind != SLOT_ACTIVATION || si->last_step == UINT32_MAX)
            continue;
        exec_step *step = &eg->steps[si->last_step];
        uint32_t *grown = realloc(step->release, (step->n_release + 1) * sizeof *grown);
        if (!grown) {
            st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
            break;
        }
        step->release = grown;
        step->release[step->n_release++] = (uint32_t)s;
    }
    ol_exec_free_chains(chains, absorbed, graph->n_nodes);
    if (st != OL_OK) {
        ol_exec_graph_destroy(eg);
        return st;
    }
    *out = eg;
    return OL_OK;
}
