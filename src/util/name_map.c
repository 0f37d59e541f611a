#include "util/name_map.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct slot {
    const char *key;   /* NULL: empty; TOMBSTONE: removed */
    void *value;
} slot;

static const char TOMBSTONE_KEY[1];
#define TOMBSTONE (TOMBSTONE_KEY)

struct ol_name_map {
    slot *slots;
    size_t cap;     /* power of two */
    size_t count;   /* live keys */
    size_t used;    /* live keys + tombstones */
};

static uint64_t hash_string(const char *s)
{
    uint64_t h = 1469598103934665603ull;   /* FNV-1a: short names, good enough spread */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

ol_name_map *ol_name_map_create(void)
{
    ol_name_map *map = calloc(1, sizeof *map);
    if (!map)
        return NULL;
    map->cap = 16;
    map->slots = calloc(map->cap, sizeof *map->slots);
    if (!map->slots) {
        free(map);
        return NULL;
    }
    return map;
}

void ol_name_map_destroy(ol_name_map *map)
{
    if (map) {
        free(map->slots);
        free(map);
    }
}

static slot *find_slot(const ol_name_map *map, const char *key)
{
    size_t mask = map->cap - 1;
    for (size_t i = hash_string(key) & mask;; i = (i + 1) & mask) {
        slot *s = &map->slots[i];
        if (!s->key)
            return NULL;
        if (s->key != TOMBSTONE && strcmp(s->key, key) == 0)
            return s;
    }
}

void *ol_name_map_get(const ol_name_map *map, const char *key)
{
    slot *s = find_slot(map, key);
    return s ? s->value : NULL;
}

static bool grow(ol_name_map *map)
{
    size_t new_cap = map->count * 4 > map->cap ? map->cap * 2 : map->cap;
    slot *new_slots = calloc(new_cap, sizeof *new_slots);
    if (!new_slots)
        return false;
    for (size_t i = 0; i < map->cap; i++) {
        slot *s = &map->slots[i];
        if (!s->key || s->key == TOMBSTONE)
            continue;
        size_t mask = new_cap - 1, j = hash_string(s->key) & mask;
        while (new_slots[j].key)
            j = (j + 1) & mask;
        new_slots[j] = *s;
    }
    free(map->slots);
    map->slots = new_slots;
    map->cap = new_cap;
    map->used = map->count;
    return true;
}

bool ol_name_map_put(ol_name_map *map, const char *key, void *value)
{
    slot *existing = find_slot(map, key);
    if (existing) {
        existing->key = key;
        existing->value = value;
        return true;
    }
    if ((map->used + 1) * 4 > map->cap * 3 && !grow(map))
        return false;
    size_t mask = map->cap - 1, i = hash_string(key) & mask;
    while (map->slots[i].key && map->slots[i].key != TOMBSTONE)
        i = (i + 1) & mask;
    if (!map->slots[i].key)
        map->used++;
    map->slots[i].key = key;
    map->slots[i].value = value;
    map->count++;
    return true;
}

void ol_name_map_remove(ol_name_map *map, const char *key)
{
    slot *s = find_slot(map, key);
    if (s) {
        s->key = TOMBSTONE;
        s->value = NULL;
        map->count--;
    }
}

size_t ol_name_map_count(const ol_name_map *map)
{
    return map->count;
}
