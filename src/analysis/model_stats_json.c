#include <stdint.h>
#include <stdlib.h>

#include "analysis/json_text.h"
#include "analysis/model_stats_json.h"
#include "analysis/shape_format.h"

/* JSON integers are signed 64-bit in jansson; saturating keeps a huge count huge. */
static json_t *count_json(uint64_t count)
{
    return json_integer(count > INT64_MAX ? INT64_MAX : (json_int_t)count);
}

static json_t *histogram_json(const ol_model_stats *stats)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < stats->n_ops; i++) {
        const ol_op_count *op = &stats->ops[i];
        json_t *item = json_object();
        int bad = !item;
        bad |= json_object_set_new(item, "op_type", ol_json_text(op->op_type));
        bad |= json_object_set_new(item, "domain", ol_json_text(op->domain));
        bad |= json_object_set_new(item, "count", count_json(op->count));
        if (json_array_append_new(list, item) != 0 || bad) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

static json_t *weights_json(const ol_model_stats *stats)
{
    json_t *by_dtype = json_object();
    for (int dtype = 0; by_dtype && dtype < OL_DTYPE_COUNT; dtype++) {
        const ol_weight_total *total = &stats->weights_by_dtype[dtype];
        if (total->elements == 0 && total->bytes == 0)
            continue;
        json_t *item = json_object();
        int bad = !item;
        bad |= json_object_set_new(item, "elements", count_json(total->elements));
        bad |= json_object_set_new(item, "bytes", count_json(total->bytes));
        if (json_object_set_new(by_dtype, ol_dtype_name((ol_dtype)dtype), item) != 0 || bad) {
            json_decref(by_dtype);
            return NULL;
        }
    }
    return by_dtype;
}

static json_t *layer_json(const ol_node_cost *cost)
{
    const ol_node *node = cost->node;
    const ol_value *output = node->n_outputs ? node->outputs[0] : NULL;
    json_t *item = json_object();
    int bad = !item;
    bad |= json_object_set_new(item, "name",
                               ol_json_text(node->name && *node->name ? node->name : NULL));
    bad |= json_object_set_new(item, "op_type", ol_json_text(node->op_type));
    bad |= json_object_set_new(item, "domain", ol_json_text(node->domain));
    bad |= json_object_set_new(item, "class", json_string(ol_mac_class_name(cost->macs.mac_class)));
    bad |= json_object_set_new(item, "output_shape",
                               output ? ol_shape_json(&output->type) : json_null());
    bad |= json_object_set_new(item, "macs", count_json(cost->macs.macs));
    if (bad) {
        json_decref(item);
        return NULL;
    }
    return item;
}

static json_t *heaviest_json(const ol_model_stats *stats, size_t top_k)
{
    const ol_node_cost **top = top_k ? calloc(top_k, sizeof *top) : NULL;
    if (top_k && !top)
        return NULL;
    size_t n = ol_model_stats_heaviest(stats, top, top_k);
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++) {
        if (json_array_append_new(list, layer_json(top[i])) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    free(top);
    return list;
}

int ol_model_stats_add_json(json_t *object, const ol_model_stats *stats, size_t top_k)
{
    int bad = 0;
    bad |= json_object_set_new(object, "node_count", count_json(stats->node_count));
    bad |= json_object_set_new(object, "op_histogram", histogram_json(stats));
    bad |= json_object_set_new(object, "parameters", count_json(stats->parameter_count));
    bad |= json_object_set_new(object, "weight_bytes", count_json(stats->weight_bytes));
    bad |= json_object_set_new(object, "weights_by_dtype", weights_json(stats));
    bad |= json_object_set_new(object, "macs", count_json(stats->linear_macs));
    bad |= json_object_set_new(object, "other_macs", count_json(stats->other_macs));
    bad |= json_object_set_new(object, "total_macs", count_json(stats->total_macs));
    bad |= json_object_set_new(object, "unknown_mac_nodes", count_json(stats->unknown_mac_nodes));
    bad |= json_object_set_new(object, "heaviest_layers", heaviest_json(stats, top_k));
    return bad ? -1 : 0;
}
