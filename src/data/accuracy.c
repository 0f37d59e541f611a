/* Classifier accuracy in the executor. Batches stream from the data set, so any number of samples
 * costs one batch of memory. */
#include "data/accuracy.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec/compare.h"

double ol_accuracy_percent(size_t part, size_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

ol_status ol_accuracy_add(ol_accuracy *acc, const ol_ktensor *logits, const int64_t *labels, size_t n,
                          ol_error *err)
{
    if (logits->rank != 2 || logits->dims[0] != (int64_t)n || logits->dims[1] < 1)
        return ol_fail(err, OL_ERR_ARG, "the output is %s of rank %d with %lld rows for a batch of %zu; "
                       "accuracy needs [batch, classes] scores", ol_dtype_name(logits->dtype), logits->rank,
                       logits->rank ? (long long)logits->dims[0] : 0LL, n);
    size_t classes = (size_t)logits->dims[1];
    if (acc->classes && acc->classes != classes)
        return ol_fail(err, OL_ERR_ARG, "the output has %zu classes, earlier batches had %zu", classes,
                       acc->classes);
    acc->classes = classes;
    for (size_t s = 0; s < n; s++) {
        int64_t label = labels[s];
        if (label < 0 || (uint64_t)label >= classes)
            return ol_fail(err, OL_ERR_ARG, "the label of sample %zu is %lld, outside the model's %zu classes "
                           "(0 to %zu)", acc->samples + s, (long long)label, classes, classes - 1);
        int64_t row = (int64_t)(s * classes);
        double mine = ol_ktensor_get_f64(logits, row + label);
        size_t rank = isnan(mine) ? SIZE_MAX : 0;
        for (size_t c = 0; c < classes && rank < 5; c++) {   /* only ranks below 5 matter */
            double v = ol_ktensor_get_f64(logits, row + (int64_t)c);
            if (v > mine || (v == mine && (int64_t)c < label))
                rank++;
        }
        acc->top1 += rank == 0;
        acc->top5 += rank < 5;
    }
    acc->samples += n;
    return OL_OK;
}

size_t ol_accuracy_data_inputs(const ol_session *session, const ol_value **out)
{
    size_t n = 0;
    for (size_t i = 0; i < ol_session_input_count(session); i++)
        if (!ol_session_input(session, i)->constant)
            out[n++] = ol_session_input(session, i);
    return n;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

ol_status ol_accuracy_measure(ol_session *session, ol_dataset *data, size_t batch, ol_accuracy *out,
                              ol_error *err)
{
    memset(out, 0, sizeof *out);
    if (!ol_dataset_has_labels(data))
        return ol_fail(err, OL_ERR_ARG, "accuracy needs labels: one class index per sample");
    double start = now_seconds();
    size_t n_in = ol_session_input_count(session), n_out = ol_session_output_count(session);
    ol_ktensor *inputs = calloc(n_in + 1, sizeof *inputs), *fed = calloc(n_in + 1, sizeof *fed);
    ol_ktensor *outputs = calloc(n_out + 1, sizeof *outputs);
    int64_t *labels = malloc((batch ? batch : 1) * sizeof *labels);
    ol_status st = inputs && fed && outputs && labels ? OL_OK : ol_fail(err, OL_ERR_NOMEM, "out of memory");
    if (st == OL_OK)
        st = ol_dataset_rewind(data, err);
    size_t got = 0;
    while (st == OL_OK && (st = ol_dataset_next(data, batch, fed, labels, &got, err)) == OL_OK && got > 0) {
        /* Inputs with an initializer keep it (data NULL); the others take the batch in order. */
        for (size_t i = 0, k = 0; i < n_in; i++)
            inputs[i] = ol_session_input(session, i)->constant ? (ol_ktensor){0} : fed[k++];
        st = ol_session_run(session, inputs, outputs, err);
        if (st == OL_OK)
            st = ol_accuracy_add(out, &outputs[0], labels, got, err);
        for (size_t i = 0; i < n_in; i++) {
            free(fed[i].data);
            fed[i].data = NULL;
        }
        for (size_t i = 0; i < n_out; i++) {
            free(outputs[i].data);
            outputs[i].data = NULL;
        }
    }
    out->seconds = now_seconds() - start;
    free(inputs);
    free(fed);
    free(outputs);
    free(labels);
    return st;
}
