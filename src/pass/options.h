/* Typed option values of one pass instance: parsing from pipeline text, canonical printing, and
 * the accessors passes read them with (declared in onnxlite/pass.h). */
#ifndef OL_PASS_OPTIONS_H
#define OL_PASS_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "onnxlite/pass.h"
#include "pass/text.h"

typedef struct ol_option_value {
    bool b;        /* OL_OPTION_BOOL */
    int64_t i;     /* OL_OPTION_INT */
    double f;      /* OL_OPTION_FLOAT */
    char *s;       /* OL_OPTION_STRING and OL_OPTION_ENUM, owned */
} ol_option_value;

struct ol_pass_context;

struct ol_option_values {
    const ol_pass_def *pass;
    ol_option_value *items;   /* parallel to pass->options */
    struct ol_pass_context *context;   /* borrowed; NULL when the caller gave none (pass/context.h) */
};

/* Parses `len` bytes of `text` (already unquoted) as a value of `option`. On failure the message
 * says what the option wants ("wants a bool (true or false)") and quotes the text. */
ol_status ol_option_parse(const ol_pass_option *option, const char *text, size_t len,
                          ol_option_value *out, ol_error *err);

/* Every option of `pass` set to its default. */
ol_status ol_option_values_init(ol_option_values *values, const ol_pass_def *pass, ol_error *err);
/* Replaces option `index` of `values` (takes the value's string). */
void ol_option_values_set(ol_option_values *values, size_t index, ol_option_value value);
ol_status ol_option_values_copy(ol_option_values *dst, const ol_option_values *src, ol_error *err);
void ol_option_values_clear(ol_option_values *values);

/* The value in pipeline-text syntax: numbers in their shortest exact form, strings bare when they
 * can be, else double-quoted with \" and \\ escapes. */
void ol_option_format(const ol_pass_option *option, const ol_option_value *value, ol_text *out);
/* A string as pipeline text would spell it (bare or quoted). */
void ol_option_format_string(const char *s, ol_text *out);
/* Characters that may appear in an unquoted value. */
bool ol_option_bare_char(char c);

/* "bool", "int", "float", "string", "enum". */
const char *ol_option_type_name(ol_option_type type);

#endif
