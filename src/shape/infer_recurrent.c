/* Recurrent layers (RNN, GRU, LSTM). With layout 0 the input is [seq, batch, input] and the outputs
 * Y [seq, directions, batch, hidden], Y_h (and LSTM's Y_c) [directions, batch, hidden]; layout 1
 * puts batch first: [batch, seq, input], Y [batch, seq, directions, hidden], Y_h [batch, directions,
 * hidden]. */
#include <string.h>

#include "shape/infer_internal.h"

/* Gate blocks stacked in W's second dim: hidden_size can be read from W when the attribute is absent. */
static int64_t gate_count(const char *op_type)
{
    return strcmp(op_type, "LSTM") == 0 ? 4 : strcmp(op_type, "GRU") == 0 ? 3 : 1;
}

ol_status infer_recurrent(infer_ctx *c)
{
    ol_status st;
    for (size_t i = 0; i < 3; i++)
        if ((st = infer_in_require(c, i)) != OL_OK)
            return st;
    ol_dtype elem = infer_in_elem(c, 0);
    int64_t hidden, layout;
    const char *dir;
    size_t dir_len;
    if ((st = infer_attr_int(c, "hidden_size", -1, &hidden)) != OL_OK ||
        (st = infer_attr_int(c, "layout", 0, &layout)) != OL_OK ||
        (st = infer_attr_string(c, "direction", "forward", &dir, &dir_len)) != OL_OK)
        return st;
    int64_t directions;
    if (infer_bytes_equal(dir, dir_len, "forward") || infer_bytes_equal(dir, dir_len, "reverse"))
        directions = 1;
    else if (infer_bytes_equal(dir, dir_len, "bidirectional"))
        directions = 2;
    else
        return infer_fail(c, "unknown direction '%.*s'", (int)dir_len, dir);
    if (layout != 0 && layout != 1)
        return infer_fail(c, "layout must be 0 or 1, not %lld", (long long)layout);
    if (ol_node_attr(c->node, "hidden_size") && hidden < 1)
        return infer_fail(c, "hidden_size %lld must be positive", (long long)hidden);
    int rx = infer_in_rank(c, 0), rw = infer_in_rank(c, 1);
    if (rx >= 0 && rx != 3)
        return infer_fail(c, "input X must have rank 3, not %d", rx);
    if (rw >= 0 && rw != 3)
        return infer_fail(c, "weight W must have rank 3, not %d", rw);
    ol_dim h = hidden > 0 ? dim_of(hidden) : dim_unknown();
    if (rw == 3) {
        const ol_dim *w = infer_in_dims(c, 1);
        if (dim_known(&w[0]) && w[0].value != directions)
            return infer_fail(c, "weight W is for %lld directions but direction is '%.*s'",
                              (long long)w[0].value, (int)dir_len, dir);
        int64_t gates = gate_count(c->node->op_type);
        if (dim_known(&w[1])) {
            if (w[1].value % gates != 0)
                return infer_fail(c, "weight W has %lld rows, not a multiple of %lld gates",
                                  (long long)w[1].value, (long long)gates);
            ol_dim from_w = dim_of(w[1].value / gates);
            if ((st = infer_dim_unify(c, &h, &from_w, "hidden_size differs from weight W's", &h)) != OL_OK)
                return st;
        }
    }
    ol_dim seq = dim_unknown(), batch = dim_unknown(), dirs = dim_of(directions);
    if (rx == 3) {
        seq = infer_in_dims(c, 0)[layout ? 1 : 0];
        batch = infer_in_dims(c, 0)[layout ? 0 : 1];
    }
    ol_dim y[4], state[3];
    if (layout == 0) {
        y[0] = seq, y[1] = dirs, y[2] = batch, y[3] = h;
        state[0] = dirs, state[1] = batch, state[2] = h;
    } else {
        y[0] = batch, y[1] = seq, y[2] = dirs, y[3] = h;
        state[0] = batch, state[1] = dirs, state[2] = h;
    }
    if ((st = infer_out_tensor_dims(c, 0, elem, 4, y)) != OL_OK ||
        (st = infer_out_tensor_dims(c, 1, elem, 3, state)) != OL_OK)
        return st;
    return infer_out_tensor_dims(c, 2, elem, 3, state);  /* Y_c; ignored for RNN and GRU, which lack it */
}
