/* Test helper: opens a data set for one input of a given dtype and shape and writes its samples,
 * stacked, to an .npy file, so integration tests can compare onnx-lite's decoding and preprocessing
 * with Python's (PIL, torchvision, numpy).
 *
 * usage: dataset-dump PATH DTYPE DIMS PREPROCESS OUT.npy
 *   DTYPE float32 or uint8; DIMS like N,3,16,16 (N or ? for symbolic dims); PREPROCESS may be "". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "data/npy.h"

static int fail(const char *message)
{
    fprintf(stderr, "dataset-dump: %s\n", message);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 6)
        return fail("usage: dataset-dump PATH DTYPE DIMS PREPROCESS OUT.npy");
    ol_error err = {0};
    ol_model *model = ol_model_create(&err);
    ol_graph *graph = model ? ol_graph_create(model, NULL, "main", &err) : NULL;
    if (!graph)
        return fail(err.message);
    model->graph = graph;
    ol_type type = {0};
    int64_t dims[OL_KMAX_RANK];
    int rank = 0;
    for (char *tok = strtok(argv[3], ","); tok && rank < OL_KMAX_RANK; tok = strtok(NULL, ","))
        dims[rank++] = (tok[0] == 'N' || tok[0] == '?') ? -1 : strtoll(tok, NULL, 10);
    ol_dtype dtype = strcmp(argv[2], "uint8") == 0 ? OL_UINT8 : OL_FLOAT;
    int64_t fixed[OL_KMAX_RANK];
    for (int d = 0; d < rank; d++)
        fixed[d] = dims[d] < 0 ? 1 : dims[d];
    ol_type_set_tensor(&type, dtype, rank, fixed);
    for (int d = 0; d < rank; d++)
        if (dims[d] < 0)
            type.dims[d].value = -1;
    const ol_value *input = ol_graph_add_input(graph, "x", &type, &err);
    ol_type_clear(&type);
    ol_dataset *ds = NULL;
    ol_dataset_options options = {.path = argv[1], .preprocess = argv[4][0] ? argv[4] : NULL};
    if (!input || ol_dataset_open(&options, &input, 1, &ds, &err) != OL_OK) {
        ol_model_destroy(model);
        return fail(err.message);
    }
    /* Every sample in one batch: the helper is for small test sets. */
    ol_ktensor batch;
    size_t got;
    int code = 0;
    if (ol_dataset_next(ds, ol_dataset_size(ds), &batch, NULL, &got, &err) != OL_OK ||
        ol_npy_write(argv[5], &batch, &err) != OL_OK)
        code = fail(err.message);
    else if (got != ol_dataset_size(ds))
        code = fail("the samples differ in shape; dump them one size at a time");
    free(batch.data);
    ol_dataset_close(ds);
    ol_model_destroy(model);
    return code;
}
