/* Bump allocator for short-lived object trees (the protobuf structs the writer builds): one free for
 * everything, no per-object bookkeeping. */
#ifndef OL_ARENA_H
#define OL_ARENA_H

#include <stddef.h>

typedef struct ol_arena_chunk ol_arena_chunk;
typedef struct ol_arena {
    ol_arena_chunk *head;
} ol_arena;

/* Zero-filled, 16-byte aligned; NULL when out of memory. */
void *ol_arena_alloc(ol_arena *arena, size_t size);
void *ol_arena_array(ol_arena *arena, size_t count, size_t elem_size);
void ol_arena_free(ol_arena *arena);

#endif
