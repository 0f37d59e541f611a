#include "kernels/blas_core.h"

#include <cblas.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Present in DYNAMIC_ARCH builds of OpenBLAS only, hence weak: NULL elsewhere. */
extern void gotoblas_dynamic_init(void) __attribute__((weak));
extern void gotoblas_dynamic_quit(void) __attribute__((weak));

static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Kernel families of OpenBLAS that predate AVX2. */
static bool is_legacy_core(const char *name)
{
    static const char *const legacy[] = {"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom",
                                         "Katmai", "Coppermine", "Northwood", "Banias", "Sandybridge",
                                         "Opteron", "Barcelona", "Bobcat", "Bulldozer", "Piledriver",
                                         "Steamroller", "Excavator", "Nano"};
    for (size_t i = 0; i < sizeof legacy / sizeof *legacy; i++)
        if (strcmp(name, legacy[i]) == 0)
            return true;
    return false;
}

static void select_core(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (!gotoblas_dynamic_init || !gotoblas_dynamic_quit || getenv("OPENBLAS_CORETYPE"))
        return;
    const char *name = openblas_get_corename();
    if (!name || !is_legacy_core(name))
        return;
    __builtin_cpu_init();
    const char *better = NULL;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        better = "SkylakeX";
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        better = "Haswell";
    if (!better)
        return;
    /* The selection reads OPENBLAS_CORETYPE; it is set only for the call. */
    setenv("OPENBLAS_CORETYPE", better, 1);
    gotoblas_dynamic_quit();
    gotoblas_dynamic_init();
    unsetenv("OPENBLAS_CORETYPE");
#endif
}

void ol_blas_ensure_core(void)
{
    pthread_once(&once, select_core);
}
