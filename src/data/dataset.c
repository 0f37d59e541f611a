/* Data sets: choosing the source for a path, and cutting its chunks (a file's samples, a run of IDX
 * entries) into batches of the requested size. At most one chunk is held at a time, so memory is
 * bounded by the largest file (or the batch) whatever the size of the set. */
#include "data/dataset.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "data/dataset_source.h"
#include "data/labels.h"
#include "data/tensor_load.h"
#include "util/mem.h"

struct ol_dataset {
    ol_dataset_input *inputs;
    size_t n_inputs;
    ol_dataset_source src;
    ol_labels *labels;
    size_t size;                /* samples served per pass (the limit applied) */
    size_t served;              /* since the last rewind */
    ol_ktensor *chunk;          /* one per input: the source's current chunk */
    size_t chunk_len, chunk_pos;
};

static void free_chunk(ol_dataset *ds)
{
    for (size_t i = 0; i < ds->n_inputs; i++) {
        free(ds->chunk[i].data);
        ds->chunk[i].data = NULL;
    }
    ds->chunk_len = ds->chunk_pos = 0;
}

void ol_dataset_close(ol_dataset *ds)
{
    if (!ds)
        return;
    if (ds->chunk)
        free_chunk(ds);
    if (ds->src.ops)
        ds->src.ops->destroy(ds->src.self);
    ol_labels_close(ds->labels);
    for (size_t i = 0; ds->inputs && i < ds->n_inputs; i++)
        free(ds->inputs[i].name);
    free(ds->inputs);
    free(ds->chunk);
    free(ds);
}

static ol_dataset *dataset_new(size_t n_inputs, ol_error *err)
{
    ol_dataset *ds = calloc(1, sizeof *ds);
    if (ds && (ds->inputs = calloc(n_inputs + 1, sizeof *ds->inputs)) &&
        (ds->chunk = calloc(n_inputs + 1, sizeof *ds->chunk))) {
        ds->n_inputs = n_inputs;
        return ds;
    }
    ol_dataset_close(ds);
    ol_fail(err, OL_ERR_NOMEM, "out of memory");
    return NULL;
}

/* Samples are cut into rows of whole bytes: sub-byte types (int4, ...) would need bit offsets. */
static bool dtype_ok(ol_dtype dtype)
{
    return dtype != OL_STRING && ol_dtype_bits(dtype) >= 8 && ol_dtype_bits(dtype) % 8 == 0;
}

static ol_status input_from_value(const ol_value *v, ol_dataset_input *in, ol_error *err)
{
    const ol_type *ty = &v->type;
    if (!(in->name = ol_strdup(v->name ? v->name : "")))
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    if (ty->kind != OL_TYPE_TENSOR || !dtype_ok(ty->elem) || ty->rank < 1 || ty->rank > OL_KMAX_RANK)
        return ol_fail(err, OL_ERR_UNSUPPORTED, "input '%s' needs a declared tensor type of a fixed-size "
                       "dtype and a rank of 1 to %d (the first dim being the batch) to be fed from a data "
                       "set", in->name, OL_KMAX_RANK);
    in->dtype = ty->elem;
    in->rank = ty->rank;
    for (int d = 0; d < ty->rank; d++)
        in->dims[d] = ty->dims[d].value >= 0 ? ty->dims[d].value : -1;
    return OL_OK;
}

static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

bool ol_dataset_is_image_file(const char *path)
{
    return has_suffix(path, ".png") || has_suffix(path, ".jpg") || has_suffix(path, ".jpeg");
}

/* What a data folder holds: test_data_set_* folders, tensor files, or images (one kind only). */
typedef struct folder_scan {
    char **testsets, **tensors, **images;
    size_t n_testsets, n_tensors, n_images, cap_testsets, cap_tensors, cap_images;
} folder_scan;

static void scan_free(folder_scan *scan)
{
    ol_dataset_free_paths(scan->testsets, scan->n_testsets);
    ol_dataset_free_paths(scan->tensors, scan->n_tensors);
    ol_dataset_free_paths(scan->images, scan->n_images);
}

static ol_status scan_folder(const char *dir, folder_scan *scan, ol_error *err)
{
    memset(scan, 0, sizeof *scan);
    DIR *d = opendir(dir);
    if (!d)
        return ol_fail(err, OL_ERR_IO, "cannot open folder '%s': %s", dir, strerror(errno));
    ol_status st = OL_OK;
    for (struct dirent *e; st == OL_OK && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char *path;
        if (asprintf(&path, "%s/%s", dir, e->d_name) < 0) {
            st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
            break;
        }
        struct stat info;
        char ***list = NULL;
        size_t *n = NULL, *cap = NULL;
        if (stat(path, &info) != 0) {
            st = ol_fail(err, OL_ERR_IO, "cannot stat '%s': %s", path, strerror(errno));
        } else if (S_ISDIR(info.st_mode)) {
            if (strncmp(e->d_name, "test_data_set_", 14) == 0)
                list = &scan->testsets, n = &scan->n_testsets, cap = &scan->cap_testsets;
            else
                st = ol_fail(err, OL_ERR_ARG, "'%s': a data folder holds files, or test_data_set_* folders, "
                             "not other folders", path);
        } else if (ol_tensor_file_is_known(path)) {
            list = &scan->tensors, n = &scan->n_tensors, cap = &scan->cap_tensors;
        } else if (ol_dataset_is_image_file(path)) {
            list = &scan->images, n = &scan->n_images, cap = &scan->cap_images;
        } else {
            st = ol_fail(err, OL_ERR_ARG, "'%s': not a .npy, .pb, .png or .jpg file; a data folder holds only "
                         "samples", path);
        }
        if (st == OL_OK && !ol_reserve((void **)list, cap, *n + 1, sizeof **list))
            st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
        if (st == OL_OK)
            (*list)[(*n)++] = path;
        else
            free(path);
    }
    closedir(d);
    int kinds = (scan->n_testsets > 0) + (scan->n_tensors > 0) + (scan->n_images > 0);
    if (st == OL_OK && kinds == 0)
        st = ol_fail(err, OL_ERR_ARG, "'%s': the folder holds no samples (.npy, .pb, .png or .jpg files, or "
                     "test_data_set_* folders)", dir);
    if (st == OL_OK && kinds > 1)
        st = ol_fail(err, OL_ERR_ARG, "'%s': the folder mixes %s%s%s; a data folder holds one kind", dir,
                     scan->n_testsets ? "test_data_set_* folders, " : "", scan->n_tensors ? "tensor files, " : "",
                     scan->n_images ? "images" : "");
    if (st != OL_OK) {
        scan_free(scan);
        return st;
    }
    /* One kind is present: sort it by name, the order samples are served in. */
    char **list = scan->n_testsets ? scan->testsets : scan->n_tensors ? scan->tensors : scan->images;
    qsort(list, scan->n_testsets + scan->n_tensors + scan->n_images, sizeof *list, compare_paths);
    return OL_OK;
}

static ol_status single_input(const ol_dataset *ds, const char *path, const char *kind, ol_error *err)
{
    if (ds->n_inputs == 1)
        return OL_OK;
    return ol_fail(err, OL_ERR_ARG, "'%s': %s feed one input but the model has %zu; use a folder of "
                   "test_data_set_*/input_N.pb folders", path, kind, ds->n_inputs);
}

static ol_status open_source(ol_dataset *ds, const ol_dataset_options *options, const ol_preprocess *pp,
                             ol_error *err)
{
    const char *path = options->path;
    struct stat info;
    if (!path || stat(path, &info) != 0)
        return ol_fail(err, OL_ERR_IO, "cannot open data '%s': %s", path ? path : "(none)",
                       path ? strerror(errno) : "no path given");
    if (!S_ISDIR(info.st_mode)) {
        if (ol_tensor_file_is_known(path)) {
            char **one = malloc(sizeof *one);
            if (!one || !(one[0] = ol_strdup(path))) {
                free(one);
                return ol_fail(err, OL_ERR_NOMEM, "out of memory");
            }
            ol_status st = single_input(ds, path, "tensor files", err);
            if (st != OL_OK) {
                ol_dataset_free_paths(one, 1);
                return st;
            }
            return ol_dataset_files_open(one, 1, ds->inputs, &ds->src, err);
        }
        if (ol_dataset_is_image_file(path))
            return ol_fail(err, OL_ERR_ARG, "'%s': images are read from a folder of them; give its folder",
                           path);
        ol_status st = single_input(ds, path, "IDX files", err);
        return st == OL_OK ? ol_dataset_idx_open(path, pp, ds->inputs, &ds->src, err) : st;
    }
    folder_scan scan;
    ol_status st = scan_folder(path, &scan, err);
    if (st != OL_OK)
        return st;
    if (scan.n_testsets) {
        st = ol_dataset_testsets_open(scan.testsets, scan.n_testsets, ds->inputs, ds->n_inputs, &ds->src, err);
        scan.testsets = NULL, scan.n_testsets = 0;
    } else if (scan.n_tensors && (st = single_input(ds, path, "tensor files", err)) == OL_OK) {
        st = ol_dataset_files_open(scan.tensors, scan.n_tensors, ds->inputs, &ds->src, err);
        scan.tensors = NULL, scan.n_tensors = 0;
    } else if (scan.n_images && (st = single_input(ds, path, "images", err)) == OL_OK) {
        st = ol_dataset_images_open(scan.images, scan.n_images, pp, ds->inputs, &ds->src, err);
        scan.images = NULL, scan.n_images = 0;
    }
    scan_free(&scan);
    return st;
}

static ol_status finish_open(ol_dataset *ds, size_t limit, ol_error *err)
{
    size_t count = ds->src.count;
    if (ds->labels && ol_labels_count(ds->labels) != count)
        return ol_fail(err, OL_ERR_ARG, "'%s' holds %zu labels but the data holds %zu samples; there must be "
                       "one label per sample", ol_labels_path(ds->labels), ol_labels_count(ds->labels), count);
    ds->size = limit && limit < count ? limit : count;
    return OL_OK;
}

ol_status ol_dataset_open(const ol_dataset_options *options, const ol_value *const *inputs, size_t n_inputs,
                          ol_dataset **out, ol_error *err)
{
    *out = NULL;
    if (n_inputs == 0)
        return ol_fail(err, OL_ERR_ARG, "the model has no inputs to feed from '%s'",
                       options->path ? options->path : "(none)");
    ol_preprocess pp;
    ol_status st = ol_preprocess_parse(options->preprocess, &pp, err);
    if (st != OL_OK)
        return st;
    ol_dataset *ds = dataset_new(n_inputs, err);
    if (!ds)
        return OL_ERR_NOMEM;
    for (size_t i = 0; st == OL_OK && i < n_inputs; i++)
        st = input_from_value(inputs[i], &ds->inputs[i], err);
    if (st == OL_OK)
        st = open_source(ds, options, &pp, err);
    if (st == OL_OK && options->labels_path)
        st = ol_labels_open(options->labels_path, &ds->labels, err);
    if (st == OL_OK)
        st = finish_open(ds, options->limit, err);
    if (st != OL_OK) {
        ol_dataset_close(ds);
        return st;
    }
    *out = ds;
    return OL_OK;
}

ol_status ol_dataset_from_tensors(const ol_ktensor *samples, size_t n_inputs, const int64_t *labels,
                                  ol_dataset **out, ol_error *err)
{
    *out = NULL;
    if (n_inputs == 0)
        return ol_fail(err, OL_ERR_ARG, "a data set needs at least one input");
    for (size_t i = 0; i < n_inputs; i++) {
        const ol_ktensor *t = &samples[i];
        if (t->rank < 1 || t->rank > OL_KMAX_RANK || !dtype_ok(t->dtype) || t->dims[0] != samples[0].dims[0] ||
            (!t->data && ol_ktensor_nbytes(t) > 0))
            return ol_fail(err, OL_ERR_ARG, "samples of input %zu: need data of a fixed-size dtype, rank >= 1 "
                           "and the same dim 0 (%lld) as input 0", i, (long long)samples[0].dims[0]);
    }
    ol_dataset *ds = dataset_new(n_inputs, err);
    if (!ds)
        return OL_ERR_NOMEM;
    ol_status st = OL_OK;
    for (size_t i = 0; st == OL_OK && i < n_inputs; i++) {
        ol_dataset_input *in = &ds->inputs[i];
        if (asprintf(&in->name, "%zu", i) < 0) {
            in->name = NULL;
            st = ol_fail(err, OL_ERR_NOMEM, "out of memory");
        }
        in->dtype = samples[i].dtype;
        in->rank = samples[i].rank;
        memcpy(in->dims, samples[i].dims, sizeof in->dims);
        in->dims[0] = -1;
    }
    if (st == OL_OK)
        st = ol_dataset_memory_open(samples, n_inputs, &ds->src, err);
    if (st == OL_OK && labels)
        st = ol_labels_from_values(labels, (size_t)samples[0].dims[0], &ds->labels, err);
    if (st == OL_OK)
        st = finish_open(ds, 0, err);
    if (st != OL_OK) {
        ol_dataset_close(ds);
        return st;
    }
    *out = ds;
    return OL_OK;
}

size_t ol_dataset_size(const ol_dataset *ds) { return ds->size; }
bool ol_dataset_has_labels(const ol_dataset *ds) { return ds->labels != NULL; }

static bool same_sample_shape(const ol_ktensor *a, const ol_ktensor *b)
{
    return a->rank == b->rank && memcmp(a->dims + 1, b->dims + 1, (size_t)(a->rank - 1) * sizeof *a->dims) == 0;
}

/* Bytes of one sample of a chunk (dims[0] samples). */
static size_t row_bytes(const ol_ktensor *t)
{
    ol_ktensor one = *t;
    one.dims[0] = 1;
    return ol_ktensor_nbytes(&one);
}

/* The next chunk from the source into ds->chunk; a source that ends before its announced count has
 * changed on disk. */
static ol_status load_chunk(ol_dataset *ds, size_t want, ol_error *err)
{
    free_chunk(ds);
    ol_status st = ds->src.ops->next(ds->src.self, want, ds->chunk, &ds->chunk_len, err);
    if (st == OL_OK && ds->chunk_len == 0)
        st = ol_fail(err, OL_ERR_IO, "the data ended after %zu samples of the %zu it held when opened",
                     ds->served, ds->src.count);
    return st;
}

ol_status ol_dataset_next(ol_dataset *ds, size_t max_batch, ol_ktensor *batch, int64_t *labels, size_t *got,
                          ol_error *err)
{
    *got = 0;
    memset(batch, 0, ds->n_inputs * sizeof *batch);
    if (max_batch == 0)
        return ol_fail(err, OL_ERR_ARG, "a batch of 0 samples");
    size_t want = ds->size - ds->served < max_batch ? ds->size - ds->served : max_batch;
    for (size_t i = 0; i < ds->n_inputs; i++)   /* a fixed batch dim caps the batch */
        if (ds->inputs[i].dims[0] > 0 && (size_t)ds->inputs[i].dims[0] < want)
            want = (size_t)ds->inputs[i].dims[0];
    ol_status st = OL_OK;
    size_t n = 0;
    while (n < want) {
        if (ds->chunk_pos == ds->chunk_len && (st = load_chunk(ds, want - n, err)) != OL_OK)
            break;
        if (n > 0 && !same_sample_shape(&batch[0], &ds->chunk[0]))
            break;
        bool differs = false;
        for (size_t i = 1; n > 0 && i < ds->n_inputs; i++)
            differs = differs || !same_sample_shape(&batch[i], &ds->chunk[i]);
        if (differs)
            break;
        size_t k = ds->chunk_len - ds->chunk_pos < want - n ? ds->chunk_len - ds->chunk_pos : want - n;
        if (n == 0 && ds->chunk_pos == 0 && k == ds->chunk_len) {
            /* The whole chunk is the start of the batch: hand its buffers over. */
            for (size_t i = 0; i < ds->n_inputs; i++) {
                batch[i] = ds->chunk[i];
                ds->chunk[i].data = NULL;
            }
            if (k < want) {   /* more may follow: grow to the full batch */
                for (size_t i = 0; st == OL_OK && i < ds->n_inputs; i++) {
                    void *grown = realloc(batch[i].data, want * row_bytes(&batch[i]) + 1);
                    if (grown)
                        batch[i].data = grown;
                    else
                        st = ol_fail(err, OL_ERR_NOMEM, "out of memory for a batch of %zu", want);
                }
            }
        } else {
            for (size_t i = 0; st == OL_OK && i < ds->n_inputs; i++) {
                size_t row = row_bytes(&ds->chunk[i]);
                if (n == 0) {
                    batch[i] = ds->chunk[i];
                    batch[i].data = malloc(want * row + 1);
                    if (!batch[i].data) {
                        st = ol_fail(err, OL_ERR_NOMEM, "out of memory for a batch of %zu", want);
                        break;
                    }
                }
                memcpy((uint8_t *)batch[i].data + n * row, (const uint8_t *)ds->chunk[i].data + ds->chunk_pos * row,
                       k * row);
            }
        }
        if (st != OL_OK)
            break;
        n += k;
        ds->chunk_pos += k;
        if (ds->chunk_pos == ds->chunk_len)
            free_chunk(ds);
    }
    if (st == OL_OK && n > 0 && ds->labels)   /* advanced even when not asked, to stay in step */
        st = ol_labels_next(ds->labels, n, labels, err);
    if (st != OL_OK) {
        for (size_t i = 0; i < ds->n_inputs; i++) {
            free(batch[i].data);
            batch[i].data = NULL;
        }
        return st;
    }
    for (size_t i = 0; i < ds->n_inputs; i++)
        batch[i].dims[0] = (int64_t)n;
    ds->served += n;
    *got = n;
    return OL_OK;
}

ol_status ol_dataset_rewind(ol_dataset *ds, ol_error *err)
{
    free_chunk(ds);
    ds->served = 0;
    ol_status st = ds->src.ops->rewind(ds->src.self, err);
    if (st == OL_OK && ds->labels)
        st = ol_labels_rewind(ds->labels, err);
    return st;
}
