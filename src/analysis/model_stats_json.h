/* ol_model_stats as JSON, for `inspect --json` and the pass manager's machine-readable report. */
#ifndef OL_ANALYSIS_MODEL_STATS_JSON_H
#define OL_ANALYSIS_MODEL_STATS_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "analysis/model_stats.h"

/* Adds the statistics to `object` under these keys, in this order (the order is part of the format,
 * so diffs of two reports line up):
 *   "node_count"        integer
 *   "op_histogram"      [{"op_type": str, "domain": str ("" = ai.onnx), "count": int}], most first
 *   "parameters"        integer: elements of all constant tensors (model_stats.h)
 *   "weight_bytes"      integer
 *   "weights_by_dtype"  {"float32": {"elements": int, "bytes": int}, ...} in ONNX dtype order,
 *                       dtypes with no weights left out
 *   "macs"              integer: Conv/ConvTranspose/Gemm/MatMul family MACs, the published convention
 *   "other_macs"        integer: per-element figure of other arithmetic ops (node_macs.c)
 *   "total_macs"        integer: macs + other_macs
 *   "unknown_mac_nodes" integer: nodes with a cost model whose shapes were not static
 *   "heaviest_layers"   [{"name": str|null, "op_type": str, "domain": str, "class": "linear"|"other",
 *                         "output_shape": [int|str|null]|null, "macs": int}], at most `top_k`,
 *                       most MACs first
 * Counts above 2^63-1 are written as 2^63-1. Returns 0, or -1 when out of memory (the object may
 * then hold some of the keys). */
int ol_model_stats_add_json(json_t *object, const ol_model_stats *stats, size_t top_k);

#endif
