/* Resize (and Upsample): nearest, linear and cubic interpolation with the ONNX coordinate
 * transformations, antialiasing, exclude_outside and tf_crop_and_resize extrapolation. The
 * interpolation is separable, so it runs as one 1-D pass per resized axis, the way the ONNX
 * reference computes it. */
#ifndef OL_KERNELS_RESIZE_H
#define OL_KERNELS_RESIZE_H

#include <stdbool.h>

#include "kernels/ktensor.h"
#include "onnxlite/status.h"

typedef enum ol_resize_mode { OL_RESIZE_NEAREST, OL_RESIZE_LINEAR, OL_RESIZE_CUBIC } ol_resize_mode;

typedef enum ol_resize_coord {
    OL_COORD_HALF_PIXEL,
    OL_COORD_HALF_PIXEL_SYMMETRIC,
    OL_COORD_PYTORCH_HALF_PIXEL,
    OL_COORD_ALIGN_CORNERS,
    OL_COORD_ASYMMETRIC,
    OL_COORD_TF_CROP_AND_RESIZE,
} ol_resize_coord;

typedef enum ol_nearest_rounding {
    OL_NEAREST_ROUND_PREFER_FLOOR,
    OL_NEAREST_ROUND_PREFER_CEIL,
    OL_NEAREST_FLOOR,
    OL_NEAREST_CEIL,
} ol_nearest_rounding;

typedef struct ol_resize_params {
    ol_resize_mode mode;
    ol_resize_coord coord;
    ol_nearest_rounding nearest;
    double cubic_a;              /* -0.75 in ONNX, -0.5 in TensorFlow */
    bool exclude_outside;        /* drop taps outside the input and renormalize (linear/cubic) */
    bool antialias;              /* widen linear/cubic kernels by 1/scale when downsampling */
    float extrapolation_value;   /* tf_crop_and_resize: value of samples outside the input */
    /* Per axis of the tensor: the scale (output/input, as ONNX defines it; it also sets the
     * coordinate mapping, so it need not equal y/x dims) and, for tf_crop_and_resize, the region
     * of interest in normalized coordinates. */
    double scales[OL_KMAX_RANK];
    double roi_start[OL_KMAX_RANK];
    double roi_end[OL_KMAX_RANK];
} ol_resize_params;

/* float32 x -> float32 y, y's dims set by the caller. OL_ERR_NOMEM when the work buffers cannot
 * be allocated. */
ol_status ol_resize_float(const ol_ktensor *x, ol_ktensor *y, const ol_resize_params *p);
/* The same in double precision (double data, and integer data converted to double). */
ol_status ol_resize_double(const ol_ktensor *x, ol_ktensor *y, const ol_resize_params *p);

/* Nearest mode for any byte-sized dtype: pure copies. `fill` is the extrapolation value in x's
 * dtype (used by tf_crop_and_resize only). */
ol_status ol_resize_nearest(const ol_ktensor *x, ol_ktensor *y, const ol_resize_params *p,
                            const void *fill);

#endif
