#include "pass/options.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ol_option_type_name(ol_option_type type)
{
    switch (type) {
    case OL_OPTION_BOOL: return "bool";
    case OL_OPTION_INT: return "int";
    case OL_OPTION_FLOAT: return "float";
    case OL_OPTION_STRING: return "string";
    case OL_OPTION_ENUM: return "enum";
    }
    return "unknown";
}

bool ol_option_bare_char(char c)
{
    return c > ' ' && c != 0x7f && !strchr(",{}=\"'\\", c);
}

/* Whether `text[0..len)` is one of the '|'-separated `choices`. */
static bool is_choice(const char *choices, const char *text, size_t len)
{
    for (const char *p = choices; p && *p;) {
        const char *end = strchr(p, '|');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == len && memcmp(p, text, len) == 0)
            return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

static ol_status wrong_type(const ol_pass_option *option, const char *text, size_t len,
                            const char *wants, ol_error *err)
{
    return ol_fail(err, OL_ERR_ARG, "option '%s' wants %s, got '%.*s'", option->name, wants, (int)len,
                   text);
}

ol_status ol_option_parse(const ol_pass_option *option, const char *text, size_t len,
                          ol_option_value *out, ol_error *err)
{
    *out = (ol_option_value){0};
    char buf[64];
    switch (option->type) {
    case OL_OPTION_BOOL:
        if (len == 4 && memcmp(text, "true", 4) == 0)
            out->b = true;
        else if (!(len == 5 && memcmp(text, "false", 5) == 0))
            return wrong_type(option, text, len, "a bool (true or false)", err);
        return OL_OK;
    case OL_OPTION_INT: {
        if (len == 0 || len >= sizeof buf)
            return wrong_type(option, text, len, "an integer", err);
        memcpy(buf, text, len);
        buf[len] = '\0';
        char *end;
        errno = 0;
        long long v = strtoll(buf, &end, 10);
        /* strtoll skips leading blanks and accepts "0x"; neither is pipeline syntax. */
        if (*end || !(buf[0] == '-' || buf[0] == '+' || (buf[0] >= '0' && buf[0] <= '9')))
            return wrong_type(option, text, len, "an integer", err);
        if (errno == ERANGE)
            return ol_fail(err, OL_ERR_ARG, "option '%s': %s is out of the 64-bit integer range",
                           option->name, buf);
        out->i = v;
        return OL_OK;
    }
    case OL_OPTION_FLOAT: {
        if (len == 0 || len >= sizeof buf)
            return wrong_type(option, text, len, "a number", err);
        memcpy(buf, text, len);
        buf[len] = '\0';
        char *end;
        double v = strtod(buf, &end);
        /* strtod also reads hex floats, "inf" and "nan"; pipeline syntax is plain decimal. */
        if (*end || strpbrk(buf, "xX") ||
            !(buf[0] == '-' || buf[0] == '+' || buf[0] == '.' || (buf[0] >= '0' && buf[0] <= '9')))
            return wrong_type(option, text, len, "a number", err);
        if (!isfinite(v))
            return ol_fail(err, OL_ERR_ARG, "option '%s' wants a finite number, got '%s'", option->name,
                           buf);
        out->f = v;
        return OL_OK;
    }
    case OL_OPTION_ENUM:
        if (!is_choice(option->choices, text, len)) {
            char wants[256];
            snprintf(wants, sizeof wants, "one of %s", option->choices ? option->choices : "(none)");
            return wrong_type(option, text, len, wants, err);
        }
        /* fall through */
    case OL_OPTION_STRING:
        if (memchr(text, '\0', len))
            return ol_fail(err, OL_ERR_ARG, "option '%s': a value cannot hold a NUL byte", option->name);
        out->s = strndup(text, len);
        if (!out->s)
            return ol_fail(err, OL_ERR_NOMEM, "out of memory");
        return OL_OK;
    }
    return ol_fail(err, OL_ERR_INTERNAL, "option '%s' has unknown type %d", option->name,
                   (int)option->type);
}

ol_status ol_option_values_init(ol_option_values *values, const ol_pass_def *pass, ol_error *err)
{
    *values = (ol_option_values){.pass = pass};
    values->items = calloc(pass->n_options ? pass->n_options : 1, sizeof *values->items);
    if (!values->items)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < pass->n_options; i++) {
        const ol_pass_option *option = &pass->options[i];
        ol_status st = ol_option_parse(option, option->default_value, strlen(option->default_value),
                                       &values->items[i], err);
        if (st != OL_OK) {
            ol_error_prefix(err, "pass '%s': default of ", pass->name);
            ol_option_values_clear(values);
            return st;
        }
    }
    return OL_OK;
}

void ol_option_values_set(ol_option_values *values, size_t index, ol_option_value value)
{
    free(values->items[index].s);
    values->items[index] = value;
}

ol_status ol_option_values_copy(ol_option_values *dst, const ol_option_values *src, ol_error *err)
{
    size_t n = src->pass->n_options;
    *dst = (ol_option_values){.pass = src->pass, .context = src->context};
    dst->items = calloc(n ? n : 1, sizeof *dst->items);
    if (!dst->items)
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        dst->items[i] = src->items[i];
        if (src->items[i].s && !(dst->items[i].s = strdup(src->items[i].s))) {
            ol_option_values_clear(dst);
            return ol_fail(err, OL_ERR_NOMEM, "out of memory");
        }
    }
    return OL_OK;
}

void ol_option_values_clear(ol_option_values *values)
{
    for (size_t i = 0; values->items && i < values->pass->n_options; i++)
        free(values->items[i].s);
    free(values->items);
    *values = (ol_option_values){0};
}

void ol_option_format_string(const char *s, ol_text *out)
{
    bool bare = *s != '\0';
    for (const char *p = s; *p && bare; p++)
        bare = ol_option_bare_char(*p);
    if (bare) {
        ol_text_append(out, s);
        return;
    }
    ol_text_append(out, "\"");
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            ol_text_append(out, "\\");
        ol_text_append_n(out, p, 1);
    }
    ol_text_append(out, "\"");
}

/* The shortest %g spelling that reads back as exactly `v`. */
static void format_float(double v, ol_text *out)
{
    char buf[40];
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(buf, sizeof buf, "%.*g", precision, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    ol_text_append(out, buf);
}

void ol_option_format(const ol_pass_option *option, const ol_option_value *value, ol_text *out)
{
    switch (option->type) {
    case OL_OPTION_BOOL: ol_text_append(out, value->b ? "true" : "false"); break;
    case OL_OPTION_INT: ol_text_appendf(out, "%lld", (long long)value->i); break;
    case OL_OPTION_FLOAT: format_float(value->f, out); break;
    case OL_OPTION_STRING:
    case OL_OPTION_ENUM: ol_option_format_string(value->s ? value->s : "", out); break;
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* Accessors for passes */

static const ol_option_value *lookup(const ol_option_values *values, const char *name,
                                     ol_option_type type)
{
    if (!values || !values->pass || !name)
        return NULL;
    for (size_t i = 0; i < values->pass->n_options; i++) {
        const ol_pass_option *option = &values->pass->options[i];
        if (strcmp(option->name, name) == 0)
            return option->type == type || (type == OL_OPTION_STRING && option->type == OL_OPTION_ENUM)
                       ? &values->items[i]
                       : NULL;
    }
    return NULL;
}

bool ol_option_bool(const ol_option_values *values, const char *name)
{
    const ol_option_value *v = lookup(values, name, OL_OPTION_BOOL);
    return v ? v->b : false;
}

int64_t ol_option_int(const ol_option_values *values, const char *name)
{
    const ol_option_value *v = lookup(values, name, OL_OPTION_INT);
    return v ? v->i : 0;
}

double ol_option_float(const ol_option_values *values, const char *name)
{
    const ol_option_value *v = lookup(values, name, OL_OPTION_FLOAT);
    return v ? v->f : 0.0;
}

const char *ol_option_string(const ol_option_values *values, const char *name)
{
    const ol_option_value *v = lookup(values, name, OL_OPTION_STRING);
    return v ? v->s : NULL;
}
