#include "pass/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool reserve(ol_text *text, size_t extra)
{
    if (text->failed)
        return false;
    if (text->len + extra + 1 <= text->cap)
        return true;
    size_t cap = text->cap ? text->cap : 64;
    while (cap < text->len + extra + 1)
        cap *= 2;
    char *grown = realloc(text->data, cap);
    if (!grown) {
        text->failed = true;
        return false;
    }
    text->data = grown;
    text->cap = cap;
    return true;
}

void ol_text_append_n(ol_text *text, const char *s, size_t n)
{
    if (!reserve(text, n))
        return;
    memcpy(text->data + text->len, s, n);
    text->len += n;
    text->data[text->len] = '\0';
}

void ol_text_append(ol_text *text, const char *s)
{
    ol_text_append_n(text, s, strlen(s));
}

void ol_text_appendf(ol_text *text, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(text, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(text->data + text->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    text->len += (size_t)n;
}

char *ol_text_take(ol_text *text)
{
    if (text->failed) {
        ol_text_clear(text);
        return NULL;
    }
    char *s = text->data ? text->data : strdup("");
    *text = (ol_text){0};
    return s;
}

void ol_text_clear(ol_text *text)
{
    free(text->data);
    *text = (ol_text){0};
}
