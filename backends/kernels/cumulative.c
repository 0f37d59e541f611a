#include "kernels/cumulative.h"

#include "kernels/element.h"

void ol_cumprod(const ol_ktensor *x, int64_t outer, int64_t axis, int64_t inner, bool exclusive, bool reverse,
                void *y)
{
    bool exact = !ol_elem_is_float(x->dtype);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            double acc = 1;
            uint64_t iacc = 1;   /* unsigned: wraps without undefined behaviour */
            for (int64_t step = 0; step < axis; step++) {
                int64_t a = reverse ? axis - 1 - step : step, i = (o * axis + a) * inner + in;
                double v = exact ? 0 : ol_elem_get_f64(x->data, x->dtype, i);
                uint64_t iv = exact ? (uint64_t)ol_elem_get_i64(x->data, x->dtype, i) : 0;
                if (!exclusive) {
                    acc *= v;
                    iacc *= iv;
                }
                if (exact)
                    ol_elem_set_i64(y, x->dtype, i, (int64_t)iacc);
                else
                    ol_elem_set_f64(y, x->dtype, i, acc);
                if (exclusive) {
                    acc *= v;
                    iacc *= iv;
                }
            }
        }
}
