/* Pipelines: an ordered list of pass instances, written as text in the style of MLIR's pass
 * pipelines and printed back canonically.
 *
 *   pipeline := [ pass { "," pass } ]
 *   pass     := NAME [ "{" [ option { "," option } ] "}" ]
 *   option   := NAME "=" value
 *   value    := bare | '"' { char | '\"' | '\\' } '"'
 *   bare     := one or more characters other than blanks and , { } = " ' \
 *
 * Blanks are allowed around every token. The canonical form has no blanks and spells out every
 * option of every pass in declaration order, defaults included, so that it reproduces the run
 * exactly even if a default changes later: `eliminate-dead{initializers=true}`. */
#ifndef OL_PASS_PIPELINE_H
#define OL_PASS_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "onnxlite/pass.h"
#include "pass/options.h"
#include "pass/registry.h"

typedef struct ol_pipeline_entry {
    const ol_pass_def *pass;
    ol_option_values options;
} ol_pipeline_entry;

typedef struct ol_pipeline {
    ol_pipeline_entry *entries;
    size_t n, cap;
} ol_pipeline;

/* Where a parse error is, for a caret under the text. */
#define OL_PIPELINE_NO_POSITION ((size_t)-1)

/* Parses `text` against the passes of `registry`. On failure *error_offset (when not NULL) is the
 * byte offset of the problem in `text` (OL_PIPELINE_NO_POSITION when it has none) and the message
 * says, at 1-based "column N", what was expected and what was found; unknown names come with the
 * closest registered name. *out is empty on failure. */
ol_status ol_pipeline_parse(const ol_pass_registry *registry, const char *text, ol_pipeline *out,
                            size_t *error_offset, ol_error *err);

/* The default pipeline of an optimization level: -O0 runs nothing; -O1 runs every built-in pass
 * flagged OL_PASS_LOSSLESS in table order with default options, then eliminate-dead once more
 * unless it already ran last. */
ol_status ol_pipeline_default(const ol_pass_registry *registry, int level, ol_pipeline *out,
                              ol_error *err);

/* Removes every instance of the passes named in the comma-separated `names`. An unknown name is an
 * error with a suggestion, and then nothing is removed; a registered pass that is not in the
 * pipeline is fine. */
ol_status ol_pipeline_skip(ol_pipeline *pipeline, const ol_pass_registry *registry, const char *names,
                           ol_error *err);

/* Appends a pass with default options. */
ol_status ol_pipeline_append(ol_pipeline *pipeline, const ol_pass_def *pass, ol_error *err);

/* Canonical text of the whole pipeline ("" when empty) or of one entry; caller frees; NULL when out
 * of memory. */
char *ol_pipeline_to_text(const ol_pipeline *pipeline);
char *ol_pipeline_entry_text(const ol_pipeline_entry *entry);

/* Whether every pass is flagged OL_PASS_LOSSLESS (true for an empty pipeline). */
bool ol_pipeline_is_lossless(const ol_pipeline *pipeline);

void ol_pipeline_clear(ol_pipeline *pipeline);

#endif
