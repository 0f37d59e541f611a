/* Reading ONNX files into the IR and writing the IR back out. */
#ifndef ONNXLITE_MODEL_IO_H
#define ONNXLITE_MODEL_IO_H

#include <stddef.h>
#include <stdint.h>

#include "onnxlite/ir.h"
#include "onnxlite/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reads an ONNX ModelProto file. External data is memory-mapped, never copied, and must stay inside
 * the model's folder. The file itself is only read. */
ol_status ol_model_read_file(const char *path, ol_model **out, ol_error *err);

/* Reads a ModelProto held in memory. `dir` is where external data files live; NULL refuses models
 * with external data (used by the fuzzer). The buffer is not retained. */
ol_status ol_model_read_buffer(const void *data, size_t size, const char *dir, ol_model **out,
                               ol_error *err);

typedef struct ol_write_options {
    /* Put tensors of at least `external_threshold` bytes into one side file next to the model, named
     * after the model file with ".data" appended. */
    int external_data;
    size_t external_threshold;
} ol_write_options;

#define OL_DEFAULT_EXTERNAL_THRESHOLD 1024

/* Writes atomically: to a temporary file in the same folder, then renamed over `path`. Output is a
 * pure function of the IR, so the same model and options give byte-identical files. */
ol_status ol_model_write_file(const ol_model *model, const char *path, const ol_write_options *options,
                              ol_error *err);

/* Serializes to memory (inline data only). The caller frees out->data. */
ol_status ol_model_write_buffer(const ol_model *model, ol_bytes *out, ol_error *err);

/* Serializes (inline data only) by handing the bytes to `append` in order, a piece at a time, as
 * ol_model_write_buffer would lay them out. Nothing is copied: this measures the serialized size
 * (or its compressed size) without a second copy of the weights in memory. */
typedef void (*ol_write_fn)(void *user, const uint8_t *data, size_t size);
ol_status ol_model_write_stream(const ol_model *model, ol_write_fn append, void *user, ol_error *err);

/* A single serialized TensorProto (the .pb files of the ONNX test data sets). */
ol_status ol_tensor_read_file(const char *path, ol_tensor **out, ol_error *err);
ol_status ol_tensor_write_file(const ol_tensor *tensor, const char *path, ol_error *err);

#ifdef __cplusplus
}
#endif
#endif
