/* Scoring classifier outputs: top-1/top-5 ranks, ties, NaN, labels outside the classes, and the
 * shape an output must have. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "data/accuracy.h"

static ol_ktensor scores(float *data, int64_t n, int64_t classes)
{
    return (ol_ktensor){.data = data, .dtype = OL_FLOAT, .rank = 2, .dims = {n, classes}};
}

Test(data_accuracy, ranks_ties_and_nan)
{
    /* 6 classes; labels 0..4 below. */
    float s[5 * 6] = {
        9, 1, 2, 3, 4, 5,          /* label 0 first */
        5, 4, 9, 8, 7, 6,          /* label 1 ranks 5th (9, 8, 7, 6, 5 above): not top-5 */
        1, 1, 1, 1, 1, 1,          /* label 2 tied with 0 and 1, ranks 3rd */
        1, 1, 1, 7, 1, 1,          /* label 3 first */
        NAN, 1, 1, 1, NAN, 1,      /* label 4 is NaN: never ranks; the NaN of class 0 is not above */
    };
    int64_t labels[5] = {0, 1, 2, 3, 4};
    ol_accuracy acc = {0};
    ol_error err = {0};
    ol_ktensor t = scores(s, 5, 6);
    cr_assert_eq(ol_accuracy_add(&acc, &t, labels, 5, &err), OL_OK, "%s", err.message);
    cr_assert_eq(acc.samples, 5);
    cr_assert_eq(acc.classes, 6);
    cr_assert_eq(acc.top1, 2);
    cr_assert_eq(acc.top5, 3);
    cr_assert_float_eq(ol_accuracy_percent(acc.top1, acc.samples), 40.0, 1e-12);
    cr_assert_float_eq(ol_accuracy_percent(0, 0), 0.0, 0);
}

Test(data_accuracy, first_max_wins_as_argmax)
{
    float s[2 * 3] = {2, 2, 0, 2, 2, 0};
    int64_t labels[2] = {0, 1};
    ol_accuracy acc = {0};
    ol_error err = {0};
    ol_ktensor t = scores(s, 2, 3);
    cr_assert_eq(ol_accuracy_add(&acc, &t, labels, 2, &err), OL_OK);
    cr_assert_eq(acc.top1, 1, "only the lower index of a tie is the prediction");
}

Test(data_accuracy, labels_outside_classes_and_bad_shapes)
{
    float s[2 * 3] = {0};
    ol_accuracy acc = {.samples = 10};
    ol_error err = {0};
    ol_ktensor t = scores(s, 2, 3);
    int64_t labels[2] = {1, 3};
    cr_assert_neq(ol_accuracy_add(&acc, &t, labels, 2, &err), OL_OK);
    cr_assert(strstr(err.message, "sample 11 is 3") && strstr(err.message, "3 classes"), "%s", err.message);
    labels[1] = -1;
    ol_error_clear(&err);
    cr_assert_neq(ol_accuracy_add(&acc, &t, labels, 2, &err), OL_OK);
    ol_error_clear(&err);
    labels[1] = 0;
    t.rank = 3;
    t.dims[2] = 1;
    cr_assert_neq(ol_accuracy_add(&acc, &t, labels, 2, &err), OL_OK);
    cr_assert(strstr(err.message, "[batch, classes]"), "%s", err.message);
    ol_error_clear(&err);
    t = scores(s, 1, 3);
    cr_assert_neq(ol_accuracy_add(&acc, &t, labels, 2, &err), OL_OK, "rows must equal the batch");
    ol_error_clear(&err);
    acc.classes = 4;
    t = scores(s, 2, 3);
    cr_assert_neq(ol_accuracy_add(&acc, &t, labels, 2, &err), OL_OK, "classes change between batches");
}
