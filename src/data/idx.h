/* IDX files, the format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/), plain or
 * gzip-compressed: a magic (two zero bytes, an element type, a rank), big-endian uint32 dims, then
 * the big-endian elements. Read entry by entry (an entry is one index of the first dim), so a data set
 * of any size costs one read buffer. */
#ifndef OL_DATA_IDX_H
#define OL_DATA_IDX_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/ktensor.h"
#include "onnxlite/status.h"

typedef struct ol_idx_file ol_idx_file;

/* Opens and checks the header: the magic, the element type, the rank, and (for an uncompressed
 * file) that the file holds exactly the entries its dims announce. */
ol_status ol_idx_open(const char *path, ol_idx_file **out, ol_error *err);
void ol_idx_close(ol_idx_file *idx);

/* dtype and dims of the whole file (dims[0] = number of entries); data is NULL. */
const ol_ktensor *ol_idx_shape(const ol_idx_file *idx);
size_t ol_idx_entry_bytes(const ol_idx_file *idx);
const char *ol_idx_path(const ol_idx_file *idx);
/* Index of the next entry ol_idx_read returns. */
size_t ol_idx_position(const ol_idx_file *idx);

/* Reads the next n entries into buf (n * entry bytes), converted to host byte order. Reading past
 * the last entry or a file that ends early is an error naming the file and the entry. */
ol_status ol_idx_read(ol_idx_file *idx, size_t n, void *buf, ol_error *err);
/* Back to the first entry. */
ol_status ol_idx_rewind(ol_idx_file *idx, ol_error *err);

#endif
