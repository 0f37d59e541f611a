/* The pass manager's statistics: the gzip size of a model larger than one group of blocks is the
 * same for any thread count and close to what zlib's gzip -6 makes of the serialization. */
#include <criterion/criterion.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <zlib.h>

#include "ir_builders.h"
#include "onnxlite/model_io.h"
#include "pass/measure.h"
#include "pass_testing.h"

#define DIMS IRB_DIMS

/* Half random floats (poorly compressible), half a repeating ramp (very compressible): about
 * 12 MiB serialized, more than the 8 blocks of 1 MiB compressed together. */
static ol_model *two_weight_model(void)
{
    ol_model *model = irb_model();
    ol_graph *g = model->graph;
    ol_value *x = pt_input(g, "x", OL_FLOAT, DIMS(1, 1536, 1024), NULL);
    ol_value *noise = pt_random_weight(g, "noise", -1, 1, DIMS(1, 1536, 1024));
    float *ramp = malloc(1536 * 1024 * sizeof *ramp);
    cr_assert(ramp);
    for (size_t i = 0; i < 1536 * 1024; i++)
        ramp[i] = (float)(i % 97);
    ol_value *pattern = pt_floats(g, "pattern", DIMS(1, 1536, 1024), ramp);
    free(ramp);
    ol_value *sum = IRB_NODE(g, "Add", "add0", "s", x, noise)->outputs[0];
    irb_output(g, IRB_NODE(g, "Add", "add1", "y", sum, pattern)->outputs[0]);
    return model;
}

static uint64_t gzip_size(ol_model *model, int threads)
{
    omp_set_num_threads(threads);
    ol_model_stats stats;
    ol_error err = {0};
    cr_assert_eq(ol_pass_measure(model, true, &stats, &err), OL_OK, "%s", err.message);
    uint64_t size = stats.gzip_bytes;
    ol_model_stats_free(&stats);
    return size;
}

Test(measure, gzip_size_is_the_same_for_any_thread_count_and_close_to_gzip_6)
{
    ol_model *model = two_weight_model();
    uint64_t one = gzip_size(model, 1), two = gzip_size(model, 2);
    cr_expect_eq(one, two, "1 thread: %llu, 2 threads: %llu", (unsigned long long)one, (unsigned long long)two);

    ol_bytes bytes = {0};
    ol_error err = {0};
    cr_assert_eq(ol_model_write_buffer(model, &bytes, &err), OL_OK, "%s", err.message);
    uLongf cap = compressBound(bytes.size);
    unsigned char *out = malloc(cap);
    cr_assert(out);
    cr_assert_eq(compress2(out, &cap, bytes.data, bytes.size, 6), Z_OK);
    /* zlib's format has a 6-byte wrapper, gzip's 18. */
    double zlib_gzip = (double)cap - 6 + 18;
    cr_expect_lt(bytes.size, 1.01 * 12.0 * (1 << 20) + 4096);
    cr_expect_gt(bytes.size, 8.0 * (1 << 20), "more than one group of blocks");
    cr_expect_lt(fabs((double)one - zlib_gzip), 0.005 * zlib_gzip, "measured %llu, zlib -6 %.0f",
                 (unsigned long long)one, zlib_gzip);
    cr_expect_lt((double)one, 0.8 * (double)bytes.size, "the ramp compresses");
    free(out);
    free(bytes.data);
    ol_model_destroy(model);
}
