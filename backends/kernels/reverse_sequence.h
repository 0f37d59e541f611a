/* ReverseSequence: reverses the leading valid time steps of every batch entry, for any byte-sized
 * dtype (`esize` bytes per element). */
#ifndef OL_KERNELS_REVERSE_SEQUENCE_H
#define OL_KERNELS_REVERSE_SEQUENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* x viewed as [outer][d0][middle][d1][inner] where (d0, d1) is (time, batch) when time_first, else
 * (batch, time): y = x with the first lengths[b] time steps of batch entry b reversed. lengths must
 * lie in [0, time]. */
void ol_reverse_sequence(const void *x, int64_t outer, int64_t d0, int64_t middle, int64_t d1, int64_t inner,
                         size_t esize, bool time_first, const int64_t *lengths, void *y);

#endif
