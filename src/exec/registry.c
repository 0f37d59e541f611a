#include <string.h>

#include "exec/op.h"

static const ol_op_def *const FAMILIES[] = {
    ol_ops_elementwise, ol_ops_linear, ol_ops_normalize, ol_ops_layout, ol_ops_quant, ol_ops_control,
    ol_ops_extra,
};

static bool same_domain(const char *a, const char *b)
{
    if (!a || strcmp(a, "ai.onnx") == 0)
        a = "";
    if (!b || strcmp(b, "ai.onnx") == 0)
        b = "";
    return strcmp(a, b) == 0;
}

const ol_op_def *ol_op_lookup(const char *op_type, const char *domain, int64_t opset)
{
    /* Several implementations of one op may exist for different opset ranges: take the newest
     * that the model's opset allows. */
    const ol_op_def *best = NULL;
    for (size_t f = 0; f < sizeof FAMILIES / sizeof *FAMILIES; f++)
        for (const ol_op_def *d = FAMILIES[f]; d->op_type; d++)
            if (strcmp(d->op_type, op_type) == 0 && same_domain(d->domain, domain) &&
                d->since_version <= opset && (!best || d->since_version > best->since_version))
                best = d;
    return best;
}
