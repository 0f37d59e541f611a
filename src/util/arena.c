#include "util/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE (64 * 1024)

struct ol_arena_chunk {
    ol_arena_chunk *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
};

void *ol_arena_alloc(ol_arena *arena, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (size == 0)
        size = 16;
    ol_arena_chunk *c = arena->head;
    if (!c || c->size - c->used < size) {
        size_t cap = size > CHUNK_SIZE ? size : CHUNK_SIZE;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->used = 0;
        c->size = cap;
        c->next = arena->head;
        arena->head = c;
    }
    void *p = c->data + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

void *ol_arena_array(ol_arena *arena, size_t count, size_t elem_size)
{
    if (count && elem_size > SIZE_MAX / count)
        return NULL;
    return ol_arena_alloc(arena, count * elem_size);
}

void ol_arena_free(ol_arena *arena)
{
    while (arena->head) {
        ol_arena_chunk *next = arena->head->next;
        free(arena->head);
        arena->head = next;
    }
}
