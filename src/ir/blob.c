#include <stdlib.h>

#include "onnxlite/ir.h"

struct ol_blob {
    void *base;
    size_t size;
    void (*release)(void *base, size_t size);
    size_t refs;   /* the IR is single-threaded per model, so a plain counter suffices */
};

ol_blob *ol_blob_create(void *base, size_t size, void (*release)(void *base, size_t size))
{
    ol_blob *blob = malloc(sizeof *blob);
    if (!blob)
        return NULL;
    *blob = (ol_blob){.base = base, .size = size, .release = release, .refs = 1};
    return blob;
}

ol_blob *ol_blob_retain(ol_blob *blob)
{
    if (blob)
        blob->refs++;
    return blob;
}

void ol_blob_release(ol_blob *blob)
{
    if (!blob || --blob->refs > 0)
        return;
    if (blob->release)
        blob->release(blob->base, blob->size);
    free(blob);
}
