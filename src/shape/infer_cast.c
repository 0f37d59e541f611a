/* Ops that change a tensor's element type or nothing at all: Cast, CastLike, Identity, Dropout.
 * Integer-to-integer casts keep known contents, since exports cast shape values back and forth. */
#include "shape/infer_internal.h"

static bool is_index_type(ol_dtype t)
{
    return t == OL_INT64 || t == OL_INT32;
}

static void propagate_int_cast(infer_ctx *c, ol_dtype to)
{
    known_ints k;
    if (!is_index_type(to) || !infer_in_known(c, 0, &k))
        return;
    if (to == OL_INT32)
        for (size_t i = 0; i < k.n; i++)
            if (k.v[i].kind == SYM_VALUE && (k.v[i].value < INT32_MIN || k.v[i].value > INT32_MAX))
                return;  /* wraps: leave it to the run */
    infer_out_set_known(c, 0, &k);
}

/* Cast-1 named the target type ("FLOAT", "INT64", ...) instead of numbering it. */
static ol_status cast_target_name(infer_ctx *c, const ol_attr *a, int64_t *to)
{
    static const struct {
        const char *name;
        ol_dtype dtype;
    } names[] = {
        {"FLOAT", OL_FLOAT}, {"UINT8", OL_UINT8}, {"INT8", OL_INT8}, {"UINT16", OL_UINT16},
        {"INT16", OL_INT16}, {"INT32", OL_INT32}, {"INT64", OL_INT64}, {"STRING", OL_STRING},
        {"BOOL", OL_BOOL}, {"FLOAT16", OL_FLOAT16}, {"DOUBLE", OL_DOUBLE}, {"UINT32", OL_UINT32},
        {"UINT64", OL_UINT64}, {"COMPLEX64", OL_COMPLEX64}, {"COMPLEX128", OL_COMPLEX128},
    };
    const char *s = a->s.data ? (const char *)a->s.data : "";
    size_t len = a->s.data ? a->s.size : 0;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (infer_bytes_equal(s, len, names[i].name)) {
            *to = names[i].dtype;
            return OL_OK;
        }
    return infer_fail(c, "attribute 'to' = '%.*s' is not a data type name", (int)len, s);
}

ol_status infer_cast(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    int64_t to;
    const ol_attr *named = ol_node_attr(c->node, "to");
    if (named && named->type == OL_ATTR_STRING && c->opset < 6)
        st = cast_target_name(c, named, &to);
    else
        st = infer_attr_int(c, "to", 0, &to);
    if (st != OL_OK)
        return st;
    if (!ol_node_attr(c->node, "to"))
        return infer_fail(c, "attribute 'to' is required");
    if (to <= OL_UNDEFINED || to >= OL_DTYPE_COUNT)
        return infer_fail(c, "attribute 'to' = %lld is not a data type", (long long)to);
    propagate_int_cast(c, (ol_dtype)to);
    return infer_out_like_input(c, 0, 0, (ol_dtype)to);
}

ol_status infer_cast_like(infer_ctx *c)
{
    ol_status st;
    if ((st = infer_in_require(c, 0)) != OL_OK || (st = infer_in_require(c, 1)) != OL_OK)
        return st;
    ol_dtype to = infer_in_elem(c, 1);
    propagate_int_cast(c, to);
    return infer_out_shape_of_input(c, 0, 0, to);
}

ol_status infer_identity(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    known_ints k;
    if (infer_in_known(c, 0, &k))
        infer_out_set_known(c, 0, &k);
    const ol_type *t = infer_in_type(c, 0);
    if (t->kind == OL_TYPE_OTHER && c->node->n_outputs > 0) {
        /* Sequences and optionals pass through unchanged too. */
        return ol_type_copy(&c->out[0], t) == 0 ? OL_OK : infer_nomem(c);
    }
    return infer_out_like_input(c, 0, 0, OL_UNDEFINED);
}

ol_status infer_dropout(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    if ((st = infer_out_like_input(c, 0, 0, OL_UNDEFINED)) != OL_OK)
        return st;
    /* The mask was of the data's type until opset 10 made it bool. */
    ol_dtype mask = c->opset >= 10 ? OL_BOOL : infer_in_elem(c, 0);
    if (!infer_out_present(c, 1))
        return OL_OK;
    return infer_out_shape_of_input(c, 1, 0, mask);
}
