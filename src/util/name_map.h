/* String -> pointer hash map (open addressing, linear probing). Keys are borrowed: the caller keeps
 * them alive while they are in the map (values own their names, so a value's name is its key). */
#ifndef OL_NAME_MAP_H
#define OL_NAME_MAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ol_name_map ol_name_map;

ol_name_map *ol_name_map_create(void);
void ol_name_map_destroy(ol_name_map *map);
void *ol_name_map_get(const ol_name_map *map, const char *key);
/* Inserts or replaces; false when out of memory. */
bool ol_name_map_put(ol_name_map *map, const char *key, void *value);
void ol_name_map_remove(ol_name_map *map, const char *key);
size_t ol_name_map_count(const ol_name_map *map);

#endif
