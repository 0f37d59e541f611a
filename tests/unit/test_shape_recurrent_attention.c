/* Shape inference of the recurrent layers (RNN, GRU, LSTM in both layouts) and of Attention
 * (3-D and 4-D inputs, grouped heads, key/value caches). */
#include "test_shape_graph.h"

Test(shape_recurrent, lstm_layout_0_bidirectional)
{
    ol_model *m = sg_model(14);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "seq,batch,10");
    ol_value *w = sg_input(m->graph, "w", OL_FLOAT, "2,80,10");
    ol_value *r = sg_input(m->graph, "r", OL_FLOAT, "2,80,20");
    ol_node *lstm = sg_node(m->graph, "LSTM", "lstm", SG_VALUES(x, w, r), 3);
    sg_attr_string(lstm, "direction", "bidirectional");
    sg_infer_ok(m);
    /* hidden_size comes from W: 80 rows = 4 gates x 20 */
    sg_assert_type(sg_out(lstm, 0), "float32[seq,2,batch,20]");
    sg_assert_type(sg_out(lstm, 1), "float32[2,batch,20]");
    sg_assert_type(sg_out(lstm, 2), "float32[2,batch,20]");
    ol_model_destroy(m);
}

Test(shape_recurrent, gru_and_rnn_layout_1)
{
    ol_model *m = sg_model(14);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "batch,seq,10");
    ol_value *wg = sg_input(m->graph, "wg", OL_FLOAT, "1,48,10");
    ol_value *rg = sg_input(m->graph, "rg", OL_FLOAT, "1,48,16");
    ol_node *gru = sg_node(m->graph, "GRU", "gru", SG_VALUES(x, wg, rg), 2);
    sg_attr_int(gru, "layout", 1);
    sg_attr_int(gru, "hidden_size", 16);
    ol_value *wr = sg_input(m->graph, "wr", OL_FLOAT, "1,8,10");
    ol_value *rr = sg_input(m->graph, "rr", OL_FLOAT, "1,8,8");
    ol_node *rnn = sg_node(m->graph, "RNN", "rnn", SG_VALUES(x, wr, rr), 2);
    sg_attr_int(rnn, "layout", 1);
    sg_attr_string(rnn, "direction", "reverse");
    sg_infer_ok(m);
    sg_assert_type(sg_out(gru, 0), "float32[batch,seq,1,16]");
    sg_assert_type(sg_out(gru, 1), "float32[batch,1,16]");
    sg_assert_type(sg_out(rnn, 0), "float32[batch,seq,1,8]");
    ol_model_destroy(m);
}

Test(shape_recurrent, inconsistent_hidden_size_is_an_error)
{
    ol_model *m = sg_model(14);
    ol_value *x = sg_input(m->graph, "x", OL_FLOAT, "5,2,10");
    ol_value *w = sg_input(m->graph, "w", OL_FLOAT, "1,48,10");
    ol_value *r = sg_input(m->graph, "r", OL_FLOAT, "1,48,16");
    ol_node *gru = sg_node(m->graph, "GRU", "gru", SG_VALUES(x, w, r), 2);
    sg_attr_int(gru, "hidden_size", 12);
    sg_assert_contains(sg_infer_fails(m), "hidden_size differs from weight W's: 12 vs 16");
    ol_model_destroy(m);
}

Test(shape_attention, four_d_with_cache)
{
    ol_model *m = sg_model(23);
    ol_value *q = sg_input(m->graph, "q", OL_FLOAT, "batch,8,q,64");
    ol_value *k = sg_input(m->graph, "k", OL_FLOAT, "batch,2,kv,64");
    ol_value *v = sg_input(m->graph, "v", OL_FLOAT, "batch,2,kv,32");
    ol_value *past_k = sg_input(m->graph, "past_k", OL_FLOAT, "batch,2,0,64");
    ol_value *past_v = sg_input(m->graph, "past_v", OL_FLOAT, "batch,2,0,32");
    ol_node *att = sg_node(m->graph, "Attention", "att", SG_VALUES(q, k, v, NULL, past_k, past_v), 4);
    sg_infer_ok(m);
    sg_assert_type(sg_out(att, 0), "float32[batch,8,q,32]");
    sg_assert_type(sg_out(att, 1), "float32[batch,2,kv,64]");
    sg_assert_type(sg_out(att, 2), "float32[batch,2,kv,32]");
    sg_assert_type(sg_out(att, 3), "float32[batch,8,q,kv]");
    ol_model_destroy(m);
}

Test(shape_attention, three_d_needs_head_counts)
{
    ol_model *m = sg_model(23);
    ol_value *q = sg_input(m->graph, "q", OL_FLOAT, "2,4,96");
    ol_value *k = sg_input(m->graph, "k", OL_FLOAT, "2,6,96");
    ol_value *v = sg_input(m->graph, "v", OL_FLOAT, "2,6,48");
    ol_node *att = sg_node(m->graph, "Attention", "att", SG_VALUES(q, k, v), 1);
    sg_attr_int(att, "q_num_heads", 4);
    sg_attr_int(att, "kv_num_heads", 2);
    sg_infer_ok(m);
    /* Y: 4 query heads x V's head size (48 / 2) */
    sg_assert_type(sg_out(att, 0), "float32[2,4,96]");
    ol_model_destroy(m);

    m = sg_model(23);
    q = sg_input(m->graph, "q", OL_FLOAT, "2,4,96");
    att = sg_node(m->graph, "Attention", "att", SG_VALUES(q, q, q), 1);
    sg_assert_contains(sg_infer_fails(m), "3-D inputs need positive q_num_heads and kv_num_heads");
    ol_model_destroy(m);
}
