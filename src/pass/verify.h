/* Numerical verification: runs a reference model and a candidate (the optimized model, or the
 * model after some of the passes) in the reference executor on the same inputs, random or the first
 * samples of a data set, and compares every output.
 *
 * The error of an output is measured relative to its largest magnitude in the reference,
 * max|got - expected| / max|expected|, so that elements near zero do not dominate; the project's
 * tests against onnxruntime use the same measure. Integer and bool outputs must match exactly. */
#ifndef OL_PASS_VERIFY_H
#define OL_PASS_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/dataset.h"
#include "onnxlite/ir.h"

#define OL_VERIFY_DEFAULT_SAMPLES 3
#define OL_VERIFY_LOSSLESS_TOLERANCE 1e-4

typedef struct ol_verify_options {
    size_t samples;      /* random input sets; 0: OL_VERIFY_DEFAULT_SAMPLES */
    int64_t batch;       /* size of a symbolic first dim; 0: 1 (other symbolic dims are 1 too) */
    double tolerance;    /* largest relative error that passes (see above) */
    uint64_t seed;       /* first random seed; the same seed gives the same inputs */
    int threads;         /* executor threads; 0: the BLAS/OpenMP default */
    /* Real inputs instead of random ones (borrowed; NULL: random): input set i is samples
     * [i * batch, (i + 1) * batch) of this data set (batch 0 counts as 1); fewer sets when it runs
     * out. */
    const ol_dataset_options *data;
} ol_verify_options;

typedef struct ol_output_error {
    char *name;
    double max_abs_error;   /* over all samples */
    double max_rel_error;   /* max_abs_error of a sample / max |expected| of that sample, worst sample */
    bool ok;
    char reason[200];       /* why it fails beyond the numbers: shape, dtype, missing output */
} ol_output_error;

typedef struct ol_verify_result {
    bool ok;
    ol_output_error *outputs;   /* one per output of the reference, in its order */
    size_t n_outputs;
} ol_verify_result;

typedef struct ol_verifier ol_verifier;

/* Draws the inputs from the reference's declared input shapes (or reads them from options->data)
 * and runs the reference on them once;
 * its outputs are kept for every later check. Graph inputs that have an initializer keep it.
 * The reference model is not retained. */
ol_status ol_verifier_create(const ol_model *reference, const ol_verify_options *options,
                             ol_verifier **out, ol_error *err);
void ol_verifier_destroy(ol_verifier *verifier);

/* Runs `candidate` on the same inputs, matched to the reference's by name, and compares. A
 * numerical mismatch, a missing output, a shape or dtype that differs is a result with ok false
 * and OL_OK; an error is returned only when the candidate cannot run at all. */
ol_status ol_verifier_check(ol_verifier *verifier, const ol_model *candidate, ol_verify_result *result,
                            ol_error *err);

const ol_verify_options *ol_verifier_options(const ol_verifier *verifier);

void ol_verify_result_clear(ol_verify_result *result);

#endif
