/* Whole-model statistics: node count, op histogram, parameters, weight bytes by dtype and MACs.
 *
 * Used by `onnx-lite inspect` and by the pass manager's before/after report, so everything except
 * the per-node list is an owned copy that stays valid while the model changes.
 *
 * What is counted:
 *  - nodes: every live node of the main graph and, recursively, of its subgraphs (If/Loop/Scan
 *    bodies), each counted once;
 *  - parameters and weight bytes: the elements and storage bytes of constant tensors kept in the
 *    model: initializers of every graph and the tensors of Constant nodes (value, value_float(s),
 *    value_int(s), value_string(s)). Strings count their byte lengths. Sparse initializers and
 *    sparse_value attributes are not counted (the IR keeps them packed);
 *  - MACs: see node_macs.h. `linear_macs` is the headline figure; a subgraph body counts once,
 *    since trip counts are not known statically. */
#ifndef OL_ANALYSIS_MODEL_STATS_H
#define OL_ANALYSIS_MODEL_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/node_macs.h"
#include "onnxlite/ir.h"
#include "onnxlite/status.h"

typedef struct ol_op_count {
    char *domain; /* "" for the default domain */
    char *op_type;
    size_t count;
} ol_op_count;

typedef struct ol_weight_total {
    uint64_t elements;
    uint64_t bytes;
} ol_weight_total;

/* A node with a cost model (mac_class != OL_MACS_NONE). */
typedef struct ol_node_cost {
    const ol_node *node; /* borrowed: valid only until the model is next changed */
    ol_node_macs macs;
} ol_node_cost;

typedef struct ol_model_stats {
    size_t node_count;
    /* Sorted by count (descending), then domain, then op type. */
    ol_op_count *ops;
    size_t n_ops;
    uint64_t parameter_count;
    uint64_t weight_bytes;
    ol_weight_total weights_by_dtype[OL_DTYPE_COUNT]; /* indexed by ol_dtype */
    uint64_t linear_macs;     /* Conv/ConvTranspose/Gemm/MatMul families: the headline figure */
    uint64_t other_macs;      /* everything else with a cost model (node_macs.c) */
    uint64_t total_macs;      /* linear_macs + other_macs */
    size_t unknown_mac_nodes; /* nodes with a cost model whose shapes were not static */
    /* Serialized size (inline data) and its gzip-compressed size, filled by the pass manager's
     * measurements (pass/measure.h); 0 when not measured. */
    uint64_t file_bytes;
    uint64_t gzip_bytes;
    /* In graph order, subgraph nodes right after their owner. */
    ol_node_cost *costs;
    size_t n_costs;
} ol_model_stats;

/* Fills *out (which need not be initialized); on failure *out is left empty. Shapes should have
 * been inferred first, or MACs come out unknown. */
ol_status ol_model_stats_compute(const ol_model *model, ol_model_stats *out, ol_error *err);
void ol_model_stats_free(ol_model_stats *stats);

/* The up to `k` costs with the most MACs (any class), most first; ties keep graph order. Nodes with
 * zero or unknown MACs are left out. Returns how many were written to `out`. */
size_t ol_model_stats_heaviest(const ol_model_stats *stats, const ol_node_cost **out, size_t k);

#endif
