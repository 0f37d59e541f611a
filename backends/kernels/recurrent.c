#include "kernels/recurrent.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "kernels/blas_core.h"

int ol_rnn_gates(ol_rnn_kind kind)
{
    return kind == OL_RNN_SIMPLE ? 1 : kind == OL_RNN_GRU ? 3 : 4;
}

int64_t ol_rnn_workspace(const ol_rnn_params *p)
{
    int64_t gh = ol_rnn_gates(p->kind) * p->hidden;
    /* projections of all steps, the recurrence of one step, h, c and two GRU temporaries */
    return p->seq * p->batch * gh + p->batch * gh + 4 * p->batch * p->hidden;
}

static float activate(const ol_rnn_activation *a, float x)
{
    switch (a->kind) {
    case OL_RNN_RELU:
        return x > 0 ? x : 0;
    case OL_RNN_TANH:
        return tanhf(x);
    case OL_RNN_SIGMOID:
        return 1.0f / (1.0f + expf(-x));
    case OL_RNN_AFFINE:
        return a->alpha * x + a->beta;
    case OL_RNN_LEAKY_RELU:
        return x >= 0 ? x : a->alpha * x;
    case OL_RNN_THRESHOLDED_RELU:
        return x > a->alpha ? x : 0;
    case OL_RNN_SCALED_TANH:
        return a->alpha * tanhf(a->beta * x);
    case OL_RNN_HARD_SIGMOID: {
        float v = a->alpha * x + a->beta;
        return v < 0 ? 0 : v > 1 ? 1 : v;
    }
    case OL_RNN_ELU:
        return x >= 0 ? x : a->alpha * (expf(x) - 1);
    case OL_RNN_SOFTSIGN:
        return x / (1 + fabsf(x));
    case OL_RNN_SOFTPLUS:
        return x > 20 ? x : log1pf(expf(x));
    }
    return x;
}

/* The activation of a clipped gate input. */
static float gate(const ol_rnn_params *p, const ol_rnn_activation *a, float x)
{
    if (p->clip > 0)
        x = x < -p->clip ? -p->clip : x > p->clip ? p->clip : x;
    return activate(a, x);
}

/* Offset of (step t, direction d, batch entry b) in Y, in units of hidden vectors. */
static int64_t y_row(const ol_rnn_params *p, int64_t t, int d, int64_t b)
{
    return p->batch_first ? (b * p->seq + t) * p->directions + d : (t * p->directions + d) * p->batch + b;
}

static int64_t state_row(const ol_rnn_params *p, int d, int64_t b)
{
    return p->batch_first ? b * p->directions + d : d * p->batch + b;
}

/* One step of batch entry b: combines the input projection xw and recurrence hr (each gates * hidden,
 * biases included) into the new h (and c). */
static void cell(const ol_rnn_params *p, int d, const float *xw, const float *hr, const float *rh_h,
                 const float *b_rh, const float *peep, float *h, float *c)
{
    int64_t n = p->hidden;
    const ol_rnn_activation *f = &p->act[d][0], *g = &p->act[d][1], *hh = &p->act[d][2];
    switch (p->kind) {
    case OL_RNN_SIMPLE:
        for (int64_t i = 0; i < n; i++)
            h[i] = gate(p, f, xw[i] + hr[i]);
        break;
    case OL_RNN_GRU:
        /* z, r and the candidate: with linear_before_reset the candidate's recurrence r * (R_h h + Rb_h)
         * comes from hr; without, rh_h holds R_h (r * h) and b_rh the bias Rb_h. */
        for (int64_t i = 0; i < n; i++) {
            float z = gate(p, f, xw[i] + hr[i]);
            float r = gate(p, f, xw[n + i] + hr[n + i]);
            float pre = p->linear_before_reset ? xw[2 * n + i] + r * hr[2 * n + i]
                                               : xw[2 * n + i] + rh_h[i] + (b_rh ? b_rh[i] : 0);
            float cand = gate(p, g, pre);
            h[i] = (1 - z) * cand + z * h[i];
        }
        break;
    case OL_RNN_LSTM:
        for (int64_t i = 0; i < n; i++) {
            float c_prev = c[i];
            float in = gate(p, f, xw[i] + hr[i] + (peep ? peep[i] * c_prev : 0));
            float forget = p->input_forget ? 1 - in
                                           : gate(p, f, xw[2 * n + i] + hr[2 * n + i] +
                                                            (peep ? peep[2 * n + i] * c_prev : 0));
            float cand = gate(p, g, xw[3 * n + i] + hr[3 * n + i]);
            float c_new = forget * c_prev + in * cand;
            float out = gate(p, f, xw[n + i] + hr[n + i] + (peep ? peep[n + i] * c_new : 0));
            c[i] = c_new;
            h[i] = out * activate(hh, c_new);
        }
        break;
    }
}

static void run_direction(const ol_rnn_params *p, int d, const float *x, const float *w, const float *r,
                          const float *b, const float *peep, const int32_t *seq_lens, const float *h0,
                          const float *c0, float *y, float *y_h, float *y_c, float *ws)
{
    int gates = ol_rnn_gates(p->kind);
    int64_t n = p->hidden, gh = gates * n, rows = p->seq * p->batch;
    bool backwards = d == 1 || p->reverse;
    float *xw = ws, *hr = xw + rows * gh, *h = hr + p->batch * gh, *c = h + p->batch * n;
    float *rh_in = c + p->batch * n, *rh_h = rh_in + p->batch * n;
    /* Input projections of every step, row (t, b) or (b, t) as X is laid out, with both biases
     * (except the GRU candidate's recurrence bias, which the reset gate scales or which goes after
     * the reset product). */
    if (p->input > 0 && rows > 0)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)gh, (int)p->input, 1.0f, x,
                    (int)p->input, w, (int)p->input, 0.0f, xw, (int)gh);
    else
        memset(xw, 0, sizeof(float) * (size_t)(rows * gh));
    bool gru_candidate_apart = p->kind == OL_RNN_GRU;
    if (b)
        for (int64_t row = 0; row < rows; row++)
            for (int64_t j = 0; j < gh; j++)
                xw[row * gh + j] += b[j] + (gru_candidate_apart && j >= 2 * n ? 0 : b[gh + j]);
    const float *b_rh = b && p->kind == OL_RNN_GRU ? b + gh + 2 * n : NULL;
    for (int64_t bi = 0; bi < p->batch; bi++) {
        int64_t s = state_row(p, d, bi);
        if (h0)
            memcpy(h + bi * n, h0 + s * n, sizeof(float) * (size_t)n);
        else
            memset(h + bi * n, 0, sizeof(float) * (size_t)n);
        if (p->kind == OL_RNN_LSTM) {
            if (c0)
                memcpy(c + bi * n, c0 + s * n, sizeof(float) * (size_t)n);
            else
                memset(c + bi * n, 0, sizeof(float) * (size_t)n);
        }
    }
    for (int64_t step = 0; step < p->seq; step++) {
        /* Recurrence of all batch entries at once: hr = h R^T. */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)p->batch, (int)gh, (int)n, 1.0f, h, (int)n, r,
                    (int)n, 0.0f, hr, (int)gh);
        if (p->kind == OL_RNN_GRU && p->linear_before_reset && b_rh)
            for (int64_t bi = 0; bi < p->batch; bi++)
                for (int64_t i = 0; i < n; i++)
                    hr[bi * gh + 2 * n + i] += b_rh[i];
        if (p->kind == OL_RNN_GRU && !p->linear_before_reset) {
            /* The candidate reads R_h (r * h): r needs this step's z/r inputs first. */
            for (int64_t bi = 0; bi < p->batch; bi++) {
                int64_t len = seq_lens ? seq_lens[bi] : p->seq;
                int64_t t = backwards ? len - 1 - step : step;
                if (step >= len) {
                    memset(rh_in + bi * n, 0, sizeof(float) * (size_t)n);
                    continue;
                }
                const float *xrow = xw + (p->batch_first ? bi * p->seq + t : t * p->batch + bi) * gh;
                for (int64_t i = 0; i < n; i++)
                    rh_in[bi * n + i] =
                        gate(p, &p->act[d][0], xrow[n + i] + hr[bi * gh + n + i]) * h[bi * n + i];
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)p->batch, (int)n, (int)n, 1.0f, rh_in, (int)n,
                        r + 2 * n * n, (int)n, 0.0f, rh_h, (int)n);
        }
        for (int64_t bi = 0; bi < p->batch; bi++) {
            int64_t len = seq_lens ? seq_lens[bi] : p->seq;
            if (step >= len)
                continue;   /* past this entry's end: its state stays, its Y rows stay zero */
            int64_t t = backwards ? len - 1 - step : step;
            const float *xrow = xw + (p->batch_first ? bi * p->seq + t : t * p->batch + bi) * gh;
            cell(p, d, xrow, hr + bi * gh, rh_h + bi * n, b_rh, peep, h + bi * n, c + bi * n);
            if (y)
                memcpy(y + y_row(p, t, d, bi) * n, h + bi * n, sizeof(float) * (size_t)n);
        }
    }
    for (int64_t bi = 0; bi < p->batch; bi++) {
        int64_t s = state_row(p, d, bi);
        if (y_h)
            memcpy(y_h + s * n, h + bi * n, sizeof(float) * (size_t)n);
        if (y_c)
            memcpy(y_c + s * n, c + bi * n, sizeof(float) * (size_t)n);
    }
}

void ol_rnn_f32(const ol_rnn_params *p, const float *x, const float *w, const float *r, const float *b,
                const float *peephole, const int32_t *seq_lens, const float *h0, const float *c0, float *y,
                float *y_h, float *y_c, float *workspace)
{
    ol_blas_ensure_core();
    int64_t gh = ol_rnn_gates(p->kind) * p->hidden;
    if (y)
        memset(y, 0, sizeof(float) * (size_t)(p->seq * p->directions * p->batch * p->hidden));
    for (int d = 0; d < p->directions; d++)
        run_direction(p, d, x, w + d * gh * p->input, r + d * gh * p->hidden, b ? b + d * 2 * gh : NULL,
                      peephole ? peephole + d * 3 * p->hidden : NULL, seq_lens, h0, c0, y, y_h, y_c, workspace);
}
