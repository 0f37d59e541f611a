/* Normalizations: the main output has X's type; statistics outputs are per channel (BatchNorm) or
 * per normalized row (LayerNorm). Per-channel parameters are checked against X's channel count. */
#include "shape/infer_internal.h"

/* Fails when input i is a 1-D tensor whose length is known and differs from X's channel count. */
static ol_status check_channel_param(infer_ctx *c, size_t i, const char *what, const ol_dim *channels)
{
    if (!channels || !dim_known(channels) || infer_in_rank(c, i) != 1 || !dim_known(&infer_in_dims(c, i)[0]))
        return OL_OK;
    if (infer_in_dims(c, i)[0].value != channels->value)
        return infer_fail(c, "%s has %lld elements but X has %lld channels", what,
                          (long long)infer_in_dims(c, i)[0].value, (long long)channels->value);
    return OL_OK;
}

static const ol_dim *x_channels(const infer_ctx *c)
{
    return infer_in_rank(c, 0) >= 2 ? &infer_in_dims(c, 0)[1] : NULL;
}

ol_status infer_batch_norm(infer_ctx *c)
{
    static const char *const params[] = {"scale", "B", "mean", "var"};
    ol_status st;
    for (size_t i = 0; i < 5; i++)
        if ((st = infer_in_require(c, i)) != OL_OK)
            return st;
    const ol_dim *channels = x_channels(c);
    for (size_t i = 1; i < 5; i++)
        if ((st = check_channel_param(c, i, params[i - 1], channels)) != OL_OK)
            return st;
    if ((st = infer_out_like_input(c, 0, 0, OL_UNDEFINED)) != OL_OK)
        return st;
    /* Training outputs (running or saved statistics) are vectors over the channels. */
    ol_dim stat = channels ? *channels : dim_unknown();
    if (!channels && infer_in_rank(c, 1) == 1)
        stat = infer_in_dims(c, 1)[0];
    ol_dtype stat_elem = infer_in_elem(c, 3) != OL_UNDEFINED ? infer_in_elem(c, 3) : infer_in_elem(c, 0);
    for (size_t o = 1; o < c->node->n_outputs; o++)
        if (infer_out_present(c, o) && (st = infer_out_tensor_dims(c, o, stat_elem, 1, &stat)) != OL_OK)
            return st;
    return OL_OK;
}

ol_status infer_same_as_first(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    const ol_dim *channels = x_channels(c);
    if ((st = check_channel_param(c, 1, "scale", channels)) != OL_OK ||
        (st = check_channel_param(c, 2, "bias", channels)) != OL_OK)
        return st;
    return infer_out_like_input(c, 0, 0, OL_UNDEFINED);
}

ol_status infer_layer_norm(infer_ctx *c)
{
    ol_status st;
    if ((st = infer_in_require(c, 0)) != OL_OK || (st = infer_in_require(c, 1)) != OL_OK)
        return st;
    int64_t axis, stash;
    if ((st = infer_attr_int(c, "axis", -1, &axis)) != OL_OK ||
        (st = infer_attr_int(c, "stash_type", 1, &stash)) != OL_OK)
        return st;
    if (stash <= OL_UNDEFINED || stash >= OL_DTYPE_COUNT || !ol_dtype_valid((int)stash))
        return infer_fail(c, "stash_type %lld is not a data type", (long long)stash);
    if ((st = infer_out_like_input(c, 0, 0, OL_UNDEFINED)) != OL_OK)
        return st;
    int rank = infer_in_rank(c, 0);
    if (rank < 0) {
        if ((st = infer_out_tensor(c, 1, (ol_dtype)stash, -1)) != OL_OK)
            return st;
        return infer_out_tensor(c, 2, (ol_dtype)stash, -1);
    }
    int a;
    if ((st = infer_axis_normalize(c, axis, rank, "axis", &a)) != OL_OK)
        return st;
    /* Mean and InvStdDev keep the leading dims and collapse the normalized ones to 1. */
    ol_dim stat[OL_MAX_RANK];
    for (int d = 0; d < rank; d++)
        stat[d] = d < a ? infer_in_dims(c, 0)[d] : dim_of(1);
    if ((st = infer_out_tensor_dims(c, 1, (ol_dtype)stash, rank, stat)) != OL_OK)
        return st;
    return infer_out_tensor_dims(c, 2, (ol_dtype)stash, rank, stat);
}

ol_status infer_group_norm(infer_ctx *c)
{
    ol_status st = infer_in_require(c, 0);
    if (st != OL_OK)
        return st;
    int64_t groups;
    if ((st = infer_attr_int(c, "num_groups", 1, &groups)) != OL_OK)
        return st;
    if (!ol_node_attr(c->node, "num_groups"))
        return infer_fail(c, "attribute 'num_groups' is required");
    if (groups < 1)
        return infer_fail(c, "num_groups %lld must be positive", (long long)groups);
    const ol_dim *channels = x_channels(c);
    if (channels && dim_known(channels) && channels->value % groups != 0)
        return infer_fail(c, "%lld channels do not divide into %lld groups", (long long)channels->value,
                          (long long)groups);
    return infer_out_like_input(c, 0, 0, OL_UNDEFINED);
}
