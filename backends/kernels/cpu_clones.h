/* OL_CPU_CLONES compiles a hot function twice, for AVX2+FMA (Haswell and later) and for the
 * baseline ISA, and picks one when the library loads: the build stays portable while the loops run
 * on 256-bit vectors where the CPU has them. Put it on leaf loops, not on functions that are worth
 * inlining (clones are never inlined). */
#ifndef OL_KERNELS_CPU_CLONES_H
#define OL_KERNELS_CPU_CLONES_H

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones) && defined(__linux__)
#define OL_CPU_CLONES __attribute__((target_clones("arch=haswell", "default")))
#endif
#endif
#ifndef OL_CPU_CLONES
#define OL_CPU_CLONES
#endif

#endif
