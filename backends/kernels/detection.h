/* Object-detection kernels (float32): NonMaxSuppression and RoiAlign, following ONNX (and
 * onnxruntime, whose algorithms the spec's tests were made with). */
#ifndef OL_KERNELS_DETECTION_H
#define OL_KERNELS_DETECTION_H

#include <stdbool.h>
#include <stdint.h>

typedef struct ol_nms_params {
    int64_t batches, classes, boxes;
    int64_t max_per_class;
    float iou_threshold;
    bool has_score_threshold;
    float score_threshold;     /* candidates need a score above it */
    bool center_point_box;     /* boxes are [x_center, y_center, w, h], else [y1, x1, y2, x2] corners */
} ol_nms_params;

/* Most triples NonMaxSuppression can select. */
int64_t ol_nms_capacity(const ol_nms_params *p);

/* boxes [batches][boxes][4], scores [batches][classes][boxes]. Writes (batch, class, box) triples
 * to selected (capacity triples) in batch, class, selection order; returns how many. work holds
 * 2 * boxes int64. A box is dropped when its IoU with a box already selected for its class exceeds
 * the threshold; equal scores go by lower box index first. */
int64_t ol_nms_f32(const ol_nms_params *p, const float *boxes, const float *scores, int64_t *selected,
                   int64_t *work);

typedef struct ol_roi_align_params {
    int64_t channels, height, width;
    int64_t rois;
    int64_t out_h, out_w;
    int64_t sampling_ratio;    /* <= 0: adaptive, ceil(roi size / output size) */
    float spatial_scale;
    bool half_pixel;           /* shift ROI corners by -0.5 pixel (else ROIs are at least 1 pixel) */
    bool max_mode;             /* max of the weighted sample corners instead of their average */
} ol_roi_align_params;

/* x [batches][channels][height][width], rois [rois][4] (x1, y1, x2, y2), batch_indices [rois] (valid
 * batches) -> y [rois][channels][out_h][out_w]. */
void ol_roi_align_f32(const ol_roi_align_params *p, const float *x, const float *rois,
                      const int64_t *batch_indices, float *y);

#endif
