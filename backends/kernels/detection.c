#include "kernels/detection.h"

#include <math.h>

int64_t ol_nms_capacity(const ol_nms_params *p)
{
    int64_t per_class = p->max_per_class < p->boxes ? p->max_per_class : p->boxes;
    return p->batches * p->classes * (per_class > 0 ? per_class : 0);
}

/* Box as (min_y, min_x, max_y, max_x). */
static void corners(const float *box, bool center_point, float *c)
{
    if (center_point) {
        float hw = box[2] / 2, hh = box[3] / 2;
        c[0] = box[1] - hh;
        c[1] = box[0] - hw;
        c[2] = box[1] + hh;
        c[3] = box[0] + hw;
        return;
    }
    c[0] = fminf(box[0], box[2]);
    c[1] = fminf(box[1], box[3]);
    c[2] = fmaxf(box[0], box[2]);
    c[3] = fmaxf(box[1], box[3]);
}

static bool suppresses(const float *a, const float *b, bool center_point, float iou_threshold)
{
    float ca[4], cb[4];
    corners(a, center_point, ca);
    corners(b, center_point, cb);
    float y0 = fmaxf(ca[0], cb[0]), x0 = fmaxf(ca[1], cb[1]), y1 = fminf(ca[2], cb[2]), x1 = fminf(ca[3], cb[3]);
    if (x1 <= x0 || y1 <= y0)
        return false;
    float inter = (x1 - x0) * (y1 - y0);
    float area_a = (ca[2] - ca[0]) * (ca[3] - ca[1]), area_b = (cb[2] - cb[0]) * (cb[3] - cb[1]);
    float uni = area_a + area_b - inter;
    if (inter <= 0 || area_a <= 0 || area_b <= 0 || uni <= 0)
        return false;
    return inter / uni > iou_threshold;
}

/* Candidates sorted by descending score, then ascending index (stable insertion into the sorted
 * prefix: the candidate lists of NMS are short). */
static void sort_candidates(const float *scores, int64_t *idx, int64_t n)
{
    for (int64_t i = 1; i < n; i++) {
        int64_t v = idx[i], j = i;
        while (j > 0 && (scores[idx[j - 1]] < scores[v] || (scores[idx[j - 1]] == scores[v] && idx[j - 1] > v))) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = v;
    }
}

int64_t ol_nms_f32(const ol_nms_params *p, const float *boxes, const float *scores, int64_t *selected,
                   int64_t *work)
{
    int64_t count = 0;
    int64_t *cand = work, *chosen = work + p->boxes;
    for (int64_t b = 0; b < p->batches; b++)
        for (int64_t c = 0; c < p->classes; c++) {
            const float *s = scores + (b * p->classes + c) * p->boxes;
            const float *bx = boxes + b * p->boxes * 4;
            int64_t n = 0;
            for (int64_t i = 0; i < p->boxes; i++)
                if (!p->has_score_threshold || s[i] > p->score_threshold)
                    cand[n++] = i;
            sort_candidates(s, cand, n);
            int64_t n_chosen = 0;
            for (int64_t k = 0; k < n && n_chosen < p->max_per_class; k++) {
                bool keep = true;
                for (int64_t j = 0; j < n_chosen && keep; j++)
                    keep = !suppresses(bx + cand[k] * 4, bx + chosen[j] * 4, p->center_point_box, p->iou_threshold);
                if (!keep)
                    continue;
                chosen[n_chosen++] = cand[k];
                selected[count * 3] = b;
                selected[count * 3 + 1] = c;
                selected[count * 3 + 2] = cand[k];
                count++;
            }
        }
    return count;
}

/* Bilinear sample at (y, x) as 4 corner offsets and weights; all zero outside [-1, size]. */
typedef struct sample {
    int64_t pos[4];
    float w[4];
} sample;

static sample bilinear_sample(const ol_roi_align_params *p, float y, float x)
{
    sample s = {{0, 0, 0, 0}, {0, 0, 0, 0}};
    float h = (float)p->height, w = (float)p->width;
    if (y < -1.0f || y > h || x < -1.0f || x > w)
        return s;
    y = fmaxf(y, 0);
    x = fmaxf(x, 0);
    int64_t y_low = (int64_t)y, x_low = (int64_t)x, y_high, x_high;
    if (y_low >= p->height - 1) {
        y_high = y_low = p->height - 1;
        y = (float)y_low;
    } else {
        y_high = y_low + 1;
    }
    if (x_low >= p->width - 1) {
        x_high = x_low = p->width - 1;
        x = (float)x_low;
    } else {
        x_high = x_low + 1;
    }
    float ly = y - (float)y_low, lx = x - (float)x_low, hy = 1 - ly, hx = 1 - lx;
    s.pos[0] = y_low * p->width + x_low;
    s.pos[1] = y_low * p->width + x_high;
    s.pos[2] = y_high * p->width + x_low;
    s.pos[3] = y_high * p->width + x_high;
    s.w[0] = hy * hx;
    s.w[1] = hy * lx;
    s.w[2] = ly * hx;
    s.w[3] = ly * lx;
    return s;
}

void ol_roi_align_f32(const ol_roi_align_params *p, const float *x, const float *rois,
                      const int64_t *batch_indices, float *y)
{
    float offset = p->half_pixel ? 0.5f : 0.0f;
    for (int64_t n = 0; n < p->rois; n++) {
        const float *roi = rois + n * 4;
        float start_w = roi[0] * p->spatial_scale - offset, start_h = roi[1] * p->spatial_scale - offset;
        float end_w = roi[2] * p->spatial_scale - offset, end_h = roi[3] * p->spatial_scale - offset;
        float roi_w = end_w - start_w, roi_h = end_h - start_h;
        if (!p->half_pixel) {
            roi_w = fmaxf(roi_w, 1.0f);
            roi_h = fmaxf(roi_h, 1.0f);
        }
        float bin_h = roi_h / (float)p->out_h, bin_w = roi_w / (float)p->out_w;
        int64_t grid_h = p->sampling_ratio > 0 ? p->sampling_ratio : (int64_t)ceilf(roi_h / (float)p->out_h);
        int64_t grid_w = p->sampling_ratio > 0 ? p->sampling_ratio : (int64_t)ceilf(roi_w / (float)p->out_w);
        float count = (float)(grid_h * grid_w > 1 ? grid_h * grid_w : 1);
        const float *plane0 = x + batch_indices[n] * p->channels * p->height * p->width;
        for (int64_t ph = 0; ph < p->out_h; ph++)
            for (int64_t pw = 0; pw < p->out_w; pw++) {
                for (int64_t ch = 0; ch < p->channels; ch++) {
                    const float *plane = plane0 + ch * p->height * p->width;
                    float acc = 0;
                    bool first = true;
                    for (int64_t iy = 0; iy < grid_h; iy++) {
                        float yy = start_h + (float)ph * bin_h + ((float)iy + 0.5f) * bin_h / (float)grid_h;
                        for (int64_t ix = 0; ix < grid_w; ix++) {
                            float xx = start_w + (float)pw * bin_w + ((float)ix + 0.5f) * bin_w / (float)grid_w;
                            sample s = bilinear_sample(p, yy, xx);
                            if (!p->max_mode) {
                                for (int k = 0; k < 4; k++)
                                    acc += s.w[k] * plane[s.pos[k]];
                                continue;
                            }
                            float v = s.w[0] * plane[s.pos[0]];
                            for (int k = 1; k < 4; k++)
                                v = fmaxf(v, s.w[k] * plane[s.pos[k]]);
                            acc = first ? v : fmaxf(acc, v);
                            first = false;
                        }
                    }
                    y[((n * p->channels + ch) * p->out_h + ph) * p->out_w + pw] = p->max_mode ? acc : acc / count;
                }
            }
    }
}
