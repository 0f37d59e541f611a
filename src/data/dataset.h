/* Data sets: the samples that calibration, evaluation, verification with real data and (later) the
 * trainer feed to a model, read from whatever the user has at hand.
 *
 * A data set is opened for a list of model inputs (their declared dtype and shape, the first dim
 * being the batch) and yields batches of samples converted to those inputs, streaming: only the
 * current file is held in memory, so a data set of any size costs a bounded amount of memory.
 *
 * Sources (ol_dataset_options.path):
 *  - an IDX file (the MNIST/Fashion-MNIST format), optionally gzip-compressed: one sample per
 *    entry of its first dim; uint8 pixels become float through the preprocessing's scale, mean and
 *    std (default: x / 255);
 *  - a folder of .npy or TensorProto .pb files, sorted by name, for a single-input model: each file
 *    holds one sample (the input's shape without the batch dim) or a batch of them (with it);
 *  - a folder of ONNX test data sets (test_data_set_*\/input_N.pb, the layout of the ONNX backend
 *    tests), for models with any number of inputs: input_N feeds model input N;
 *  - a folder of PNG/JPEG images (decoded by libpng and libjpeg), for a single image input, with the
 *    preprocessing of ol_dataset_options.preprocess.
 * Labels (ol_dataset_options.labels_path), for evaluation: an IDX file of integer class indices or
 * an .npy file of integers, one per sample, in the order of the samples.
 *
 * A sample that does not fit its input (dtype, rank, a fixed dim) is an error naming the file and
 * the shape expected. */
#ifndef OL_DATA_DATASET_H
#define OL_DATA_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/ktensor.h"
#include "onnxlite/ir.h"

typedef struct ol_dataset_options {
    const char *path;          /* file or folder, see above */
    const char *labels_path;   /* NULL: no labels */
    const char *preprocess;    /* image/IDX preprocessing text (ol_preprocess_parse); NULL: defaults */
    size_t limit;              /* use at most this many samples; 0: all */
} ol_dataset_options;

/* How raw pixels (0..255) become the input tensor: optional resize of the shorter side and center
 * crop (images only), then x * scale, then (x - mean[c]) / std[c] per channel, laid out NCHW or NHWC
 * in RGB or BGR order (or one gray channel). Text form, comma-separated, every key optional:
 *   resize=256,crop=224,scale=0.00392156862745098,mean=0.485:0.456:0.406,std=0.229:0.224:0.225,
 *   layout=nchw|nhwc,channels=rgb|bgr|gray
 * Defaults: no resize or crop (images must then match the input's size), scale 1/255, mean 0,
 * std 1, layout and channel count taken from the input's shape (NCHW when ambiguous), RGB.
 * mean and std list one value per channel in the order the channels are written (B, G, R for bgr). */
#define OL_PREPROCESS_MAX_CHANNELS 4
typedef struct ol_preprocess {
    int64_t resize;            /* shorter side; 0: none */
    int64_t crop_h, crop_w;    /* 0: none */
    float scale;
    float mean[OL_PREPROCESS_MAX_CHANNELS], std[OL_PREPROCESS_MAX_CHANNELS];
    int n_mean, n_std;         /* values given (1 applies to every channel) */
    enum { OL_LAYOUT_AUTO, OL_LAYOUT_NCHW, OL_LAYOUT_NHWC } layout;
    enum { OL_CHANNELS_AUTO, OL_CHANNELS_RGB, OL_CHANNELS_BGR, OL_CHANNELS_GRAY } channels;
} ol_preprocess;

/* Parses the text form above (NULL or "" gives the defaults). Errors quote the bad key or value. */
ol_status ol_preprocess_parse(const char *text, ol_preprocess *out, ol_error *err);

typedef struct ol_dataset ol_dataset;

/* Opens the data set for `inputs` (graph inputs without an initializer, in graph order). Checks
 * what can be checked before reading any sample: the source exists and has the right kind of files
 * for that many inputs, the labels (if any) are as many as the samples. Nothing is retained from
 * `inputs` but their dtype and shape. */
ol_status ol_dataset_open(const ol_dataset_options *options, const ol_value *const *inputs,
                          size_t n_inputs, ol_dataset **out, ol_error *err);

/* A data set over samples held in memory (tests, and callers that already have tensors):
 * samples[i] is input i with all samples stacked along dim 0 (every samples[i] has the same dim
 * 0); labels (NULL: none) has that many entries. The data is copied. */
ol_status ol_dataset_from_tensors(const ol_ktensor *samples, size_t n_inputs, const int64_t *labels,
                                  ol_dataset **out, ol_error *err);

void ol_dataset_close(ol_dataset *dataset);

/* Number of samples (after the limit), known when the set is opened. */
size_t ol_dataset_size(const ol_dataset *dataset);
bool ol_dataset_has_labels(const ol_dataset *dataset);

/* The next up to `max_batch` samples, stacked along a new dim 0: fills batch[i] (one per input)
 * with malloc'ed data the caller frees, and labels[0..got) when labels is not NULL and the set has
 * labels. *got is 0 at the end (then nothing is allocated). All samples of one batch have the same
 * shape; a sample whose shape differs from the previous one's (symbolic dims) ends the batch early. */
ol_status ol_dataset_next(ol_dataset *dataset, size_t max_batch, ol_ktensor *batch, int64_t *labels,
                          size_t *got, ol_error *err);

/* Starts again from the first sample (calibration makes several passes). */
ol_status ol_dataset_rewind(ol_dataset *dataset, ol_error *err);

#endif
