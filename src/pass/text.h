/* A growable NUL-terminated string for building messages and canonical pipeline text. */
#ifndef OL_PASS_TEXT_H
#define OL_PASS_TEXT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ol_text {
    char *data;     /* always NUL-terminated once anything was appended; NULL before */
    size_t len, cap;
    bool failed;    /* an allocation failed: the text is incomplete */
} ol_text;

void ol_text_append(ol_text *text, const char *s);
void ol_text_append_n(ol_text *text, const char *s, size_t n);
void ol_text_appendf(ol_text *text, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the string over (caller frees): "" for an empty text, NULL when an allocation failed. */
char *ol_text_take(ol_text *text);
void ol_text_clear(ol_text *text);

#endif
