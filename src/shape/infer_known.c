/* The side tables of one inference run: the known contents of integer values computed from shapes
 * (keyed by value), and the pool that owns the dimension names those contents refer to. Keeping the
 * names in a pool means a contents entry stays valid however the types it came from change later. */
#include <stdlib.h>
#include <string.h>

#include "shape/infer_internal.h"

typedef struct known_slot {
    const ol_value *key;
    known_ints *contents;
} known_slot;

struct known_map {
    known_slot *slots;
    size_t cap;    /* a power of two, or 0 */
    size_t count;
};

known_map *infer_known_map_create(void)
{
    return calloc(1, sizeof(known_map));
}

void infer_known_map_destroy(known_map *map)
{
    if (!map)
        return;
    for (size_t i = 0; i < map->cap; i++)
        free(map->slots[i].contents);
    free(map->slots);
    free(map);
}

static size_t pointer_hash(const void *p)
{
    uintptr_t x = (uintptr_t)p;
    x ^= x >> 17;
    x *= (uintptr_t)0x9E3779B97F4A7C15ull;
    x ^= x >> 29;
    return (size_t)x;
}

static known_slot *find_slot(known_slot *slots, size_t cap, const ol_value *key)
{
    size_t i = pointer_hash(key) & (cap - 1);
    while (slots[i].key && slots[i].key != key)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

const known_ints *infer_known_map_get(const known_map *map, const ol_value *value)
{
    if (!map || map->cap == 0)
        return NULL;
    known_slot *slot = find_slot(map->slots, map->cap, value);
    return slot->key ? slot->contents : NULL;
}

static bool grow(known_map *map)
{
    size_t cap = map->cap ? map->cap * 2 : 64;
    known_slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < map->cap; i++)
        if (map->slots[i].key)
            *find_slot(slots, cap, map->slots[i].key) = map->slots[i];
    free(map->slots);
    map->slots = slots;
    map->cap = cap;
    return true;
}

bool infer_known_map_put(known_map *map, const ol_value *value, const known_ints *contents)
{
    if ((map->count + 1) * 2 > map->cap && !grow(map))
        return false;
    known_slot *slot = find_slot(map->slots, map->cap, value);
    if (!slot->contents && !(slot->contents = malloc(sizeof *slot->contents)))
        return false;
    if (!slot->key) {
        slot->key = value;
        map->count++;
    }
    *slot->contents = *contents;
    return true;
}

/* ---------------------------------------------------------------------------------------------- */

/* Models name few distinct dimensions, so a list searched linearly is enough. */
struct string_pool {
    char **items;
    size_t count, cap;
};

string_pool *infer_string_pool_create(void)
{
    return calloc(1, sizeof(string_pool));
}

void infer_string_pool_destroy(string_pool *pool)
{
    if (!pool)
        return;
    for (size_t i = 0; i < pool->count; i++)
        free(pool->items[i]);
    free(pool->items);
    free(pool);
}

const char *infer_string_pool_intern(string_pool *pool, const char *s)
{
    for (size_t i = pool->count; i-- > 0;)
        if (strcmp(pool->items[i], s) == 0)
            return pool->items[i];
    if (pool->count == pool->cap) {
        size_t cap = pool->cap ? pool->cap * 2 : 16;
        char **items = realloc(pool->items, cap * sizeof *items);
        if (!items)
            return NULL;
        pool->items = items;
        pool->cap = cap;
    }
    char *copy = strdup(s);
    if (!copy)
        return NULL;
    pool->items[pool->count++] = copy;
    return copy;
}

/* ---------------------------------------------------------------------------------------------- */
/* Reading constants. */

static bool dtype_is_integer(ol_dtype t)
{
    switch (t) {
    case OL_INT8: case OL_UINT8: case OL_INT16: case OL_UINT16: case OL_INT32: case OL_UINT32:
    case OL_INT64: case OL_UINT64: case OL_BOOL:
        return true;
    default:
        return false;
    }
}

/* Element i of a little-endian integer tensor whose data size was checked by the caller. */
static int64_t read_int_element(const ol_tensor *t, size_t i)
{
    const uint8_t *p = (const uint8_t *)t->data + i * (ol_dtype_bits(t->dtype) / 8);
    switch (t->dtype) {
    case OL_INT8: return (int8_t)p[0];
    case OL_UINT8: case OL_BOOL: return p[0];
    case OL_INT16: { int16_t v; memcpy(&v, p, 2); return v; }
    case OL_UINT16: { uint16_t v; memcpy(&v, p, 2); return v; }
    case OL_INT32: { int32_t v; memcpy(&v, p, 4); return v; }
    case OL_UINT32: { uint32_t v; memcpy(&v, p, 4); return v; }
    case OL_UINT64: { uint64_t v; memcpy(&v, p, 8); return v > INT64_MAX ? -1 : (int64_t)v; }
    default: { int64_t v; memcpy(&v, p, 8); return v; }
    }
}

/* Element count of a constant whose data really holds that many elements, or -1. */
static int64_t checked_numel(const ol_tensor *t)
{
    if (t->rank < 0 || t->rank > OL_MAX_RANK || (t->rank > 0 && !t->dims))
        return -1;
    int64_t n = 1;
    for (int i = 0; i < t->rank; i++)
        if (t->dims[i] < 0 || __builtin_mul_overflow(n, t->dims[i], &n))
            return -1;
    size_t need = ol_dtype_storage_bytes(t->dtype, n);
    if (need == SIZE_MAX || (n > 0 && (!t->data || t->nbytes < need)))
        return -1;
    return n;
}

bool infer_in_const_ints(const infer_ctx *c, size_t i, int64_t *values, size_t max, size_t *n)
{
    const ol_value *v = infer_in_value(c, i);
    const ol_tensor *t = v ? ol_value_constant(v) : NULL;
    if (!t || !dtype_is_integer(t->dtype) || t->dtype == OL_UINT64)
        return false;
    int64_t count = checked_numel(t);
    if (count < 0 || (uint64_t)count > max)
        return false;
    for (int64_t k = 0; k < count; k++)
        values[k] = read_int_element(t, (size_t)k);
    *n = (size_t)count;
    return true;
}

bool infer_in_const_floats(const infer_ctx *c, size_t i, double *values, size_t max, size_t *n)
{
    const ol_value *v = infer_in_value(c, i);
    const ol_tensor *t = v ? ol_value_constant(v) : NULL;
    if (!t || (t->dtype != OL_FLOAT && t->dtype != OL_DOUBLE))
        return false;
    int64_t count = checked_numel(t);
    if (count < 0 || (uint64_t)count > max)
        return false;
    for (int64_t k = 0; k < count; k++) {
        if (t->dtype == OL_FLOAT) {
            float f;
            memcpy(&f, (const uint8_t *)t->data + k * 4, 4);
            values[k] = f;
        } else {
            memcpy(&values[k], (const uint8_t *)t->data + k * 8, 8);
        }
    }
    *n = (size_t)count;
    return true;
}

bool infer_in_known(const infer_ctx *c, size_t i, known_ints *out)
{
    const ol_value *v = infer_in_value(c, i);
    if (!v)
        return false;
    for (const ol_value *scope = v; scope; scope = scope->outer) {
        const known_ints *k = infer_known_map_get(c->session->known, scope);
        if (k) {
            *out = *k;
            return true;
        }
    }
    const ol_tensor *t = ol_value_constant(v);
    if (!t || t->rank > 1)
        return false;
    int64_t values[KNOWN_MAX_ELEMS];
    size_t n;
    if (!infer_in_const_ints(c, i, values, KNOWN_MAX_ELEMS, &n))
        return false;
    out->rank = t->rank;
    out->n = n;
    for (size_t k = 0; k < n; k++)
        out->v[k] = (sym_int){.kind = SYM_VALUE, .value = values[k]};
    return true;
}

bool infer_in_known_partial(const infer_ctx *c, size_t i, known_ints *out)
{
    if (infer_in_known(c, i, out))
        return true;
    ol_dtype e = infer_in_elem(c, i);
    if (e != OL_INT64 && e != OL_INT32 && e != OL_BOOL)
        return false;
    int r = infer_in_rank(c, i);
    int64_t n;
    if (r == 0)
        n = 1;
    else if (r == 1 && dim_known(&infer_in_dims(c, i)[0]))
        n = infer_in_dims(c, i)[0].value;
    else
        return false;
    if (n > KNOWN_MAX_ELEMS)
        return false;
    out->rank = r;
    out->n = (size_t)n;
    for (int64_t k = 0; k < n; k++)
        out->v[k] = (sym_int){.kind = SYM_UNKNOWN, .value = -1};
    return true;
}

void infer_out_set_known(infer_ctx *c, size_t o, const known_ints *contents)
{
    if (o < c->node->n_outputs) {
        c->out_known[o] = *contents;
        c->out_has_known[o] = true;
    }
}

sym_int infer_sym_from_dim(infer_ctx *c, const ol_dim *d)
{
    if (dim_known(d))
        return (sym_int){.kind = SYM_VALUE, .value = d->value};
    if (d->param) {
        const char *name = infer_string_pool_intern(c->session->pool, d->param);
        if (name)
            return (sym_int){.kind = SYM_PARAM, .value = -1, .param = name};
    }
    return (sym_int){.kind = SYM_UNKNOWN, .value = -1};
}

ol_dim infer_dim_from_sym(const sym_int *s)
{
    if (s->kind == SYM_VALUE && s->value >= 0)
        return dim_of(s->value);
    if (s->kind == SYM_PARAM)
        return (ol_dim){.value = -1, .param = (char *)s->param};
    return dim_unknown();
}
