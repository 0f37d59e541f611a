/* Measures reading a model into the IR: median wall time over repeated reads and the peak resident
 * memory the first read adds to the process. Used by scripts/bench-reader.
 * usage: read_model MODEL [REPEAT]  -> one JSON line */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "onnxlite/onnxlite.h"

static long peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: read_model MODEL [REPEAT]\n");
        return 2;
    }
    int repeat = argc > 2 ? atoi(argv[2]) : 5;
    if (repeat < 1)
        repeat = 1;
    struct stat st;
    if (stat(argv[1], &st) != 0) {
        perror(argv[1]);
        return 1;
    }
    long before = peak_rss_kib();
    double *times = calloc((size_t)repeat, sizeof *times);
    long after_first = 0;
    for (int r = 0; r < repeat; r++) {
        ol_error err = {0};
        ol_model *model;
        double t0 = now_ms();
        if (ol_model_read_file(argv[1], &model, &err) != OL_OK) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
        times[r] = now_ms() - t0;
        if (r == 0)
            after_first = peak_rss_kib();
        ol_model_destroy(model);
    }
    qsort(times, (size_t)repeat, sizeof *times, cmp_double);
    printf("{\"file_bytes\": %lld, \"read_median_ms\": %.3f, \"peak_added_rss_bytes\": %lld}\n",
           (long long)st.st_size, times[repeat / 2], (long long)(after_first - before) * 1024);
    free(times);
    return 0;
}
