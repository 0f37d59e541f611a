/* Ops that make a tensor from attributes or from a shape: Constant, ConstantOfShape, Range, EyeLike,
 * the random generators, and SequenceLength's count. */
#include <math.h>
#include <string.h>

#include "onnx.pb-c.h"
#include "shape/infer_internal.h"

static const char *const constant_attrs[] = {
    "value", "value_float", "value_floats", "value_int", "value_ints", "value_string",
    "value_strings", "sparse_value",
};

static ol_status tensor_type_of(infer_ctx *c, const ol_tensor *t)
{
    if (t->rank < 0 || t->rank > OL_MAX_RANK || (t->rank > 0 && !t->dims))
        return infer_fail(c, "attribute tensor has invalid rank %d", t->rank);
    ol_dim dims[OL_MAX_RANK];
    for (int d = 0; d < t->rank; d++) {
        if (t->dims[d] < 0)
            return infer_fail(c, "attribute tensor has negative dim %lld", (long long)t->dims[d]);
        dims[d] = dim_of(t->dims[d]);
    }
    return infer_out_tensor_dims(c, 0, t->dtype, t->rank, dims);
}

/* A sparse_value attribute is kept packed by the IR; its dense shape and type are in the message. */
static ol_status sparse_constant_type(infer_ctx *c, const ol_attr *a)
{
    if (!a->opaque.data || a->opaque.size == 0)
        return infer_fail(c, "attribute 'sparse_value' has no data");
    Onnx__AttributeProto *msg = onnx__attribute_proto__unpack(NULL, a->opaque.size, a->opaque.data);
    if (!msg)
        return infer_fail(c, "attribute 'sparse_value' cannot be decoded");
    ol_status st = OL_OK;
    const Onnx__SparseTensorProto *sp = msg->sparse_tensor;
    if (!sp || !sp->values || sp->n_dims > OL_MAX_RANK) {
        st = infer_fail(c, "attribute 'sparse_value' holds no usable sparse tensor");
    } else {
        ol_dim dims[OL_MAX_RANK];
        for (size_t d = 0; d < sp->n_dims && st == OL_OK; d++) {
            if (sp->dims[d] < 0)
                st = infer_fail(c, "sparse_value has negative dim %lld", (long long)sp->dims[d]);
            dims[d] = dim_of(sp->dims[d]);
        }
        ol_dtype elem = ol_dtype_valid(sp->values->data_type) ? (ol_dtype)sp->values->data_type
                                                              : OL_UNDEFINED;
        if (st == OL_OK)
            st = infer_out_tensor_dims(c, 0, elem, (int)sp->n_dims, dims);
    }
    onnx__attribute_proto__free_unpacked(msg, NULL);
    return st;
}

ol_status infer_constant(infer_ctx *c)
{
    const ol_attr *found = NULL;
    for (size_t i = 0; i < sizeof constant_attrs / sizeof *constant_attrs; i++) {
        const ol_attr *a = ol_node_attr(c->node, constant_attrs[i]);
        if (!a)
            continue;
        if (found)
            return infer_fail(c, "has both '%s' and '%s'", found->name, a->name);
        found = a;
    }
    if (!found)
        return infer_fail(c, "has no value attribute");
    const char *name = found->name;
    ol_status st;
    if (strcmp(name, "value") == 0) {
        if (found->type != OL_ATTR_TENSOR || !found->t)
            return infer_fail(c, "attribute 'value' must be a tensor");
        return tensor_type_of(c, found->t);
    }
    if (strcmp(name, "sparse_value") == 0) {
        if (found->type != OL_ATTR_SPARSE_TENSOR)
            return infer_fail(c, "attribute 'sparse_value' must be a sparse tensor");
        return sparse_constant_type(c, found);
    }
    if (strcmp(name, "value_int") == 0) {
        int64_t v;
        if ((st = infer_attr_int(c, name, 0, &v)) != OL_OK)
            return st;
        known_ints k = {.rank = 0, .n = 1, .v = {{.kind = SYM_VALUE, .value = v}}};
        infer_out_set_known(c, 0, &k);
        return infer_out_tensor(c, 0, OL_INT64, 0);
    }
    if (strcmp(name, "value_ints") == 0) {
        const int64_t *v;
        size_t n;
        if ((st = infer_attr_ints(c, name, &v, &n)) != OL_OK)
            return st;
        if (n <= KNOWN_MAX_ELEMS) {
            known_ints k = {.rank = 1, .n = n};
            for (size_t i = 0; i < n; i++)
                k.v[i] = (sym_int){.kind = SYM_VALUE, .value = v[i]};
            infer_out_set_known(c, 0, &k);
        }
        ol_dim d = dim_of((int64_t)n);
        return infer_out_tensor_dims(c, 0, OL_INT64, 1, &d);
    }
    if (strcmp(name, "value_float") == 0) {
        float f;
        return (st = infer_attr_float(c, name, 0, &f)) != OL_OK ? st : infer_out_tensor(c, 0, OL_FLOAT, 0);
    }
    if (strcmp(name, "value_string") == 0) {
        if (found->type != OL_ATTR_STRING)
            return infer_fail(c, "attribute 'value_string' must be a string");
        return infer_out_tensor(c, 0, OL_STRING, 0);
    }
    /* value_floats, value_strings */
    bool floats = strcmp(name, "value_floats") == 0;
    if (found->type != (floats ? OL_ATTR_FLOATS : OL_ATTR_STRINGS))
        return infer_fail(c, "attribute '%s' must be a list of %s", name, floats ? "floats" : "strings");
    ol_dim d = dim_of((int64_t)found->n);
    return infer_out_tensor_dims(c, 0, floats ? OL_FLOAT : OL_STRING, 1, &d);
}

/* The scalar integer a one-element constant tensor holds, if it is one. */
static bool tensor_single_int(const ol_tensor *t, int64_t *v)
{
    int64_t n = ol_tensor_numel(t);
    if (n != 1 || !t->data)
        return false;
    switch (t->dtype) {
    case OL_INT64:
        if (t->nbytes < 8)
            return false;
        memcpy(v, t->data, 8);
        return true;
    case OL_INT32: {
        int32_t x;
        if (t->nbytes < 4)
            return false;
        memcpy(&x, t->data, 4);
        *v = x;
        return true;
    }
    default:
        return false;
    }
}

ol_status infer_constant_of_shape(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    const ol_attr *a = ol_node_attr(c->node, "value");
    if (a && (a->type != OL_ATTR_TENSOR || !a->t))
        return infer_fail(c, "attribute 'value' must be a tensor");
    if (a && ol_tensor_numel(a->t) != 1)
        return infer_fail(c, "attribute 'value' must hold exactly one element");
    ol_dtype elem = a ? a->t->dtype : OL_FLOAT;
    int rs = infer_in_rank(c, 0);
    if (rs > 1)
        return infer_fail(c, "shape input must be 1-D, not rank %d", rs);
    known_ints shape;
    if (!infer_in_known(c, 0, &shape)) {
        bool len_known = rs == 1 && dim_known(&infer_in_dims(c, 0)[0]);
        return infer_out_tensor(c, 0, elem, len_known ? (int)infer_in_dims(c, 0)[0].value : -1);
    }
    ol_dim dims[OL_MAX_RANK];
    for (size_t i = 0; i < shape.n; i++) {
        if (shape.v[i].kind == SYM_VALUE && shape.v[i].value < 0)
            return infer_fail(c, "shape has negative value %lld", (long long)shape.v[i].value);
        dims[i] = infer_dim_from_sym(&shape.v[i]);
    }
    /* A small integer fill (a vector of ones in the Expand idiom) has known contents. */
    int64_t fill = 0;
    bool fill_known = !a || tensor_single_int(a->t, &fill);
    if (fill_known && (!a || elem == OL_INT64 || elem == OL_INT32) && shape.n <= 1) {
        size_t len = shape.n == 0 ? 1 : dim_known(&dims[0]) ? (size_t)dims[0].value : SIZE_MAX;
        if (len <= KNOWN_MAX_ELEMS && a) {
            known_ints k = {.rank = (int)shape.n, .n = len};
            for (size_t i = 0; i < len; i++)
                k.v[i] = (sym_int){.kind = SYM_VALUE, .value = fill};
            infer_out_set_known(c, 0, &k);
        }
    }
    return infer_out_tensor_dims(c, 0, elem, (int)shape.n, dims);
}

/* Range over known integer bounds, or the symbolic arange(0, n, 1). */
static ol_status range_length(infer_ctx *c, ol_dim *len, known_ints *contents, bool *have_contents)
{
    known_ints start, limit, delta;
    *len = dim_unknown();
    *have_contents = false;
    if (infer_in_known(c, 0, &start) && infer_in_known(c, 1, &limit) && infer_in_known(c, 2, &delta) &&
        start.n == 1 && limit.n == 1 && delta.n == 1) {
        const sym_int *s = &start.v[0], *l = &limit.v[0], *d = &delta.v[0];
        if (d->kind == SYM_VALUE && d->value == 0)
            return infer_fail(c, "delta must not be 0");
        if (s->kind == SYM_VALUE && l->kind == SYM_VALUE && d->kind == SYM_VALUE) {
            /* max(ceil((limit - start) / delta), 0), in 128 bits so that no difference overflows */
            __int128 span = (__int128)l->value - s->value, step = d->value;
            __int128 n = span / step + ((span % step != 0) && ((span > 0) == (step > 0)));
            if (n < 0)
                n = 0;
            if (n > INT64_MAX)
                return infer_fail(c, "range length overflows int64");
            *len = dim_of((int64_t)n);
            if (n <= KNOWN_MAX_ELEMS) {
                contents->rank = 1;
                contents->n = (size_t)n;
                for (int64_t i = 0; i < (int64_t)n; i++)
                    contents->v[i] = (sym_int){.kind = SYM_VALUE, .value = s->value + i * d->value};
                *have_contents = true;
            }
        } else if (s->kind == SYM_VALUE && s->value == 0 && d->kind == SYM_VALUE && d->value == 1 &&
                   l->kind == SYM_PARAM) {
            *len = infer_dim_from_sym(l);
        }
        return OL_OK;
    }
    double fs, fl, fd;
    size_t n;
    if (infer_in_const_floats(c, 0, &fs, 1, &n) && n == 1 &&
        infer_in_const_floats(c, 1, &fl, 1, &n) && n == 1 &&
        infer_in_const_floats(c, 2, &fd, 1, &n) && n == 1) {
        if (fd == 0)
            return infer_fail(c, "delta must not be 0");
        double count = ceil((fl - fs) / fd);
        if (!(count < 9.2e18))
            return infer_fail(c, "range length overflows int64");
        *len = dim_of(count > 0 ? (int64_t)count : 0);
    }
    return OL_OK;
}

ol_status infer_range(infer_ctx *c)
{
    ol_status st;
    size_t idx[3] = {0, 1, 2};
    for (size_t i = 0; i < 3; i++)
        if ((st = infer_in_require(c, i)) != OL_OK)
            return st;
    for (size_t i = 0; i < 3; i++)
        if (infer_in_rank(c, i) > 1 || (infer_in_rank(c, i) == 1 && dim_known(&infer_in_dims(c, i)[0]) &&
                                        infer_in_dims(c, i)[0].value != 1))
            return infer_fail(c, "input %zu must be a scalar", i);
    ol_dtype elem;
    if ((st = infer_common_elem(c, idx, 3, &elem)) != OL_OK)
        return st;
    ol_dim len;
    known_ints contents;
    bool have_contents;
    if ((st = range_length(c, &len, &contents, &have_contents)) != OL_OK)
        return st;
    if (have_contents)
        infer_out_set_known(c, 0, &contents);
    return infer_out_tensor_dims(c, 0, elem, 1, &len);
}

/* dtype attribute when set, else `fallback`. */
static ol_status dtype_attr(infer_ctx *c, ol_dtype fallback, ol_dtype *out)
{
    int64_t dt;
    *out = fallback;
    ol_status st = infer_attr_int(c, "dtype", 0, &dt);
    if (st != OL_OK)
        return st;
    if (!ol_node_attr(c->node, "dtype")) {
        *out = fallback;
        return OL_OK;
    }
    if (dt <= OL_UNDEFINED || dt >= OL_DTYPE_COUNT)
        return infer_fail(c, "dtype %lld is not a data type", (long long)dt);
    *out = (ol_dtype)dt;
    return OL_OK;
}

ol_status infer_eye_like(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    int r = infer_in_rank(c, 0);
    if (r >= 0 && r != 2)
        return infer_fail(c, "input must be 2-D, not rank %d", r);
    ol_dtype elem;
    if ((st = dtype_attr(c, infer_in_elem(c, 0), &elem)) != OL_OK)
        return st;
    return infer_out_like_input(c, 0, 0, elem);
}

ol_status infer_random_like(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    ol_dtype elem;
    if ((st = dtype_attr(c, infer_in_elem(c, 0), &elem)) != OL_OK)
        return st;
    return infer_out_like_input(c, 0, 0, elem);
}

ol_status infer_random(infer_ctx *c)
{
    ol_status st;
    ol_dtype elem;
    const int64_t *shape;
    size_t n;
    if ((st = dtype_attr(c, OL_FLOAT, &elem)) != OL_OK ||
        (st = infer_attr_ints(c, "shape", &shape, &n)) != OL_OK)
        return st;
    if (!shape)
        return infer_fail(c, "attribute 'shape' is required");
    if (n > OL_MAX_RANK)
        return infer_fail(c, "attribute 'shape' has %zu dims", n);
    ol_dim dims[OL_MAX_RANK];
    for (size_t i = 0; i < n; i++) {
        if (shape[i] < 0)
            return infer_fail(c, "attribute 'shape' has negative dim %lld", (long long)shape[i]);
        dims[i] = dim_of(shape[i]);
    }
    return infer_out_tensor_dims(c, 0, elem, (int)n, dims);
}

ol_status infer_sequence_length(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    return st != OL_OK ? st : infer_out_tensor(c, 0, OL_INT64, 0);
}
