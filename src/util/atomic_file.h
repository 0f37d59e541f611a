/* Files that appear complete or not at all: written under a temporary name in the target's folder,
 * then renamed over the target. A crash or error never leaves a partial output behind. */
#ifndef OL_ATOMIC_FILE_H
#define OL_ATOMIC_FILE_H

#include <stdio.h>

#include "onnxlite/status.h"

typedef struct ol_atomic_file {
    FILE *file;
    char *path;       /* final name */
    char *tmp_path;   /* temporary name while writing */
} ol_atomic_file;

ol_status ol_atomic_file_open(ol_atomic_file *f, const char *path, ol_error *err);
/* Flushes, syncs and renames; the struct is reset. */
ol_status ol_atomic_file_commit(ol_atomic_file *f, ol_error *err);
/* Removes the temporary file if the commit did not happen; safe to call after commit. */
void ol_atomic_file_abort(ol_atomic_file *f);

#endif
