/* Thread counts for the kernels' OpenMP loops. */
#ifndef OL_KERNELS_PARALLEL_H
#define OL_KERNELS_PARALLEL_H

#include <omp.h>

/* `requested` threads, or the OpenMP default when it is 0 or negative. */
static inline int ol_kernel_threads(int requested)
{
    return requested > 0 ? requested : omp_get_max_threads();
}

#endif
