/* Fuzz target for the ONNX reader: any byte string must either be refused with a message or give a
 * model that verifies, serializes, reads back and serializes to the same bytes again.
 *
 * Built two ways: with -fsanitize=fuzzer (libFuzzer supplies main) and, in the normal build, linked
 * with fuzz_main.c, which replays the committed corpus so that every crash found stays fixed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnxlite/onnxlite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs the reader accepted; fuzz_main reports it so that a corpus of only refused files (which
 * would never reach the writer) is noticed. */
size_t fuzz_reader_accepted;

/* A broken invariant is a bug, not bad input: abort so that libFuzzer keeps the reproducer. */
static void die(const char *stage, const ol_error *err)
{
    fprintf(stderr, "fuzz_reader: %s: %s: %s\n", stage, ol_status_name(err->status), err->message);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ol_error err = {0};
    ol_model *model = NULL;
    /* NULL folder: external data is refused, the fuzzer must not read files. */
    if (ol_model_read_buffer(data, size, NULL, &model, &err) != OL_OK) {
        if (model)
            die("read failed but returned a model", &err);
        if (!err.message[0])
            die("read failed without a message", &err);
        if (err.status == OL_ERR_INTERNAL)
            die("read", &err);
        return 0;
    }
    fuzz_reader_accepted++;
    /* The reader may accept a model that breaks an ONNX rule it does not check; an internal
     * inconsistency of the IR it built is a reader bug. */
    if (ol_model_verify(model, &err) != OL_OK && err.status == OL_ERR_INTERNAL)
        die("verify", &err);
    ol_error_clear(&err);

    ol_bytes first = {0}, second = {0};
    if (ol_model_write_buffer(model, &first, &err) != OL_OK)
        die("first write", &err);
    ol_model *again = NULL;
    if (ol_model_read_buffer(first.data, first.size, NULL, &again, &err) != OL_OK)
        die("reading back what was written", &err);
    if (ol_model_write_buffer(again, &second, &err) != OL_OK)
        die("second write", &err);
    if (first.size != second.size || (first.size && memcmp(first.data, second.data, first.size) != 0)) {
        fprintf(stderr, "fuzz_reader: writing the model read back gives %zu bytes, the first write "
                "gave %zu (or the bytes differ)\n", second.size, first.size);
        abort();
    }
    free(first.data);
    free(second.data);
    ol_model_destroy(again);
    ol_model_destroy(model);
    return 0;
}
