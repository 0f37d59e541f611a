#include "pass/pipeline.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pass/suggest.h"
#include "pass/text.h"
#include "util/mem.h"

typedef struct parser {
    const ol_pass_registry *registry;
    const char *text;
    size_t pos;
    size_t *error_offset;
    ol_error *err;
} parser;

static ol_status fail_at(parser *p, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static ol_status fail_at(parser *p, size_t offset, const char *fmt, ...)
{
    char message[OL_ERROR_MESSAGE_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (p->error_offset)
        *p->error_offset = offset;
    return ol_fail(p->err, OL_ERR_ARG, "column %zu: %s", offset + 1, message);
}

/* What stands at the current position, for "found ..." in messages. */
static const char *found(const parser *p, char *buf, size_t size)
{
    char c = p->text[p->pos];
    if (!c)
        return "end of text";
    snprintf(buf, size, (unsigned char)c < ' ' ? "character 0x%02x" : "'%c'", (unsigned char)c);
    return buf;
}

static void skip_blanks(parser *p)
{
    while (strchr(" \t\r\n", p->text[p->pos]) && p->text[p->pos])
        p->pos++;
}

/* Names are scanned wider than valid names ("Fuse_BN") so that a wrong one is reported as an
 * unknown name, with a suggestion, rather than as a syntax error in the middle of it. */
static size_t scan_name(parser *p)
{
    size_t start = p->pos;
    for (char c; (c = p->text[p->pos]) && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.');)
        p->pos++;
    return p->pos - start;
}

/* "a, b, c" into `buf`, cut with "..." when long. */
static void join_names(const char *const *names, size_t n, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len < size; i++) {
        int w = snprintf(buf + len, size - len, "%s%s", i ? ", " : "", names[i]);
        if (w < 0 || (size_t)w >= size - len) {
            snprintf(buf + (size > 4 ? size - 4 : 0), size > 4 ? 4 : size, "...");
            return;
        }
        len += (size_t)w;
    }
}

static ol_status unknown_pass(parser *p, size_t start, size_t len)
{
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)len, p->text + start);
    const char *closest = ol_pass_registry_suggest(p->registry, name);
    if (closest)
        return fail_at(p, start, "unknown pass '%s' (did you mean '%s'?)", name, closest);
    size_t n = ol_pass_registry_count(p->registry);
    const char **names = malloc((n ? n : 1) * sizeof *names);
    if (!names)
        return ol_fail(p->err, OL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        names[i] = ol_pass_registry_at(p->registry, i)->def->name;
    char list[400];
    join_names(names, n, list, sizeof list);
    free(names);
    return fail_at(p, start, "unknown pass '%s' (known passes: %s)", name, n ? list : "none");
}

static ol_status unknown_option(parser *p, const ol_pass_def *pass, size_t start, size_t len)
{
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)len, p->text + start);
    if (pass->n_options == 0)
        return fail_at(p, start, "pass '%s' has no options, so no '%s'", pass->name, name);
    const char **names = malloc(pass->n_options * sizeof *names);
    if (!names)
        return ol_fail(p->err, OL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < pass->n_options; i++)
        names[i] = pass->options[i].name;
    const char *closest = ol_closest_name(name, names, pass->n_options);
    char list[400];
    join_names(names, pass->n_options, list, sizeof list);
    free(names);
    if (closest)
        return fail_at(p, start, "pass '%s' has no option '%s' (did you mean '%s'?)", pass->name, name,
                       closest);
    return fail_at(p, start, "pass '%s' has no option '%s' (its options: %s)", pass->name, name, list);
}

/* A quoted or bare value; *out is malloc'ed and unquoted. */
static ol_status scan_value(parser *p, const ol_pass_option *option, char **out, size_t *out_len)
{
    char buf[32];
    size_t start = p->pos;
    ol_text value = {0};
    if (p->text[p->pos] == '"') {
        p->pos++;
        for (;;) {
            char c = p->text[p->pos];
            if (!c) {
                ol_text_clear(&value);
                return fail_at(p, start, "unterminated string: no closing '\"' for the value of option "
                               "'%s'", option->name);
            }
            if (c == '"')
                break;
            if (c == '\\') {
                char next = p->text[p->pos + 1];
                if (next != '"' && next != '\\') {
                    ol_text_clear(&value);
                    return fail_at(p, p->pos, "expected '\\\"' or '\\\\' after '\\' in a quoted value, "
                                   "found %s", next ? (snprintf(buf, sizeof buf, "'%c'", next), buf)
                                                    : "end of text");
                }
                p->pos++;
                c = next;
            }
            ol_text_append_n(&value, &c, 1);
            p->pos++;
        }
        p->pos++;
        if (!value.data)
            ol_text_append(&value, "");
    } else {
        while (p->text[p->pos] && ol_option_bare_char(p->text[p->pos]))
            p->pos++;
        if (p->pos == start)
            return fail_at(p, start, "expected a value for option '%s', found %s", option->name,
                           found(p, buf, sizeof buf));
        ol_text_append_n(&value, p->text + start, p->pos - start);
    }
    *out_len = value.len;
    *out = ol_text_take(&value);
    return *out ? OL_OK : ol_fail(p->err, OL_ERR_NOMEM, "out of memory");
}

static ol_status parse_option(parser *p, ol_pipeline_entry *entry, bool *seen)
{
    char buf[32];
    const ol_pass_def *pass = entry->pass;
    size_t start = p->pos, len = scan_name(p);
    if (len == 0)
        return fail_at(p, start, "expected an option name of pass '%s', found %s", pass->name,
                       found(p, buf, sizeof buf));
    size_t index = 0;
    while (index < pass->n_options &&
           !(strlen(pass->options[index].name) == len &&
             memcmp(pass->options[index].name, p->text + start, len) == 0))
        index++;
    if (index == pass->n_options)
        return unknown_option(p, pass, start, len);
    const ol_pass_option *option = &pass->options[index];
    if (seen[index])
        return fail_at(p, start, "option '%s' of pass '%s' is given twice", option->name, pass->name);
    seen[index] = true;
    skip_blanks(p);
    if (p->text[p->pos] != '=')
        return fail_at(p, p->pos, "expected '=' after option '%s', found %s", option->name,
                       found(p, buf, sizeof buf));
    p->pos++;
    skip_blanks(p);
    size_t value_start = p->pos, value_len = 0;
    char *text = NULL;
    ol_status st = scan_value(p, option, &text, &value_len);
    if (st != OL_OK)
        return st;
    ol_option_value value;
    ol_error parse_err = {0};
    st = ol_option_parse(option, text, value_len, &value, &parse_err);
    free(text);
    if (st != OL_OK)
        return st == OL_ERR_NOMEM ? ol_fail(p->err, st, "out of memory")
                                  : fail_at(p, value_start, "pass '%s': %s", pass->name, parse_err.message);
    ol_option_values_set(&entry->options, index, value);
    return OL_OK;
}

static ol_status parse_options(parser *p, ol_pipeline_entry *entry)
{
    char buf[32];
    const ol_pass_def *pass = entry->pass;
    bool *seen = calloc(pass->n_options ? pass->n_options : 1, sizeof *seen);
    if (!seen)
        return ol_fail(p->err, OL_ERR_NOMEM, "out of memory");
    ol_status st = OL_OK;
    p->pos++;   /* '{' */
    skip_blanks(p);
    if (p->text[p->pos] == '}') {
        p->pos++;
        free(seen);
        return OL_OK;
    }
    for (;;) {
        skip_blanks(p);
        if ((st = parse_option(p, entry, seen)) != OL_OK)
            break;
        skip_blanks(p);
        char c = p->text[p->pos];
        if (c == '}') {
            p->pos++;
            break;
        }
        if (c != ',') {
            st = fail_at(p, p->pos, "expected ',' or '}' after an option of pass '%s', found %s",
                         pass->name, found(p, buf, sizeof buf));
            break;
        }
        p->pos++;
    }
    free(seen);
    return st;
}

static ol_status add_entry(ol_pipeline *pipeline, const ol_pass_def *pass, ol_pipeline_entry **out,
                           ol_error *err)
{
    if (!OL_RESERVE(pipeline->entries, pipeline->cap, pipeline->n + 1))
        return ol_fail(err, OL_ERR_NOMEM, "out of memory");
    ol_pipeline_entry *entry = &pipeline->entries[pipeline->n];
    entry->pass = pass;
    ol_status st = ol_option_values_init(&entry->options, pass, err);
    if (st != OL_OK)
        return st;
    pipeline->n++;
    if (out)
        *out = entry;
    return OL_OK;
}

ol_status ol_pipeline_append(ol_pipeline *pipeline, const ol_pass_def *pass, ol_error *err)
{
    return add_entry(pipeline, pass, NULL, err);
}

static ol_status parse_pass(parser *p, ol_pipeline *out, bool after_comma)
{
    char buf[32];
    skip_blanks(p);
    size_t start = p->pos, len = scan_name(p);
    if (len == 0)
        return fail_at(p, start, "expected a pass name%s, found %s", after_comma ? " after ','" : "",
                       found(p, buf, sizeof buf));
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)len, p->text + start);
    const ol_registered_pass *registered =
        len < sizeof name ? ol_pass_registry_find(p->registry, name) : NULL;
    if (!registered)
        return unknown_pass(p, start, len);
    ol_pipeline_entry *entry = NULL;
    ol_status st = add_entry(out, registered->def, &entry, p->err);
    if (st != OL_OK)
        return st;
    skip_blanks(p);
    return p->text[p->pos] == '{' ? parse_options(p, entry) : OL_OK;
}

ol_status ol_pipeline_parse(const ol_pass_registry *registry, const char *text, ol_pipeline *out,
                            size_t *error_offset, ol_error *err)
{
    *out = (ol_pipeline){0};
    if (error_offset)
        *error_offset = OL_PIPELINE_NO_POSITION;
    parser p = {.registry = registry, .text = text, .error_offset = error_offset, .err = err};
    char buf[32];
    skip_blanks(&p);
    if (!text[p.pos])
        return OL_OK;   /* the empty pipeline: what -O0 prints */
    ol_status st;
    for (bool after_comma = false;; after_comma = true) {
        if ((st = parse_pass(&p, out, after_comma)) != OL_OK)
            break;
        skip_blanks(&p);
        if (!text[p.pos])
            return OL_OK;
        if (text[p.pos] != ',') {
            st = fail_at(&p, p.pos, "expected ',' between passes or the end of the pipeline, found %s",
                         found(&p, buf, sizeof buf));
            break;
        }
        p.pos++;
    }
    ol_pipeline_clear(out);
    return st;
}

/* ---------------------------------------------------------------------------------------------- */

ol_status ol_pipeline_default(const ol_pass_registry *registry, int level, ol_pipeline *out,
                              ol_error *err)
{
    *out = (ol_pipeline){0};
    if (level < 0 || level > 1)
        return ol_fail(err, OL_ERR_ARG, "unknown optimization level %d (there are -O0 and -O1)", level);
    if (level == 0)
        return OL_OK;
    ol_status st = OL_OK;
    const ol_pass_def *cleanup = NULL;
    for (size_t i = 0; i < ol_pass_registry_count(registry) && st == OL_OK; i++) {
        const ol_registered_pass *r = ol_pass_registry_at(registry, i);
        if (r->origin || !(r->def->flags & OL_PASS_LOSSLESS))
            continue;
        if (strcmp(r->def->name, "eliminate-dead") == 0)
            cleanup = r->def;
        st = ol_pipeline_append(out, r->def, err);
    }
    if (st == OL_OK && cleanup && out->entries[out->n - 1].pass != cleanup)
        st = ol_pipeline_append(out, cleanup, err);
    if (st != OL_OK)
        ol_pipeline_clear(out);
    return st;
}

/* Calls `fn` with each name of the comma-separated list; stops at the first failure. */
static ol_status for_each_name(const char *names, ol_status (*fn)(const char *name, void *ctx), void *ctx,
                               ol_error *err)
{
    for (const char *p = names;; p++) {
        size_t len = strcspn(p, ",");
        char name[128];
        if (len == 0 || len >= sizeof name)
            return ol_fail(err, OL_ERR_ARG, "--skip-passes: expected comma-separated pass names, got '%s'",
                           names);
        snprintf(name, sizeof name, "%.*s", (int)len, p);
        ol_status st = fn(name, ctx);
        if (st != OL_OK)
            return st;
        p += len;
        if (!*p)
            return OL_OK;
    }
}

typedef struct skip_ctx {
    ol_pipeline *pipeline;
    const ol_pass_registry *registry;
    ol_error *err;
} skip_ctx;

static ol_status check_skip_name(const char *name, void *ctx)
{
    skip_ctx *c = ctx;
    if (ol_pass_registry_find(c->registry, name))
        return OL_OK;
    const char *closest = ol_pass_registry_suggest(c->registry, name);
    return ol_fail(c->err, OL_ERR_ARG, "--skip-passes: unknown pass '%s'%s%s%s", name,
                   closest ? " (did you mean '" : "", closest ? closest : "", closest ? "'?)" : "");
}

static ol_status remove_pass(const char *name, void *ctx)
{
    ol_pipeline *pipeline = ((skip_ctx *)ctx)->pipeline;
    size_t w = 0;
    for (size_t i = 0; i < pipeline->n; i++) {
        if (strcmp(pipeline->entries[i].pass->name, name) == 0)
            ol_option_values_clear(&pipeline->entries[i].options);
        else
            pipeline->entries[w++] = pipeline->entries[i];
    }
    pipeline->n = w;
    return OL_OK;
}

ol_status ol_pipeline_skip(ol_pipeline *pipeline, const ol_pass_registry *registry, const char *names,
                           ol_error *err)
{
    /* Every name is checked before any is removed, so a bad list leaves the pipeline as it was. */
    skip_ctx ctx = {.pipeline = pipeline, .registry = registry, .err = err};
    ol_status st = for_each_name(names, check_skip_name, &ctx, err);
    return st == OL_OK ? for_each_name(names, remove_pass, &ctx, err) : st;
}

static void append_entry_text(const ol_pipeline_entry *entry, ol_text *out)
{
    const ol_pass_def *pass = entry->pass;
    ol_text_append(out, pass->name);
    if (pass->n_options == 0)
        return;
    ol_text_append(out, "{");
    for (size_t i = 0; i < pass->n_options; i++) {
        ol_text_appendf(out, "%s%s=", i ? "," : "", pass->options[i].name);
        ol_option_format(&pass->options[i], &entry->options.items[i], out);
    }
    ol_text_append(out, "}");
}

char *ol_pipeline_entry_text(const ol_pipeline_entry *entry)
{
    ol_text text = {0};
    append_entry_text(entry, &text);
    return ol_text_take(&text);
}

char *ol_pipeline_to_text(const ol_pipeline *pipeline)
{
    ol_text text = {0};
    for (size_t i = 0; i < pipeline->n; i++) {
        if (i)
            ol_text_append(&text, ",");
        append_entry_text(&pipeline->entries[i], &text);
    }
    return ol_text_take(&text);
}

bool ol_pipeline_is_lossless(const ol_pipeline *pipeline)
{
    for (size_t i = 0; i < pipeline->n; i++)
        if (!(pipeline->entries[i].pass->flags & OL_PASS_LOSSLESS))
            return false;
    return true;
}

void ol_pipeline_clear(ol_pipeline *pipeline)
{
    for (size_t i = 0; i < pipeline->n; i++)
        ol_option_values_clear(&pipeline->entries[i].options);
    free(pipeline->entries);
    *pipeline = (ol_pipeline){0};
}
