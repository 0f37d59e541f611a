/* Helpers for the data set tests: model inputs of any dtype and shape, and small sample files (IDX,
 * .npy, .pb) written into a temporary folder. Like ir_builders.h, every helper fails the running
 * test instead of returning an error. */
#ifndef OL_TESTS_DATA_BUILDERS_H
#define OL_TESTS_DATA_BUILDERS_H

#include <stdbool.h>
#include <stdint.h>

#include "data/dataset.h"
#include "ir_builders.h"

/* The fixture of the data set suites (TestSuite(..., .init = dtb_setup, .fini = dtb_teardown)): a
 * fresh temporary folder for sample files and an empty model for their inputs, removed after each
 * test. */
extern char *dtb_dir;
extern ol_model *dtb_model;
void dtb_setup(void);
void dtb_teardown(void);

/* A graph input of `dtype` and `dims`; a dim of -1 is symbolic ("N" for the first, "d<k>" else). */
ol_value *dtb_input(ol_graph *graph, const char *name, ol_dtype dtype, int rank, const int64_t *dims);

/* An IDX file: `type` is the IDX element code (0x08 uint8, 0x0D float32, ...), data in host order
 * (written big-endian); `cut` bytes are dropped from the end (truncated files). */
void dtb_write_idx(const char *path, bool gz, uint8_t type, int rank, const uint32_t *dims, const void *data,
                   size_t elem_size, size_t cut);
void dtb_write_npy(const char *path, ol_dtype dtype, int rank, const int64_t *dims, const void *data);
void dtb_write_pb(const char *path, ol_dtype dtype, int rank, const int64_t *dims, const void *data);
void dtb_write_bytes(const char *path, const void *data, size_t n);
void dtb_mkdir(const char *path);
/* Removes a folder with everything in it, and frees `dir`. */
void dtb_rmtree(char *dir);

/* Opens a data set (path, labels, preprocess may be NULL) for graph inputs, failing the test on error. */
ol_dataset *dtb_open(const char *path, const char *labels, const char *preprocess, size_t limit,
                     ol_value *const *inputs, size_t n_inputs);
/* Expects opening to fail and returns the message (static buffer). */
const char *dtb_open_fails(const char *path, const char *labels, const char *preprocess, size_t limit,
                           ol_value *const *inputs, size_t n_inputs);

#endif
