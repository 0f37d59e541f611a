#include "util/atomic_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

ol_status ol_atomic_file_open(ol_atomic_file *f, const char *path, ol_error *err)
{
    *f = (ol_atomic_file){0};
    size_t len = strlen(path) + sizeof ".tmp-XXXXXX";
    f->path = strdup(path);
    f->tmp_path = malloc(len);
    if (!f->path || !f->tmp_path) {
        ol_atomic_file_abort(f);
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    }
    snprintf(f->tmp_path, len, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(f->tmp_path);
    if (fd < 0) {
        ol_status st = ol_fail(err, OL_ERR_IO, "cannot create '%s': %s", path, strerror(errno));
        free(f->tmp_path);
        f->tmp_path = NULL;
        ol_atomic_file_abort(f);
        return st;
    }
    /* mkstemp makes 0600 files; outputs are ordinary files, so honour the umask like open() would. */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    f->file = fdopen(fd, "wb");
    if (!f->file) {
        close(fd);
        ol_atomic_file_abort(f);
        return ol_fail(err, OL_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    }
    return OL_OK;
}

ol_status ol_atomic_file_commit(ol_atomic_file *f, ol_error *err)
{
    int failed = fflush(f->file) != 0 || fsync(fileno(f->file)) != 0;
    failed |= fclose(f->file) != 0;
    f->file = NULL;
    if (failed || rename(f->tmp_path, f->path) != 0) {
        ol_status st = ol_fail(err, OL_ERR_IO, "cannot write '%s': %s", f->path, strerror(errno));
        ol_atomic_file_abort(f);
        return st;
    }
    free(f->tmp_path);
    free(f->path);
    *f = (ol_atomic_file){0};
    return OL_OK;
}

void ol_atomic_file_abort(ol_atomic_file *f)
{
    if (f->file)
        fclose(f->file);
    if (f->tmp_path)
        unlink(f->tmp_path);
    free(f->tmp_path);
    free(f->path);
    *f = (ol_atomic_file){0};
}
