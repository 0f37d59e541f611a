/* Tensors (owned and borrowed storage, copy on write, cloning, equality, size limits), blobs, element
 * types and value types. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "ir_builders.h"

/* ---- dtypes ---- */

Test(ir_dtype, bits_and_names)
{
    cr_assert_eq(ol_dtype_bits(OL_FLOAT), 32);
    cr_assert_eq(ol_dtype_bits(OL_DOUBLE), 64);
    cr_assert_eq(ol_dtype_bits(OL_BOOL), 8);
    cr_assert_eq(ol_dtype_bits(OL_COMPLEX128), 128);
    cr_assert_eq(ol_dtype_bits(OL_BFLOAT16), 16);
    cr_assert_eq(ol_dtype_bits(OL_FLOAT8E5M2), 8);
    cr_assert_eq(ol_dtype_bits(OL_INT4), 4);
    cr_assert_eq(ol_dtype_bits(OL_UINT4), 4);
    cr_assert_eq(ol_dtype_bits(OL_FLOAT4E2M1), 4);
    cr_assert_eq(ol_dtype_bits(OL_UINT2), 2);
    cr_assert_eq(ol_dtype_bits(OL_INT2), 2);
    cr_assert_eq(ol_dtype_bits(OL_FLOAT6E2M3), 6);
    cr_assert_eq(ol_dtype_bits(OL_FLOAT6E3M2), 6);
    cr_assert_eq(ol_dtype_bits(OL_STRING), 0);
    cr_assert_eq(ol_dtype_bits(OL_UNDEFINED), 0);
    cr_assert_eq(ol_dtype_bits((ol_dtype)999), 0);
    cr_assert_eq(ol_dtype_bits((ol_dtype)-1), 0);
    cr_assert_str_eq(ol_dtype_name(OL_FLOAT), "float32");
    cr_assert_str_eq(ol_dtype_name(OL_INT64), "int64");
    cr_assert_str_eq(ol_dtype_name(OL_FLOAT6E3M2), "float6e3m2");
    cr_assert_str_eq(ol_dtype_name((ol_dtype)OL_DTYPE_COUNT), "unknown");
    cr_assert_str_eq(ol_dtype_name((ol_dtype)-5), "unknown");
    /* Every code of the enum has a name and, strings aside, a size. */
    for (int d = 1; d < OL_DTYPE_COUNT; d++) {
        cr_assert(ol_dtype_valid(d));
        cr_assert_str_neq(ol_dtype_name((ol_dtype)d), "unknown", "dtype %d", d);
        if (d != OL_STRING)
            cr_assert_gt(ol_dtype_bits((ol_dtype)d), 0, "dtype %d", d);
    }
    cr_assert(!ol_dtype_valid(0));
    cr_assert(!ol_dtype_valid(OL_DTYPE_COUNT));
    cr_assert(!ol_dtype_valid(-1));
}

Test(ir_dtype, storage_bytes_round_sub_byte_types_up)
{
    cr_assert_eq(ol_dtype_storage_bytes(OL_FLOAT, 3), 12);
    cr_assert_eq(ol_dtype_storage_bytes(OL_COMPLEX64, 2), 16);
    cr_assert_eq(ol_dtype_storage_bytes(OL_INT4, 0), 0);
    cr_assert_eq(ol_dtype_storage_bytes(OL_INT4, 1), 1);
    cr_assert_eq(ol_dtype_storage_bytes(OL_INT4, 2), 1);
    cr_assert_eq(ol_dtype_storage_bytes(OL_INT4, 3), 2);
    cr_assert_eq(ol_dtype_storage_bytes(OL_UINT2, 4), 1);
    cr_assert_eq(ol_dtype_storage_bytes(OL_UINT2, 5), 2);
    cr_assert_eq(ol_dtype_storage_bytes(OL_FLOAT6E2M3, 4), 3);   /* 24 bits */
    cr_assert_eq(ol_dtype_storage_bytes(OL_FLOAT6E2M3, 5), 4);   /* 30 bits */
    /* No fixed size, negative counts and overflow all answer SIZE_MAX. */
    cr_assert_eq(ol_dtype_storage_bytes(OL_STRING, 1), SIZE_MAX);
    cr_assert_eq(ol_dtype_storage_bytes(OL_UNDEFINED, 1), SIZE_MAX);
    cr_assert_eq(ol_dtype_storage_bytes(OL_FLOAT, -1), SIZE_MAX);
    cr_assert_eq(ol_dtype_storage_bytes(OL_FLOAT, INT64_MAX), SIZE_MAX);
    cr_assert_eq(ol_dtype_storage_bytes(OL_COMPLEX128, (int64_t)(SIZE_MAX / 16)), SIZE_MAX);
    cr_assert_eq(ol_dtype_storage_bytes(OL_UINT8, (int64_t)1 << 40), (size_t)1 << 40);
}

/* ---- tensors ---- */

Test(ir_tensor, create_zero_filled)
{
    ol_tensor *t = ol_tensor_create(OL_INT32, IRB_DIMS(2, 3), &irb_err);
    cr_assert(t, "%s", irb_err.message);
    cr_assert_eq(t->rank, 2);
    cr_assert_eq(t->dims[0], 2);
    cr_assert_eq(t->dims[1], 3);
    cr_assert_eq(ol_tensor_numel(t), 6);
    cr_assert_eq(t->nbytes, 24);
    cr_assert_null(t->owner);
    cr_assert_null(t->name);
    const int32_t zeros[6] = {0};
    cr_assert_arr_eq(t->data, zeros, sizeof zeros);
    /* Owned data is written in place. */
    int32_t *data = ol_tensor_mutable_data(t, &irb_err);
    cr_assert_eq((const void *)data, t->data);
    data[5] = 7;
    cr_assert_eq(((const int32_t *)t->data)[5], 7);
    ol_tensor_destroy(t);
    ol_tensor_destroy(NULL);
}

Test(ir_tensor, scalars_empty_and_sub_byte)
{
    ol_tensor *scalar = ol_tensor_create(OL_DOUBLE, 0, NULL, &irb_err);
    cr_assert(scalar);
    cr_assert_eq(ol_tensor_numel(scalar), 1);
    cr_assert_eq(scalar->nbytes, 8);
    ol_tensor *empty = ol_tensor_create(OL_FLOAT, IRB_DIMS(3, 0), &irb_err);
    cr_assert(empty);
    cr_assert_eq(ol_tensor_numel(empty), 0);
    cr_assert_eq(empty->nbytes, 0);
    cr_assert_not_null(empty->data);   /* no data never means "empty" */
    ol_tensor *int4 = ol_tensor_create(OL_INT4, IRB_DIMS(3), &irb_err);
    cr_assert_eq(int4->nbytes, 2);
    ol_tensor *uint2 = ol_tensor_create(OL_UINT2, IRB_DIMS(5), &irb_err);
    cr_assert_eq(uint2->nbytes, 2);
    ol_tensor *f6 = ol_tensor_create(OL_FLOAT6E3M2, IRB_DIMS(2, 2), &irb_err);
    cr_assert_eq(f6->nbytes, 3);
    ol_tensor *strings = ol_tensor_create(OL_STRING, IRB_DIMS(2), &irb_err);
    cr_assert_eq(strings->n_strings, 2);
    cr_assert_eq(strings->nbytes, 0);
    cr_assert_null(ol_tensor_mutable_data(strings, &irb_err));
    cr_assert_eq(irb_err.status, OL_ERR_ARG);
    ol_tensor_destroy(scalar);
    ol_tensor_destroy(empty);
    ol_tensor_destroy(int4);
    ol_tensor_destroy(uint2);
    ol_tensor_destroy(f6);
    ol_tensor_destroy(strings);
}

Test(ir_tensor, refuses_bad_shapes)
{
    ol_error err = {0};
    cr_assert_null(ol_tensor_create(OL_FLOAT, IRB_DIMS(2, -1), &err));
    cr_assert_eq(err.status, OL_ERR_INVALID);
    cr_assert_str_eq(err.message, "tensor dimension 1 is negative (-1)");

    /* The element count overflows int64. */
    ol_error_clear(&err);
    cr_assert_null(ol_tensor_create(OL_FLOAT, IRB_DIMS(INT64_MAX, 2), &err));
    cr_assert_eq(err.status, OL_ERR_INVALID);
    cr_assert(strstr(err.message, "too large"), "%s", err.message);

    /* The count fits but the byte size does not. */
    ol_error_clear(&err);
    cr_assert_null(ol_tensor_create(OL_DOUBLE, IRB_DIMS((int64_t)1 << 31, (int64_t)1 << 31), &err));
    cr_assert_eq(err.status, OL_ERR_INVALID);

    ol_error_clear(&err);
    cr_assert_null(ol_tensor_create(OL_UNDEFINED, IRB_DIMS(1), &err));
    cr_assert_eq(err.status, OL_ERR_INVALID);

    ol_error_clear(&err);
    int64_t dims[OL_MAX_RANK + 1];
    for (int i = 0; i <= OL_MAX_RANK; i++)
        dims[i] = 1;
    cr_assert_null(ol_tensor_create(OL_FLOAT, OL_MAX_RANK + 1, dims, &err));
    cr_assert_str_eq(err.message, "tensor rank 65 is out of range (0..64)");
    ol_tensor *max_rank = ol_tensor_create(OL_FLOAT, OL_MAX_RANK, dims, &err);
    cr_assert_not_null(max_rank);
    ol_tensor_destroy(max_rank);

    ol_error_clear(&err);
    cr_assert_null(ol_tensor_create(OL_FLOAT, -1, NULL, &err));
    cr_assert_eq(err.status, OL_ERR_INVALID);
}

Test(ir_tensor, numel_overflow_reports_minus_one)
{
    /* A tensor whose dims were edited after creation: numel must not wrap around. */
    ol_tensor *t = ol_tensor_create(OL_UINT8, IRB_DIMS(1, 1, 1), &irb_err);
    t->dims[0] = INT64_MAX / 2;
    t->dims[1] = 3;
    cr_assert_eq(ol_tensor_numel(t), -1);
    t->dims[1] = 2;
    cr_assert_eq(ol_tensor_numel(t), INT64_MAX - 1);
    ol_tensor_destroy(t);
}

/* Release callbacks count calls, so the tests see exactly when shared memory is given back. */
static int releases;
static void *released_base;

static void count_release(void *base, size_t size)
{
    (void)size;
    releases++;
    released_base = base;
}

Test(ir_tensor, borrowed_clone_and_copy_on_write)
{
    static float weights[4] = {1, 2, 3, 4};
    releases = 0;
    ol_blob *blob = ol_blob_create(weights, sizeof weights, count_release);
    cr_assert(blob);

    ol_tensor *t = ol_tensor_create_borrowed(OL_FLOAT, IRB_DIMS(2, 2), weights, sizeof weights, blob,
                                             &irb_err);
    cr_assert(t, "%s", irb_err.message);
    /* The tensor holds its own reference: dropping ours does not release the memory. */
    ol_blob_release(blob);
    cr_assert_eq(releases, 0);
    cr_assert_eq(t->owner, blob);
    cr_assert_eq(t->data, (const void *)weights);

    cr_assert_eq(ol_tensor_set_name(t, "w"), 0);
    ol_tensor *clone = ol_tensor_clone(t, &irb_err);
    cr_assert(clone);
    /* Cloning shares borrowed bytes (no copy) and copies the name. */
    cr_assert_eq(clone->data, (const void *)weights);
    cr_assert_eq(clone->owner, blob);
    cr_assert_str_eq(clone->name, "w");
    cr_assert_neq(clone->name, t->name);
    cr_assert(ol_tensor_equal(t, clone));

    /* Writing to the clone copies its data first; the shared bytes stay untouched. */
    float *data = ol_tensor_mutable_data(clone, &irb_err);
    cr_assert(data);
    cr_assert_neq((void *)data, (void *)weights);
    cr_assert_null(clone->owner);
    cr_assert_eq(releases, 0);   /* t still borrows */
    data[0] = 100;
    cr_assert_float_eq(weights[0], 1.0f, 0);
    cr_assert(!ol_tensor_equal(t, clone));
    /* A second call returns the same, now owned, buffer. */
    cr_assert_eq(ol_tensor_mutable_data(clone, &irb_err), data);

    ol_tensor_destroy(clone);
    cr_assert_eq(releases, 0);
    ol_tensor_destroy(t);
    cr_assert_eq(releases, 1);
    cr_assert_eq(released_base, (void *)weights);
}

Test(ir_tensor, copy_on_write_releases_the_last_reference)
{
    static uint8_t bytes[3] = {9, 8, 7};
    releases = 0;
    ol_blob *blob = ol_blob_create(bytes, sizeof bytes, count_release);
    ol_tensor *t = ol_tensor_create_borrowed(OL_UINT8, IRB_DIMS(3), bytes, 3, blob, &irb_err);
    ol_blob_release(blob);
    uint8_t *data = ol_tensor_mutable_data(t, &irb_err);
    /* The only borrower went owned, so the blob is released right there. */
    cr_assert_eq(releases, 1);
    cr_assert_arr_eq(data, ((uint8_t[]){9, 8, 7}), 3);
    ol_tensor_destroy(t);
    cr_assert_eq(releases, 1);
}

Test(ir_tensor, borrowed_size_must_match_shape)
{
    static float weights[4];
    releases = 0;
    ol_blob *blob = ol_blob_create(weights, sizeof weights, count_release);
    ol_error err = {0};
    cr_assert_null(ol_tensor_create_borrowed(OL_FLOAT, IRB_DIMS(3), weights, sizeof weights, blob, &err));
    cr_assert_eq(err.status, OL_ERR_INVALID);
    cr_assert_str_eq(err.message, "tensor data has 16 bytes but its shape needs 12");
    /* No reference was taken on failure. */
    ol_blob_release(blob);
    cr_assert_eq(releases, 1);
}

Test(ir_tensor, blob_refcount)
{
    releases = 0;
    ol_blob *blob = ol_blob_create(NULL, 0, count_release);
    cr_assert_eq(ol_blob_retain(blob), blob);
    cr_assert_eq(ol_blob_retain(blob), blob);
    ol_blob_release(blob);
    ol_blob_release(blob);
    cr_assert_eq(releases, 0);
    ol_blob_release(blob);
    cr_assert_eq(releases, 1);
    /* NULL is accepted everywhere, and a blob may have no release callback. */
    cr_assert_null(ol_blob_retain(NULL));
    ol_blob_release(NULL);
    ol_blob_release(ol_blob_create(NULL, 0, NULL));
}

Test(ir_tensor, clone_owned_and_strings)
{
    ol_tensor *t = ol_tensor_create(OL_INT64, IRB_DIMS(3), &irb_err);
    int64_t *d = ol_tensor_mutable_data(t, &irb_err);
    d[0] = -1;
    d[2] = INT64_MAX;
    t->extras = (ol_bytes){.data = (uint8_t *)strdup("xy"), .size = 2};
    ol_tensor *c = ol_tensor_clone(t, &irb_err);
    cr_assert(c);
    cr_assert_neq(c->data, t->data);
    cr_assert(ol_tensor_equal(t, c));
    cr_assert_eq(c->extras.size, 2);
    cr_assert_neq(c->extras.data, t->extras.data);
    cr_assert(memcmp(c->extras.data, "xy", 2) == 0);
    cr_assert_null(c->name);
    ol_tensor_destroy(t);
    ol_tensor_destroy(c);

    ol_tensor *s = ol_tensor_create(OL_STRING, IRB_DIMS(2), &irb_err);
    /* Strings are byte strings: NULs inside are data. */
    s->strings[0] = (ol_bytes){.data = malloc(3), .size = 3};
    memcpy(s->strings[0].data, "a\0b", 3);
    ol_tensor *sc = ol_tensor_clone(s, &irb_err);
    cr_assert(sc);
    cr_assert_eq(sc->n_strings, 2);
    cr_assert_eq(sc->strings[0].size, 3);
    cr_assert_neq(sc->strings[0].data, s->strings[0].data);
    cr_assert_eq(sc->strings[1].size, 0);
    cr_assert(ol_tensor_equal(s, sc));
    sc->strings[0].data[2] = 'c';
    cr_assert(!ol_tensor_equal(s, sc));
    ol_tensor_destroy(s);
    ol_tensor_destroy(sc);
}

Test(ir_tensor, equal_compares_dtype_dims_and_bytes_not_names)
{
    ol_tensor *a = ol_tensor_create(OL_FLOAT, IRB_DIMS(2, 3), &irb_err);
    ol_tensor *b = ol_tensor_create(OL_FLOAT, IRB_DIMS(2, 3), &irb_err);
    ol_tensor *reshaped = ol_tensor_create(OL_FLOAT, IRB_DIMS(3, 2), &irb_err);
    ol_tensor *flat = ol_tensor_create(OL_FLOAT, IRB_DIMS(6), &irb_err);
    ol_tensor *ints = ol_tensor_create(OL_INT32, IRB_DIMS(2, 3), &irb_err);
    cr_assert_eq(ol_tensor_set_name(a, "a"), 0);
    cr_assert_eq(ol_tensor_set_name(b, "b"), 0);
    cr_assert(ol_tensor_equal(a, b));
    cr_assert(!ol_tensor_equal(a, reshaped));
    cr_assert(!ol_tensor_equal(a, flat));
    cr_assert(!ol_tensor_equal(a, ints));   /* same bytes, other dtype */
    ((float *)ol_tensor_mutable_data(b, &irb_err))[5] = 1.0f;
    cr_assert(!ol_tensor_equal(a, b));
    /* Naming: NULL clears the name. */
    cr_assert_eq(ol_tensor_set_name(a, NULL), 0);
    cr_assert_null(a->name);
    ol_tensor *empty1 = ol_tensor_create(OL_FLOAT, IRB_DIMS(0), &irb_err);
    ol_tensor *empty2 = ol_tensor_create(OL_FLOAT, IRB_DIMS(0), &irb_err);
    cr_assert(ol_tensor_equal(empty1, empty2));
    ol_tensor *tensors[] = {a, b, reshaped, flat, ints, empty1, empty2};
    for (size_t i = 0; i < sizeof tensors / sizeof *tensors; i++)
        ol_tensor_destroy(tensors[i]);
}

/* ---- types ---- */

Test(ir_type, set_copy_equal_static)
{
    ol_type a = {.rank = -1}, b = {.rank = -1};
    cr_assert(!ol_type_is_static(&a));   /* unknown */
    cr_assert(ol_type_equal(&a, &b));
    cr_assert_eq(ol_type_set_tensor(&a, OL_FLOAT, IRB_DIMS(1, 3, 224, 224)), 0);
    cr_assert(ol_type_is_static(&a));
    cr_assert_eq(a.kind, OL_TYPE_TENSOR);
    cr_assert_eq(a.rank, 4);
    cr_assert_eq(a.dims[3].value, 224);
    cr_assert_null(a.dims[3].param);
    cr_assert(!ol_type_equal(&a, &b));

    /* A symbolic batch dim: not static, and copies keep the symbol. */
    a.dims[0].value = -1;
    a.dims[0].param = strdup("batch");
    cr_assert(!ol_type_is_static(&a));
    cr_assert_eq(ol_type_copy(&b, &a), 0);
    cr_assert(ol_type_equal(&a, &b));
    cr_assert_str_eq(b.dims[0].param, "batch");
    cr_assert_neq(b.dims[0].param, a.dims[0].param);
    cr_assert_neq(b.dims, a.dims);
    free(b.dims[0].param);
    b.dims[0].param = strdup("N");
    cr_assert(!ol_type_equal(&a, &b));
    free(b.dims[0].param);
    b.dims[0].param = NULL;   /* unknown dim without a symbol differs from a named one */
    cr_assert(!ol_type_equal(&a, &b));

    /* Copy replaces whatever the destination held (ASan checks the old dims are freed). */
    cr_assert_eq(ol_type_copy(&b, &a), 0);
    cr_assert(ol_type_equal(&a, &b));

    ol_type c = {.rank = -1};
    cr_assert_eq(ol_type_set_tensor(&c, OL_INT64, IRB_DIMS(1, 3, 224, 224)), 0);
    c.dims[0].value = -1;
    c.dims[0].param = strdup("batch");
    cr_assert(!ol_type_equal(&a, &c));   /* element type differs */

    ol_type_clear(&a);
    cr_assert_eq(a.kind, OL_TYPE_UNKNOWN);
    cr_assert_eq(a.rank, -1);
    cr_assert_null(a.dims);
    ol_type_clear(&b);
    ol_type_clear(&c);
}

Test(ir_type, scalars_unknown_dims_and_unknown_rank)
{
    ol_type scalar = {.rank = -1}, unknown_dims = {.rank = -1}, unranked = {.rank = -1};
    cr_assert_eq(ol_type_set_tensor(&scalar, OL_BOOL, 0, NULL), 0);
    cr_assert(ol_type_is_static(&scalar));
    cr_assert_null(scalar.dims);
    /* NULL dims with a rank: every dim unknown. */
    cr_assert_eq(ol_type_set_tensor(&unknown_dims, OL_FLOAT, 2, NULL), 0);
    cr_assert_eq(unknown_dims.dims[0].value, -1);
    cr_assert_eq(unknown_dims.dims[1].value, -1);
    cr_assert(!ol_type_is_static(&unknown_dims));
    cr_assert_eq(ol_type_set_tensor(&unranked, OL_FLOAT, -1, NULL), 0);
    cr_assert(!ol_type_is_static(&unranked));
    cr_assert(!ol_type_equal(&unranked, &unknown_dims));
    ol_type copy = {.rank = -1};
    cr_assert_eq(ol_type_copy(&copy, &scalar), 0);
    cr_assert(ol_type_equal(&copy, &scalar));
    ol_type_clear(&scalar);
    ol_type_clear(&unknown_dims);
    ol_type_clear(&unranked);
    ol_type_clear(&copy);
}

Test(ir_type, other_kinds_compare_their_packed_bytes)
{
    ol_type a = {.kind = OL_TYPE_OTHER, .rank = -1}, b = {.rank = -1};
    a.opaque = (ol_bytes){.data = (uint8_t *)strdup("\x0a\x02seq"), .size = 5};
    cr_assert_eq(ol_type_copy(&b, &a), 0);
    cr_assert_eq(b.kind, OL_TYPE_OTHER);
    cr_assert_eq(b.opaque.size, 5);
    cr_assert_neq(b.opaque.data, a.opaque.data);
    cr_assert(ol_type_equal(&a, &b));
    cr_assert(!ol_type_is_static(&a));
    b.opaque.data[4] = 'x';
    cr_assert(!ol_type_equal(&a, &b));
    ol_type_clear(&a);
    ol_type_clear(&b);
}
