/* Inside data sets: the kinds of source (IDX file, tensor files, ONNX test data sets, images, memory)
 * behind one table of functions. A source hands out chunks, each the samples of one file (or a run
 * of IDX entries) already converted to the inputs' dtypes and checked against their shapes;
 * dataset.c cuts and stacks chunks into batches, applies the limit and pairs samples with labels. */
#ifndef OL_DATA_DATASET_SOURCE_H
#define OL_DATA_DATASET_SOURCE_H

#include "data/dataset.h"

/* What a data set knows of a model input: its name for messages, dtype, and shape with the batch
 * dim (-1 for symbolic dims). */
typedef struct ol_dataset_input {
    char *name;
    ol_dtype dtype;
    int rank;
    int64_t dims[OL_KMAX_RANK];
} ol_dataset_input;

typedef struct ol_dataset_source_ops {
    /* The next chunk: chunk[i] (one per input) gets *got samples stacked along dim 0 in malloc'ed
     * data. `want` is a hint (a file holds what it holds). *got = 0 at the end, with nothing
     * allocated. */
    ol_status (*next)(void *self, size_t want, ol_ktensor *chunk, size_t *got, ol_error *err);
    ol_status (*rewind)(void *self, ol_error *err);
    void (*destroy)(void *self);
} ol_dataset_source_ops;

typedef struct ol_dataset_source {
    const ol_dataset_source_ops *ops;
    void *self;
    size_t count;   /* samples in the whole source, known when it is opened */
} ol_dataset_source;

/* The sources; each checks what it can when opened and fills src. */
ol_status ol_dataset_idx_open(const char *path, const ol_preprocess *pp, const ol_dataset_input *input,
                              ol_dataset_source *src, ol_error *err);
/* Tensor files (.npy/.pb), given as sorted paths (taken over: freed by the source, also on failure). */
ol_status ol_dataset_files_open(char **paths, size_t n_paths, const ol_dataset_input *input,
                                ol_dataset_source *src, ol_error *err);
/* test_data_set_* folders (sorted paths, taken over as above), input_N.pb feeding input N. */
ol_status ol_dataset_testsets_open(char **dirs, size_t n_dirs, const ol_dataset_input *inputs,
                                   size_t n_inputs, ol_dataset_source *src, ol_error *err);
/* PNG/JPEG images (sorted paths, taken over as above) for one image input, decoded and preprocessed
 * one file at a time. */
ol_status ol_dataset_images_open(char **paths, size_t n_paths, const ol_preprocess *pp,
                                 const ol_dataset_input *input, ol_dataset_source *src, ol_error *err);
ol_status ol_dataset_memory_open(const ol_ktensor *samples, size_t n_inputs, ol_dataset_source *src,
                                 ol_error *err);

/* Fits a tensor read from `file` (dtype and shape in t) to `input`: a file holds one sample (the
 * input's rank minus one; a batch dim of 1 is then added to t) or a batch of them (the input's
 * rank). dtype and every fixed dim but the batch dim must match. The error names the file, what it
 * holds and what the input expects. */
ol_status ol_dataset_input_fit(const ol_dataset_input *input, const char *file, ol_ktensor *t, ol_error *err);

/* "float32[N,1,28,28]" (symbolic dims as '?', the batch dim as N), or a sample's shape without the
 * batch dim when `sample` is true. */
void ol_dataset_input_format(const ol_dataset_input *input, bool sample, char *buf, size_t size);
/* "float32[2,28,28]" */
void ol_ktensor_format_shape(const ol_ktensor *t, char *buf, size_t size);

/* Whether `path` names a PNG or JPEG file by its extension (any case). */
bool ol_dataset_is_image_file(const char *path);

/* Frees a list of paths made by the folder scan. */
void ol_dataset_free_paths(char **paths, size_t n);

#endif
