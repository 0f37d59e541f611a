#include "exec/op.h"

const ol_op_def ol_ops_elementwise[] = {
    {0},
};
