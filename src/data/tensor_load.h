/* Tensor files: a .npy array or a serialized ONNX TensorProto (.pb). The one loader for `onnx-lite
 * run` inputs and the files of a data set folder. */
#ifndef OL_DATA_TENSOR_LOAD_H
#define OL_DATA_TENSOR_LOAD_H

#include <stdbool.h>

#include "kernels/ktensor.h"
#include "onnxlite/status.h"

/* Whether `path` names a tensor file by its extension (.npy or .pb). */
bool ol_tensor_file_is_known(const char *path);

/* Loads FILE by extension (.npy, or .pb for a serialized TensorProto) into malloc'ed data
 * (caller frees t->data). */
ol_status ol_tensor_load_file(const char *path, ol_ktensor *t, ol_error *err);

/* dtype and shape of a tensor file without reading its data (t->data stays NULL): the header of a
 * .npy, the dims and data_type fields of a .pb. Data sets use it to count their samples when they
 * are opened. */
ol_status ol_tensor_peek_file(const char *path, ol_ktensor *t, ol_error *err);

#endif
