/* The tensor-layout family: the ops move, copy or generate elements; their glue lives in
 * layout_*.c and their kernels in backends/kernels. Copies go by element size, so every
 * byte-sized dtype works; the ops that compute in float32 take float16 through the executor. */
#include "exec/ops/layout_internal.h"

const ol_op_def ol_ops_layout[] = {
    {"Reshape", "", 1, layout_reshape, 0},
    {"Flatten", "", 1, layout_flatten, 0},
    {"Squeeze", "", 1, layout_squeeze, 0},
    {"Unsqueeze", "", 1, layout_unsqueeze, 0},
    {"Identity", "", 1, layout_identity, 0},
    {"Dropout", "", 1, layout_dropout, 0},
    {"Transpose", "", 1, layout_transpose, 0},
    {"DepthToSpace", "", 1, layout_depth_to_space, 0},
    {"SpaceToDepth", "", 1, layout_space_to_depth, 0},
    {"Concat", "", 1, layout_concat, 0},
    {"Split", "", 1, layout_split, 0},
    {"Slice", "", 1, layout_slice, 0},
    {"Pad", "", 1, layout_pad, 0},
    {"Tile", "", 6, layout_tile, 0},
    {"Expand", "", 8, layout_expand, 0},
    {"Gather", "", 1, layout_gather, 0},
    {"GatherElements", "", 11, layout_gather_elements, 0},
    {"GatherND", "", 11, layout_gather_nd, 0},
    /* Scatter (9-10) is ScatterElements without reduction. */
    {"Scatter", "", 9, layout_scatter_elements, OL_OP_F16_VIA_F32},
    {"ScatterElements", "", 11, layout_scatter_elements, OL_OP_F16_VIA_F32},
    {"ScatterND", "", 11, layout_scatter_nd, OL_OP_F16_VIA_F32},
    {"Resize", "", 10, layout_resize, OL_OP_F16_VIA_F32},
    {"Upsample", "", 7, layout_upsample, OL_OP_F16_VIA_F32},
    {"Shape", "", 1, layout_shape, 0},
    {"Size", "", 1, layout_size, 0},
    {"Constant", "", 1, layout_constant, 0},
    {"ConstantOfShape", "", 9, layout_constant_of_shape, 0},
    {"Range", "", 11, layout_range, OL_OP_F16_VIA_F32},
    {"Trilu", "", 14, layout_trilu, 0},
    {"OneHot", "", 9, layout_onehot, 0},
    {"NonZero", "", 9, layout_nonzero, 0},
    {0},
};
