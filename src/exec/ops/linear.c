#include "exec/op.h"

const ol_op_def ol_ops_linear[] = {
    {0},
};
