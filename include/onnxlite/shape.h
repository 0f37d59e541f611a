/* Shape and type inference over the IR. */
#ifndef ONNXLITE_SHAPE_H
#define ONNXLITE_SHAPE_H

#include "onnxlite/ir.h"
#include "onnxlite/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Infers dtype and shape of every value it can, in topological order, for the main graph and all
 * subgraphs. Types already present are refined, never contradicted: a conflict between a declared
 * type and an inferred one is an error naming the node and value. Ops it does not know leave their
 * outputs as they are (possibly unknown) instead of failing. */
ol_status ol_model_infer_shapes(ol_model *model, ol_error *err);

#ifdef __cplusplus
}
#endif
#endif
