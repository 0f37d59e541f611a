/* NonMaxSuppression (opset 10+) and RoiAlign (opset 10+; coordinate_transformation_mode from 16),
 * float32 (float16 through the executor for RoiAlign). */
#include <string.h>

#include "exec/ops/extra_ops.h"
#include "kernels/detection.h"

/* The one value of an optional scalar input, or *ok = false when it is not one. */
static double scalar_input(ol_op_ctx *ctx, size_t i, ol_dtype dtype, double dflt, bool *present, bool *ok)
{
    const ol_ktensor *t = ol_op_input(ctx, i);
    *present = false;
    if (!t || ol_ktensor_numel(t) == 0)
        return dflt;
    if (t->dtype != dtype || ol_ktensor_numel(t) != 1) {
        *ok = false;
        ol_op_fail(ctx, OL_ERR_INVALID, "input %zu must hold one %s", i, ol_dtype_name(dtype));
        return dflt;
    }
    *present = true;
    return dtype == OL_INT64 ? (double)*(const int64_t *)t->data : (double)*(const float *)t->data;
}

ol_status ol_run_non_max_suppression(ol_op_ctx *ctx)
{
    const ol_ktensor *boxes = ol_op_input(ctx, 0), *scores = ol_op_input(ctx, 1);
    if (!boxes || !scores)
        return ol_op_fail(ctx, OL_ERR_INVALID, "needs boxes and scores");
    if (boxes->dtype != OL_FLOAT || scores->dtype != OL_FLOAT)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "boxes and scores must be float32");
    if (boxes->rank != 3 || boxes->dims[2] != 4 || scores->rank != 3 || scores->dims[0] != boxes->dims[0] ||
        scores->dims[2] != boxes->dims[1])
        return ol_op_fail(ctx, OL_ERR_INVALID, "boxes must be [batches, boxes, 4] and scores [batches, classes, "
                          "boxes]");
    bool ok = true, has_max, has_iou;
    ol_nms_params p = {.batches = boxes->dims[0], .classes = scores->dims[1], .boxes = boxes->dims[1],
                       .center_point_box = ol_node_attr_int(ol_op_node(ctx), "center_point_box", 0) != 0};
    /* Without max_output_boxes_per_class nothing is selected. */
    int64_t max_per_class = (int64_t)scalar_input(ctx, 2, OL_INT64, 0, &has_max, &ok);
    p.max_per_class = max_per_class > 0 ? max_per_class : 0;
    p.iou_threshold = (float)scalar_input(ctx, 3, OL_FLOAT, 0, &has_iou, &ok);
    p.score_threshold = (float)scalar_input(ctx, 4, OL_FLOAT, 0, &p.has_score_threshold, &ok);
    if (!ok)
        return ol_op_error(ctx)->status;
    if (p.iou_threshold < 0 || p.iou_threshold > 1)
        return ol_op_fail(ctx, OL_ERR_INVALID, "iou_threshold %g is outside [0, 1]", p.iou_threshold);
    int64_t capacity = ol_nms_capacity(&p);
    int64_t *buf = ol_op_scratch(ctx, sizeof(int64_t) * (size_t)(3 * capacity + 2 * p.boxes + 1));
    if (!buf)
        return ol_op_error(ctx)->status;
    int64_t count = ol_nms_f32(&p, boxes->data, scores->data, buf + 2 * p.boxes, buf);
    int64_t dims[2] = {count, 3};
    ol_ktensor *y = ol_op_output(ctx, 0, OL_INT64, 2, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    if (count)
        memcpy(y->data, buf + 2 * p.boxes, sizeof(int64_t) * (size_t)(3 * count));
    return OL_OK;
}

static bool attr_is(const char *s, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(s, want, len) == 0;
}

ol_status ol_run_roi_align(ol_op_ctx *ctx)
{
    const ol_node *node = ol_op_node(ctx);
    const ol_ktensor *x = ol_op_input(ctx, 0), *rois = ol_op_input(ctx, 1), *batch = ol_op_input(ctx, 2);
    if (!x || !rois || !batch)
        return ol_op_fail(ctx, OL_ERR_INVALID, "needs X, rois and batch_indices");
    if (x->dtype != OL_FLOAT || rois->dtype != OL_FLOAT)
        return ol_op_fail(ctx, OL_ERR_UNSUPPORTED, "X and rois must be float32 or float16");
    if (x->rank != 4 || rois->rank != 2 || rois->dims[1] != 4 || batch->dtype != OL_INT64 || batch->rank != 1 ||
        batch->dims[0] != rois->dims[0])
        return ol_op_fail(ctx, OL_ERR_INVALID, "X must be [N, C, H, W], rois [R, 4] and batch_indices int64 [R]");
    const int64_t *bi = batch->data;
    for (int64_t i = 0; i < batch->dims[0]; i++)
        if (bi[i] < 0 || bi[i] >= x->dims[0])
            return ol_op_fail(ctx, OL_ERR_INVALID, "batch index %lld is outside [0, %lld)", (long long)bi[i],
                              (long long)x->dims[0]);
    ol_roi_align_params p = {.channels = x->dims[1], .height = x->dims[2], .width = x->dims[3],
                             .rois = rois->dims[0], .out_h = ol_node_attr_int(node, "output_height", 1),
                             .out_w = ol_node_attr_int(node, "output_width", 1),
                             .sampling_ratio = ol_node_attr_int(node, "sampling_ratio", 0),
                             .spatial_scale = ol_node_attr_float(node, "spatial_scale", 1.0f)};
    size_t len = 0;
    const char *mode = ol_node_attr_string(node, "mode", &len);
    if (mode && !attr_is(mode, len, "avg") && !attr_is(mode, len, "max"))
        return ol_op_fail(ctx, OL_ERR_INVALID, "mode '%.*s' is not avg or max", (int)len, mode);
    p.max_mode = mode && attr_is(mode, len, "max");
    /* Opset 16 added the attribute with half_pixel as default; before, ROIs were output_half_pixel. */
    const char *ctm = ol_node_attr_string(node, "coordinate_transformation_mode", &len);
    p.half_pixel = ol_op_opset(ctx) >= 16;
    if (ctm) {
        if (!attr_is(ctm, len, "half_pixel") && !attr_is(ctm, len, "output_half_pixel"))
            return ol_op_fail(ctx, OL_ERR_INVALID, "coordinate_transformation_mode '%.*s' is not supported", (int)len,
                              ctm);
        p.half_pixel = attr_is(ctm, len, "half_pixel");
    }
    if (p.out_h <= 0 || p.out_w <= 0)
        return ol_op_fail(ctx, OL_ERR_INVALID, "output_height and output_width must be positive");
    int64_t dims[4] = {p.rois, p.channels, p.out_h, p.out_w};
    ol_ktensor *y = ol_op_output(ctx, 0, OL_FLOAT, 4, dims);
    if (!y)
        return ol_op_error(ctx)->status;
    if (p.height == 0 || p.width == 0)
        memset(y->data, 0, ol_ktensor_nbytes(y));
    else
        ol_roi_align_f32(&p, x->data, rois->data, bi, y->data);
    return OL_OK;
}
