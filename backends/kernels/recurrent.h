/* Recurrent layers (float32): ONNX RNN, GRU and LSTM over a whole sequence, forward, reverse or
 * bidirectional, with per-batch sequence lengths. The input projections of all time steps are one
 * GEMM per direction; each step then does one (GRU: two) GEMM for the recurrence. */
#ifndef OL_KERNELS_RECURRENT_H
#define OL_KERNELS_RECURRENT_H

#include <stdbool.h>
#include <stdint.h>

typedef enum ol_rnn_kind { OL_RNN_SIMPLE, OL_RNN_GRU, OL_RNN_LSTM } ol_rnn_kind;

typedef enum ol_rnn_act_kind {
    OL_RNN_RELU, OL_RNN_TANH, OL_RNN_SIGMOID, OL_RNN_AFFINE, OL_RNN_LEAKY_RELU, OL_RNN_THRESHOLDED_RELU,
    OL_RNN_SCALED_TANH, OL_RNN_HARD_SIGMOID, OL_RNN_ELU, OL_RNN_SOFTSIGN, OL_RNN_SOFTPLUS,
} ol_rnn_act_kind;

typedef struct ol_rnn_activation {
    ol_rnn_act_kind kind;
    float alpha, beta;
} ol_rnn_activation;

typedef struct ol_rnn_params {
    ol_rnn_kind kind;
    int64_t seq, batch, input, hidden;
    int directions;               /* 1 or 2 (bidirectional: forward then reverse) */
    bool reverse;                 /* one direction, run backwards */
    bool batch_first;             /* layout 1: X [batch][seq][input], Y [batch][seq][dirs][hidden],
                                     states [batch][dirs][hidden] */
    float clip;                   /* > 0: gate inputs are clipped to [-clip, clip] */
    bool linear_before_reset;     /* GRU */
    bool input_forget;            /* LSTM: forget gate = 1 - input gate */
    /* Per direction: f (all), g (GRU, LSTM), h (LSTM). */
    ol_rnn_activation act[2][3];
} ol_rnn_params;

/* Gates per kind: 1, 3 (z, r, h) and 4 (i, o, f, c). */
int ol_rnn_gates(ol_rnn_kind kind);

/* Floats of workspace ol_rnn_f32 needs. */
int64_t ol_rnn_workspace(const ol_rnn_params *p);

/* Weights per direction: w [gates * hidden][input], r [gates * hidden][hidden], b [2 * gates * hidden]
 * (input then recurrence biases; NULL: zeros), peephole [3 * hidden] (i, o, f; NULL: none).
 * seq_lens [batch] (NULL: all seq; each in [0, seq]), h0 / c0 initial states (NULL: zeros).
 * Outputs y, y_h, y_c may be NULL; y is zero after a batch entry's length. */
void ol_rnn_f32(const ol_rnn_params *p, const float *x, const float *w, const float *r, const float *b,
                const float *peephole, const int32_t *seq_lens, const float *h0, const float *c0, float *y,
                float *y_h, float *y_c, float *workspace);

#endif
