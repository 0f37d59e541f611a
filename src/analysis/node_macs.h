/* Multiply-accumulate counts of single nodes, from the shapes already on their values.
 *
 * Two classes are kept apart because only the first matches how published model figures are
 * counted (torchvision, fvcore, thop, ptflops): one MAC per multiply-add of Conv, ConvTranspose,
 * Gemm and MatMul (and their QLinear/Integer forms), bias additions not counted. The second class is
 * a rough per-element figure for the remaining arithmetic ops, useful to compare two versions of a
 * model but never part of the headline; node_macs.c documents what it counts for each op. */
#ifndef OL_ANALYSIS_NODE_MACS_H
#define OL_ANALYSIS_NODE_MACS_H

#include <stdbool.h>
#include <stdint.h>

#include "onnxlite/ir.h"

typedef enum ol_mac_class {
    OL_MACS_NONE = 0,   /* no cost model: data movement, control flow, ops not listed */
    OL_MACS_LINEAR = 1, /* Conv/ConvTranspose/Gemm/MatMul families: the headline "MACs" */
    OL_MACS_OTHER = 2,  /* pooling, normalization, elementwise, reductions, softmax */
} ol_mac_class;

typedef struct ol_node_macs {
    ol_mac_class mac_class;
    /* false when the node has a cost model but a shape it needs is not static (or the count does
     * not fit 64 bits); macs is then 0. Always true for OL_MACS_NONE. */
    bool known;
    uint64_t macs;
} ol_node_macs;

ol_node_macs ol_node_mac_count(const ol_node *node);

const char *ol_mac_class_name(ol_mac_class mac_class); /* "linear", "other", "none" */

#endif
