/* Makes sure OpenBLAS runs the kernels this CPU supports. */
#ifndef OL_KERNELS_BLAS_CORE_H
#define OL_KERNELS_BLAS_CORE_H

/* OpenBLAS builds with DYNAMIC_ARCH (Debian's) pick their kernels from the CPU model at load time
 * and fall back to the slowest x86-64 set ("Prescott", SSE3) on models newer than the release:
 * OpenBLAS 0.3.21 on a Sapphire Rapids Xeon runs SGEMM about 7x slower than it can. This re-runs
 * the selection asking for the best family the CPU's features allow (SkylakeX with AVX-512,
 * Haswell with AVX2+FMA). It does nothing when OPENBLAS_CORETYPE is set, when OpenBLAS already
 * chose a modern family, or when the library has no runtime selection. Idempotent and cheap after
 * the first call; the GEMM-based kernels call it before their first BLAS call. Call it before
 * starting BLAS work on several threads at once. */
void ol_blas_ensure_core(void);

#endif
