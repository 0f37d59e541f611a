/* Pipeline text: parsing, canonical printing, the precise errors for malformed text, unknown names
 * and values of the wrong type, the default pipelines and --skip-passes. The registry holds
 * eliminate-dead and test-only definitions registered here (one with an option of every type), so
 * that the expectations do not change as built-in passes are added. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pass/builtin_passes.h"
#include "pass/options.h"
#include "pass/pipeline.h"
#include "pass/registry.h"

static ol_status no_change(ol_model *model, const ol_option_values *options, bool *changed, ol_error *err)
{
    (void)model, (void)options, (void)err;
    *changed = false;
    return OL_OK;
}

static const ol_pass_option TYPED_OPTIONS[] = {
    {.name = "flag", .type = OL_OPTION_BOOL, .default_value = "false", .help = "a bool"},
    {.name = "count", .type = OL_OPTION_INT, .default_value = "3", .help = "an int"},
    {.name = "ratio", .type = OL_OPTION_FLOAT, .default_value = "0.5", .help = "a float"},
    {.name = "label", .type = OL_OPTION_STRING, .default_value = "hello world", .help = "a string"},
    {.name = "mode", .type = OL_OPTION_ENUM, .default_value = "static", .help = "an enum",
     .choices = "static|dynamic"},
};

static const ol_pass_def TYPED = {
    OL_PASS_DEF_VERSION,
    .name = "typed",
    .description = "test pass with an option of each type",
    .options = TYPED_OPTIONS,
    .n_options = 5,
    .run = no_change,
};

static const ol_pass_def PLAIN = {
    OL_PASS_DEF_VERSION,
    .name = "plain",
    .description = "test pass without options",
    .flags = OL_PASS_LOSSLESS,
    .run = no_change,
};

static const ol_pass_def FUSE_BN = {
    OL_PASS_DEF_VERSION,
    .name = "fuse-bn",
    .description = "test pass with a name to misspell",
    .flags = OL_PASS_LOSSLESS,
    .run = no_change,
};

static ol_pass_registry *registry;

static void setup(void)
{
    ol_error err = {0};
    cr_assert_eq(ol_pass_registry_create(&registry, &err), OL_OK);
    cr_assert_eq(ol_pass_registry_add(registry, &ol_pass_eliminate_dead, NULL, &err), OL_OK, "%s",
                 err.message);
    cr_assert_eq(ol_pass_registry_add(registry, &PLAIN, NULL, &err), OL_OK, "%s", err.message);
    cr_assert_eq(ol_pass_registry_add(registry, &TYPED, NULL, &err), OL_OK, "%s", err.message);
    cr_assert_eq(ol_pass_registry_add(registry, &FUSE_BN, NULL, &err), OL_OK, "%s", err.message);
}

static void teardown(void)
{
    ol_pass_registry_destroy(registry);
    registry = NULL;
}

TestSuite(pipeline, .init = setup, .fini = teardown);

/* Parses `text`, expects success, and returns the canonical text (static buffer). */
static const char *canonical(const char *text)
{
    static char buf[1024];
    ol_pipeline pipeline;
    ol_error err = {0};
    size_t offset = 0;
    cr_assert_eq(ol_pipeline_parse(registry, text, &pipeline, &offset, &err), OL_OK, "'%s': %s", text,
                 err.message);
    cr_assert_eq(offset, OL_PIPELINE_NO_POSITION);
    char *printed = ol_pipeline_to_text(&pipeline);
    cr_assert_not_null(printed);
    snprintf(buf, sizeof buf, "%s", printed);
    free(printed);
    ol_pipeline_clear(&pipeline);
    return buf;
}

/* Parses `text`, expects an OL_ERR_ARG failure at byte `offset` whose message contains `expected`. */
static void expect_error(const char *text, size_t offset, const char *expected)
{
    ol_pipeline pipeline;
    ol_error err = {0};
    size_t got_offset = 12345;
    ol_status st = ol_pipeline_parse(registry, text, &pipeline, &got_offset, &err);
    cr_assert_eq(st, OL_ERR_ARG, "'%s' parsed (status %d), expected an error", text, st);
    cr_expect_eq(pipeline.n, 0, "'%s': a failed parse leaves no entries", text);
    cr_expect_eq(got_offset, offset, "'%s': error at offset %zu, expected %zu (%s)", text, got_offset,
                 offset, err.message);
    cr_expect(strstr(err.message, expected), "'%s': message '%s' lacks '%s'", text, err.message,
              expected);
    char column[32];
    snprintf(column, sizeof column, "column %zu:", offset + 1);
    cr_expect(strncmp(err.message, column, strlen(column)) == 0, "'%s': message '%s' should start with "
              "'%s'", text, err.message, column);
}

Test(pipeline, prints_every_option_with_its_default)
{
    cr_expect_str_eq(canonical("plain"), "plain");
    cr_expect_str_eq(canonical("typed"),
                     "typed{flag=false,count=3,ratio=0.5,label=\"hello world\",mode=static}");
    cr_expect_str_eq(canonical("typed{}"), canonical("typed"));
    cr_expect_str_eq(canonical("eliminate-dead"), "eliminate-dead{initializers=true}");
}

Test(pipeline, prints_options_in_declaration_order_whatever_the_text_order)
{
    cr_expect_str_eq(canonical("typed{mode=dynamic,count=-7,flag=true}"),
                     "typed{flag=true,count=-7,ratio=0.5,label=\"hello world\",mode=dynamic}");
}

Test(pipeline, allows_blanks_around_tokens)
{
    cr_expect_str_eq(canonical("  plain ,\ttyped { count = 4 , label = x } ,\n plain  "),
                     "plain,typed{flag=false,count=4,ratio=0.5,label=x,mode=static},plain");
}

Test(pipeline, canonical_text_parses_back_to_itself)
{
    const char *texts[] = {
        "typed{label=\"a \\\"quoted\\\" \\\\ back,slash {x}=y\"}",
        "typed{ratio=0.1,count=-9223372036854775808,label=\"\"}",
        "fuse-bn,typed{ratio=1e-300},plain,eliminate-dead{initializers=false}",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        char first[1024];
        snprintf(first, sizeof first, "%s", canonical(texts[i]));
        cr_expect_str_eq(canonical(first), first, "round trip of '%s'", texts[i]);
    }
}

Test(pipeline, strings_are_bare_when_they_can_be_and_quoted_otherwise)
{
    cr_expect(strstr(canonical("typed{label=path/to:file.txt}"), "label=path/to:file.txt,"));
    cr_expect(strstr(canonical("typed{label=\"simple\"}"), "label=simple,"));
    cr_expect(strstr(canonical("typed{label=\"\"}"), "label=\"\","));
    cr_expect(strstr(canonical("typed{label=\"a,b\"}"), "label=\"a,b\","));
    cr_expect(strstr(canonical("typed{label=\"say \\\"hi\\\"\"}"), "label=\"say \\\"hi\\\"\","));
}

Test(pipeline, numbers_print_in_their_shortest_exact_form)
{
    cr_expect(strstr(canonical("typed{ratio=0.1}"), "ratio=0.1,"));
    cr_expect(strstr(canonical("typed{ratio=1e-3}"), "ratio=0.001,"));
    cr_expect(strstr(canonical("typed{ratio=2}"), "ratio=2,"));
    cr_expect(strstr(canonical("typed{ratio=-.25}"), "ratio=-0.25,"));
    cr_expect(strstr(canonical("typed{count=+12}"), "count=12,"));
    cr_expect(strstr(canonical("typed{count=9223372036854775807}"), "count=9223372036854775807,"));
}

Test(pipeline, the_empty_pipeline_is_valid_and_prints_empty)
{
    cr_expect_str_eq(canonical(""), "");
    cr_expect_str_eq(canonical("  \t"), "");
}

Test(pipeline, malformed_text_names_the_column_and_the_expected_token)
{
    expect_error(",plain", 0, "expected a pass name, found ','");
    expect_error("plain,", 6, "expected a pass name after ',', found end of text");
    expect_error("plain,,plain", 6, "expected a pass name after ',', found ','");
    expect_error("plain plain", 6, "expected ',' between passes or the end of the pipeline, found 'p'");
    expect_error("plain}", 5, "found '}'");
    expect_error("typed{", 6, "expected an option name of pass 'typed', found end of text");
    expect_error("typed{count}", 11, "expected '=' after option 'count', found '}'");
    expect_error("typed{count=}", 12, "expected a value for option 'count', found '}'");
    expect_error("typed{count=1", 13, "expected ',' or '}' after an option of pass 'typed', found end");
    expect_error("typed{count=1 flag=true}", 14, "expected ',' or '}'");
    expect_error("typed{count=1,}", 14, "expected an option name of pass 'typed', found '}'");
    expect_error("typed{label=\"abc}", 12, "unterminated string");
    expect_error("typed{label=\"a\\qb\"}", 14, "expected '\\\"' or '\\\\' after '\\'");
    expect_error("typed{{", 6, "expected an option name of pass 'typed', found '{'");
}

Test(pipeline, unknown_names_come_with_the_closest_known_name)
{
    expect_error("fuse-nb", 0, "unknown pass 'fuse-nb' (did you mean 'fuse-bn'?)");
    expect_error("plain,elminate-dead", 6, "unknown pass 'elminate-dead' (did you mean 'eliminate-dead'?)");
    expect_error("Plain", 0, "unknown pass 'Plain' (did you mean 'plain'?)");
    expect_error("quantize", 0, "unknown pass 'quantize' (known passes: eliminate-dead, plain, typed, fuse-bn)");
    expect_error("typed{cuont=1}", 6, "pass 'typed' has no option 'cuont' (did you mean 'count'?)");
    expect_error("typed{speed=1}", 6, "pass 'typed' has no option 'speed' (its options: flag, count, ratio, "
                 "label, mode)");
    expect_error("plain{x=1}", 6, "pass 'plain' has no options, so no 'x'");
    expect_error("typed{count=1,count=2}", 14, "option 'count' of pass 'typed' is given twice");
}

Test(pipeline, values_of_the_wrong_type_say_what_the_option_wants)
{
    expect_error("typed{count=abc}", 12, "pass 'typed': option 'count' wants an integer, got 'abc'");
    expect_error("typed{count=1.5}", 12, "option 'count' wants an integer, got '1.5'");
    expect_error("typed{count=0x10}", 12, "option 'count' wants an integer, got '0x10'");
    expect_error("typed{count=99999999999999999999}", 12, "out of the 64-bit integer range");
    expect_error("typed{flag=yes}", 11, "option 'flag' wants a bool (true or false), got 'yes'");
    expect_error("typed{flag=1}", 11, "option 'flag' wants a bool (true or false), got '1'");
    expect_error("typed{ratio=fast}", 12, "option 'ratio' wants a number, got 'fast'");
    expect_error("typed{ratio=inf}", 12, "option 'ratio' wants a number, got 'inf'");
    expect_error("typed{ratio=0x1p3}", 12, "option 'ratio' wants a number");
    expect_error("typed{ratio=1e999}", 12, "option 'ratio' wants a finite number");
    expect_error("typed{mode=fast}", 11, "option 'mode' wants one of static|dynamic, got 'fast'");
    expect_error("plain,typed{mode=\"Static\"}", 17, "wants one of static|dynamic, got 'Static'");
}

Test(pipeline, option_values_reach_the_pass_typed)
{
    ol_pipeline pipeline;
    ol_error err = {0};
    cr_assert_eq(ol_pipeline_parse(registry, "typed{flag=true,count=-4,ratio=2.5,label=\"a b\",mode=dynamic}",
                                   &pipeline, NULL, &err), OL_OK, "%s", err.message);
    const ol_option_values *v = &pipeline.entries[0].options;
    cr_expect(ol_option_bool(v, "flag"));
    cr_expect_eq(ol_option_int(v, "count"), -4);
    cr_expect_float_eq(ol_option_float(v, "ratio"), 2.5, 1e-12);
    cr_expect_str_eq(ol_option_string(v, "label"), "a b");
    cr_expect_str_eq(ol_option_string(v, "mode"), "dynamic", "enums read as strings");
    /* Misuse gives neutral values rather than crashing. */
    cr_expect_eq(ol_option_int(v, "flag"), 0, "wrong type");
    cr_expect_null(ol_option_string(v, "count"));
    cr_expect_not(ol_option_bool(v, "missing"));
    cr_expect_null(ol_option_string(NULL, "label"));
    ol_pipeline_clear(&pipeline);
}

Test(pipeline, o0_is_empty_and_o1_runs_the_lossless_builtins_then_cleans_up)
{
    ol_pipeline pipeline;
    ol_error err = {0};
    cr_assert_eq(ol_pipeline_default(registry, 0, &pipeline, &err), OL_OK);
    cr_expect_eq(pipeline.n, 0);
    ol_pipeline_clear(&pipeline);

    /* Registered here in the order eliminate-dead, plain, typed (lossy), fuse-bn. */
    cr_assert_eq(ol_pipeline_default(registry, 1, &pipeline, &err), OL_OK, "%s", err.message);
    char *text = ol_pipeline_to_text(&pipeline);
    cr_expect_str_eq(text, "eliminate-dead{initializers=true},plain,fuse-bn,eliminate-dead{initializers=true}");
    free(text);
    cr_expect(ol_pipeline_is_lossless(&pipeline));
    ol_pipeline_clear(&pipeline);

    err = (ol_error){0};
    cr_expect_eq(ol_pipeline_default(registry, 2, &pipeline, &err), OL_ERR_ARG);
    cr_expect(strstr(err.message, "-O0 and -O1"), "%s", err.message);
}

Test(pipeline, o1_leaves_out_plugin_passes_and_does_not_repeat_a_final_cleanup)
{
    ol_pass_registry *only = NULL;
    ol_error err = {0};
    cr_assert_eq(ol_pass_registry_create(&only, &err), OL_OK);
    cr_assert_eq(ol_pass_registry_add(only, &PLAIN, "./libplain.so", &err), OL_OK, "%s", err.message);
    cr_assert_eq(ol_pass_registry_add(only, &ol_pass_eliminate_dead, NULL, &err), OL_OK, "%s", err.message);
    ol_pipeline pipeline;
    cr_assert_eq(ol_pipeline_default(only, 1, &pipeline, &err), OL_OK, "%s", err.message);
    char *text = ol_pipeline_to_text(&pipeline);
    cr_expect_str_eq(text, "eliminate-dead{initializers=true}");
    free(text);
    ol_pipeline_clear(&pipeline);
    ol_pass_registry_destroy(only);
}

Test(pipeline, skip_removes_every_instance_and_checks_names)
{
    ol_pipeline pipeline;
    ol_error err = {0};
    cr_assert_eq(ol_pipeline_parse(registry, "eliminate-dead,plain,typed,eliminate-dead", &pipeline, NULL,
                                   &err), OL_OK);
    cr_assert_eq(ol_pipeline_skip(&pipeline, registry, "eliminate-dead,fuse-bn", &err), OL_OK, "%s",
                 err.message);
    char *text = ol_pipeline_to_text(&pipeline);
    cr_expect_str_eq(text, "plain,typed{flag=false,count=3,ratio=0.5,label=\"hello world\",mode=static}");
    free(text);
    cr_expect_not(ol_pipeline_is_lossless(&pipeline), "typed is lossy");

    cr_expect_eq(ol_pipeline_skip(&pipeline, registry, "plian", &err), OL_ERR_ARG);
    cr_expect(strstr(err.message, "unknown pass 'plian' (did you mean 'plain'?)"), "%s", err.message);
    err = (ol_error){0};
    cr_expect_eq(ol_pipeline_skip(&pipeline, registry, "plain,,typed", &err), OL_ERR_ARG);
    cr_expect(strstr(err.message, "comma-separated"), "%s", err.message);
    cr_expect_eq(pipeline.n, 2, "a rejected list removes nothing, not even the good names before the bad one");
    ol_pipeline_clear(&pipeline);
}
