/* Shapes as people and pipelines read them: symbolic dims by name, unknown dims as "?". */
#ifndef OL_ANALYSIS_SHAPE_FORMAT_H
#define OL_ANALYSIS_SHAPE_FORMAT_H

#include <stddef.h>

#include <jansson.h>

#include "onnxlite/ir.h"

/* "[batch, 3, 224, 224]", "[]" for a scalar, "?" when the rank is unknown, "(not a tensor)" for
 * sequences and maps. Truncated with "..." to fit `size`; returns `buf`. */
char *ol_shape_format(const ol_type *type, char *buf, size_t size);

/* [ "batch", 3, 224, 224 ] with null for an unknown dim; JSON null when the rank is unknown or the
 * value is not a tensor. NULL only when out of memory. */
json_t *ol_shape_json(const ol_type *type);

#endif
