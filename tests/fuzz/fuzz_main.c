/* Replays files through the fuzz target without libFuzzer, so the normal build and test suite run
 * the committed corpus (seeds and crash reproducers) with any compiler.
 *
 * usage: fuzz-reader-driver PATH...   (files, or folders whose regular files are all run)
 * Exits non-zero if a path cannot be read or no input reached the writer; a failing input aborts. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern size_t fuzz_reader_accepted;

static int run_file(const char *path, size_t *runs)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    uint8_t *buf = NULL;
    size_t size = 0, cap = 0;
    for (;;) {
        if (size == cap) {
            cap = cap ? 2 * cap : 65536;
            uint8_t *grown = realloc(buf, cap);
            if (!grown) {
                fprintf(stderr, "%s: out of memory\n", path);
                free(buf);
                fclose(f);
                return -1;
            }
            buf = grown;
        }
        size_t n = fread(buf + size, 1, cap - size, f);
        size += n;
        if (n == 0)
            break;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        fprintf(stderr, "%s: read error\n", path);
        free(buf);
        return -1;
    }
    /* Announced first, so that the file to blame is on record when the target aborts. */
    fprintf(stderr, "running %s (%zu bytes)\n", path, size);
    /* A copy of exactly `size` bytes, so an over-read is an error under sanitizers. */
    uint8_t *exact = malloc(size ? size : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    if (size)
        memcpy(exact, buf, size);
    free(buf);
    LLVMFuzzerTestOneInput(exact, size);
    free(exact);
    (*runs)++;
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, size_t *runs)
{
    DIR *d = opendir(dir);
    if (!d) {
        perror(dir);
        return -1;
    }
    char **names = NULL;
    size_t n = 0;
    int rc = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char **grown = realloc(names, (n + 1) * sizeof *names);
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(len);
        if (!grown || !path) {
            free(path);
            if (grown)
                names = grown;
            rc = -1;
            break;
        }
        names = grown;
        snprintf(path, len, "%s/%s", dir, e->d_name);
        names[n++] = path;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_names);   /* fixed order: a failure reproduces the same way */
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
            rc = run_file(names[i], runs);
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    size_t runs = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            return 1;
        }
        if ((S_ISDIR(st.st_mode) ? run_dir(argv[i], &runs) : run_file(argv[i], &runs)) != 0)
            return 1;
    }
    printf("%zu inputs run, %zu read as models and round-tripped\n", runs, fuzz_reader_accepted);
    /* Seeds the reader refuses only test the error paths; the round trip must be exercised too. */
    if (runs == 0 || fuzz_reader_accepted == 0) {
        fprintf(stderr, "no input was read as a model: the corpus does not reach the writer\n");
        return 1;
    }
    return 0;
}
