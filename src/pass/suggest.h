/* "Did you mean ...?" for misspelled pass and option names. */
#ifndef OL_PASS_SUGGEST_H
#define OL_PASS_SUGGEST_H

#include <stddef.h>

/* The candidate closest to `name` by edit distance (insertions, deletions, substitutions and
 * swaps of neighbours), or NULL when none is close enough to be a plausible typo: at most a third
 * of the longer name's length, and at least 1, may differ. Ties keep the earlier candidate. */
const char *ol_closest_name(const char *name, const char *const *candidates, size_t n);

#endif
