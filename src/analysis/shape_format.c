#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "analysis/json_text.h"
#include "analysis/shape_format.h"

char *ol_shape_format(const ol_type *type, char *buf, size_t size)
{
    if (size == 0)
        return buf;
    if (type->kind == OL_TYPE_OTHER) {
        snprintf(buf, size, "(not a tensor)");
        return buf;
    }
    if (type->kind != OL_TYPE_TENSOR || type->rank < 0) {
        snprintf(buf, size, "?");
        return buf;
    }
    size_t used = 0;
    bool truncated = false;
    for (int i = -1; i <= type->rank && !truncated; i++) {
        int n;
        if (i == -1)
            n = snprintf(buf + used, size - used, "[");
        else if (i == type->rank)
            n = snprintf(buf + used, size - used, "]");
        else if (type->dims[i].value >= 0)
            n = snprintf(buf + used, size - used, "%s%" PRId64, i ? ", " : "", type->dims[i].value);
        else
            n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
                         type->dims[i].param ? type->dims[i].param : "?");
        if (n < 0 || (size_t)n >= size - used)
            truncated = true;
        else
            used += (size_t)n;
    }
    if (truncated && size >= 4)
        memcpy(buf + size - 4, "...", 4);
    return buf;
}

json_t *ol_shape_json(const ol_type *type)
{
    if (type->kind != OL_TYPE_TENSOR || type->rank < 0)
        return json_null();
    json_t *dims = json_array();
    for (int i = 0; dims && i < type->rank; i++) {
        const ol_dim *dim = &type->dims[i];
        json_t *item = dim->value >= 0 ? json_integer(dim->value)
                       : dim->param    ? ol_json_text(dim->param)
                                       : json_null();
        if (json_array_append_new(dims, item) != 0) {
            json_decref(dims);
            return NULL;
        }
    }
    return dims;
}
