/* Element access by dtype, for kernels that are generic over numeric types and not hot enough to
 * deserve one loop per type (reductions, comparisons in tests, summaries). */
#ifndef OL_KERNELS_ELEMENT_H
#define OL_KERNELS_ELEMENT_H

#include <stdbool.h>
#include <stdint.h>

#include "onnxlite/dtype.h"

/* Numeric dtypes these functions handle: float16/bfloat16/float32/float64, bool, (u)int8..64. */
bool ol_elem_numeric(ol_dtype dtype);
bool ol_elem_is_float(ol_dtype dtype);
double ol_elem_get_f64(const void *data, ol_dtype dtype, int64_t i);
/* Integers are truncated toward zero and wrapped to the type; bool is v != 0. */
void ol_elem_set_f64(void *data, ol_dtype dtype, int64_t i, double v);
/* Exact for 64-bit integers. */
int64_t ol_elem_get_i64(const void *data, ol_dtype dtype, int64_t i);
void ol_elem_set_i64(void *data, ol_dtype dtype, int64_t i, int64_t v);

#endif
