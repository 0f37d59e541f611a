/* Small allocation helpers shared by the core. */
#ifndef OL_MEM_H
#define OL_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Ensures *items has room for `need` elements of `elem_size` bytes, doubling the capacity.
 * Returns false (leaving *items unchanged) on overflow or out of memory. */
bool ol_reserve(void **items, size_t *cap, size_t need, size_t elem_size);
#define OL_RESERVE(items, cap, need) ol_reserve((void **)&(items), &(cap), (need), sizeof *(items))

char *ol_strdup(const char *s);           /* NULL in, NULL out */
void *ol_memdup(const void *p, size_t n); /* NULL when n == 0 */

/* a * b and a + b for sizes, false on overflow. */
bool ol_mul_size(size_t a, size_t b, size_t *out);
bool ol_mul_i64(int64_t a, int64_t b, int64_t *out);

#endif
