/* OL_CPU_CLONES compiles a hot function three times, for x86-64-v4 (AVX-512), x86-64-v3 (AVX2, FMA:
 * Haswell and later) and the baseline ISA, and picks one when the library loads: the build stays
 * portable while the loops run on wide vectors where the CPU has them (the v4 clone made
 * MobileNet/EfficientNet's depthwise and activation loops faster than v3 alone). It also lets a*b+c
 * contract into one fused multiply-add (ISO C mode, -std=c11, turns contraction off), which halves
 * the arithmetic of convolution and pooling loops; results may differ from separate rounding in the
 * last bit. Put it on leaf loops, not on functions that are worth inlining (clones are never
 * inlined). */
#ifndef OL_KERNELS_CPU_CLONES_H
#define OL_KERNELS_CPU_CLONES_H

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones) && defined(__linux__)
#define OL_CPU_CLONES \
    __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"), optimize("fp-contract=fast")))
#endif
#endif
#ifndef OL_CPU_CLONES
#define OL_CPU_CLONES
#endif

#endif
