/* NumPy .npy files (format versions 1-3, little-endian, C order), for `onnx-lite run` inputs and
 * outputs and for data sets. */
#ifndef OL_DATA_NPY_H
#define OL_DATA_NPY_H

#include "kernels/ktensor.h"
#include "onnxlite/status.h"

/* Reads a whole .npy file into a ktensor with malloc'ed data (caller frees t->data). */
ol_status ol_npy_read(const char *path, ol_ktensor *t, ol_error *err);
/* Parses .npy bytes held in memory (data copied out). */
ol_status ol_npy_parse(const void *bytes, size_t size, const char *what, ol_ktensor *t, ol_error *err);
/* dtype and shape of a .npy file from its header alone (t->data stays NULL); checks that the file
 * holds the data bytes the shape needs, so a data set can count its samples without reading them. */
ol_status ol_npy_read_header(const char *path, ol_ktensor *t, ol_error *err);
/* Writes atomically (temporary file, then rename). */
ol_status ol_npy_write(const char *path, const ol_ktensor *t, ol_error *err);

#endif
