/* The pass registry: every built-in registers; definitions are checked when added (versions both
 * ways, names, options and their defaults, flags); plugin loading fails cleanly for a library that
 * cannot be loaded or does not export the init symbol. (Loading real plugins, including one that
 * claims ABI version 999, is tested out of tree by tests/integration/plugin.sh.) */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pass/builtin_passes.h"
#include "pass/plugin.h"
#include "pass/registry.h"

static ol_status no_change(ol_model *model, const ol_option_values *options, bool *changed, ol_error *err)
{
    (void)model, (void)options, (void)err;
    *changed = false;
    return OL_OK;
}

static const ol_pass_option COUNT_OPTION[] = {
    {.name = "count", .type = OL_OPTION_INT, .default_value = "3", .help = "an int"},
};

/* A valid definition that each test breaks in one way. */
static ol_pass_def valid_def(void)
{
    return (ol_pass_def){
        OL_PASS_DEF_VERSION,
        .name = "test-pass",
        .description = "a test pass",
        .options = COUNT_OPTION,
        .n_options = 1,
        .flags = OL_PASS_LOSSLESS,
        .run = no_change,
    };
}

static ol_pass_registry *registry;

static void setup(void)
{
    ol_error err = {0};
    cr_assert_eq(ol_pass_registry_create(&registry, &err), OL_OK);
    cr_assert_eq(ol_pass_registry_add_builtins(registry, &err), OL_OK, "%s", err.message);
}

static void teardown(void)
{
    ol_pass_registry_destroy(registry);
}

TestSuite(registry, .init = setup, .fini = teardown);

/* Adding `def` must fail with `status` and a message containing `expected`; nothing is added. */
static void expect_refused(const ol_pass_def *def, ol_status status, const char *expected)
{
    size_t before = ol_pass_registry_count(registry);
    ol_error err = {0};
    cr_assert_eq(ol_pass_registry_add(registry, def, NULL, &err), status, "expected refusal (%s): %s",
                 expected, err.message);
    cr_expect(strstr(err.message, expected), "message '%s' lacks '%s'", err.message, expected);
    cr_expect_eq(ol_pass_registry_count(registry), before);
}

Test(registry, every_builtin_registers_in_table_order)
{
    cr_assert_eq(ol_pass_registry_count(registry), ol_builtin_pass_count);
    for (size_t i = 0; i < ol_builtin_pass_count; i++) {
        const ol_registered_pass *r = ol_pass_registry_at(registry, i);
        cr_expect_eq(r->def, ol_builtin_passes[i]);
        cr_expect_null(r->origin, "built-ins have no origin");
        cr_expect_eq(ol_pass_registry_find(registry, r->def->name), r);
    }
    cr_expect_not_null(ol_pass_registry_find(registry, "eliminate-dead"));
    cr_expect_null(ol_pass_registry_find(registry, "no-such-pass"));
    cr_expect_null(ol_pass_registry_at(registry, ol_builtin_pass_count));
}

Test(registry, accepts_a_valid_definition_and_remembers_its_origin)
{
    ol_pass_def def = valid_def();
    ol_error err = {0};
    cr_assert_eq(ol_pass_registry_add(registry, &def, "./libtest.so", &err), OL_OK, "%s", err.message);
    const ol_registered_pass *r = ol_pass_registry_find(registry, "test-pass");
    cr_assert_not_null(r);
    cr_expect_str_eq(r->origin, "./libtest.so");
    cr_expect_str_eq(ol_pass_registry_suggest(registry, "tset-pass"), "test-pass");
    cr_expect_null(ol_pass_registry_suggest(registry, "completely-different"));

    ol_pass_def again = valid_def();
    expect_refused(&again, OL_ERR_ARG, "pass 'test-pass' is already registered (by plugin ./libtest.so)");
    ol_pass_def builtin_name = valid_def();
    builtin_name.name = "eliminate-dead";
    expect_refused(&builtin_name, OL_ERR_ARG, "pass 'eliminate-dead' is already registered (built-in)");

    ol_pass_registry_truncate(registry, ol_builtin_pass_count);
    cr_expect_null(ol_pass_registry_find(registry, "test-pass"), "truncate drops later registrations");
}

Test(registry, refuses_a_pass_built_for_a_newer_abi)
{
    ol_pass_def def = valid_def();
    def.abi_version = 999;
    expect_refused(&def, OL_ERR_UNSUPPORTED, "pass 'test-pass' was built for pass ABI version 999, but "
                   "this onnx-lite supports up to version 1");
}

Test(registry, refuses_a_pass_that_does_not_say_its_abi)
{
    ol_pass_def def = valid_def();
    def.abi_version = 0;
    expect_refused(&def, OL_ERR_UNSUPPORTED, "does not say which pass ABI it was built for");
}

Test(registry, refuses_an_unknown_struct_size)
{
    ol_pass_def def = valid_def();
    def.struct_size = sizeof(ol_pass_def) + 8;
    char expected[160];
    snprintf(expected, sizeof expected, "has struct_size %zu, unknown for pass ABI version 1 (which has %zu)",
             sizeof(ol_pass_def) + 8, sizeof(ol_pass_def));
    expect_refused(&def, OL_ERR_UNSUPPORTED, expected);
    def.struct_size = 8;
    expect_refused(&def, OL_ERR_UNSUPPORTED, "pass '(unnamed)' has struct_size 8");
}

Test(registry, refuses_bad_names)
{
    const char *bad[] = {"Upper", "under_score", "-lead", "trail-", "dou--ble", "9digit", "", "a b"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ol_pass_def def = valid_def();
        def.name = bad[i];
        expect_refused(&def, OL_ERR_ARG, "invalid pass name");
    }
    ol_pass_def def = valid_def();
    def.name = NULL;
    expect_refused(&def, OL_ERR_ARG, "invalid pass name '(null)'");
    cr_expect(ol_pass_name_valid("fold-constants2"));
    cr_expect(ol_pass_name_valid("x"));
}

Test(registry, refuses_incomplete_definitions)
{
    ol_pass_def def = valid_def();
    def.description = "";
    expect_refused(&def, OL_ERR_ARG, "pass 'test-pass' has no description");
    def = valid_def();
    def.run = NULL;
    expect_refused(&def, OL_ERR_ARG, "pass 'test-pass' has no run function");
    def = valid_def();
    def.flags = OL_PASS_LOSSLESS | (1u << 9);
    expect_refused(&def, OL_ERR_ARG, "pass 'test-pass' sets unknown flags 0x200");
    def = valid_def();
    def.options = NULL;
    expect_refused(&def, OL_ERR_ARG, "declares 1 options but no option array");
    expect_refused(NULL, OL_ERR_ARG, "a pass definition is NULL");
}

Test(registry, refuses_bad_options)
{
    static const ol_pass_option bad_name[] = {{.name = "Count", .type = OL_OPTION_INT, .default_value = "1"}};
    static const ol_pass_option twice[] = {
        {.name = "n", .type = OL_OPTION_INT, .default_value = "1"},
        {.name = "n", .type = OL_OPTION_BOOL, .default_value = "true"},
    };
    static const ol_pass_option bad_type[] = {{.name = "n", .type = (ol_option_type)42, .default_value = "1"}};
    static const ol_pass_option no_default[] = {{.name = "n", .type = OL_OPTION_INT}};
    static const ol_pass_option bad_default[] = {{.name = "n", .type = OL_OPTION_INT, .default_value = "one"}};
    static const ol_pass_option enum_no_choices[] = {{.name = "m", .type = OL_OPTION_ENUM, .default_value = "a"}};
    static const ol_pass_option choices_no_enum[] = {
        {.name = "m", .type = OL_OPTION_STRING, .default_value = "a", .choices = "a|b"}};
    static const ol_pass_option default_not_a_choice[] = {
        {.name = "m", .type = OL_OPTION_ENUM, .default_value = "c", .choices = "a|b"}};
    struct {
        const ol_pass_option *options;
        size_t n;
        const char *expected;
    } cases[] = {
        {bad_name, 1, "option 0 has an invalid name 'Count'"},
        {twice, 2, "pass 'test-pass' declares option 'n' twice"},
        {bad_type, 1, "option 'n' has unknown type 42"},
        {no_default, 1, "option 'n' has no default"},
        {bad_default, 1, "pass 'test-pass': bad default: option 'n' wants an integer, got 'one'"},
        {enum_no_choices, 1, "option 'm' is an enum without choices"},
        {choices_no_enum, 1, "option 'm' has choices but is not an enum"},
        {default_not_a_choice, 1, "option 'm' wants one of a|b, got 'c'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ol_pass_def def = valid_def();
        def.options = cases[i].options;
        def.n_options = cases[i].n;
        expect_refused(&def, OL_ERR_ARG, cases[i].expected);
    }
}

Test(registry, a_missing_library_is_a_clear_error)
{
    ol_error err = {0};
    cr_assert_eq(ol_plugin_load(registry, "/nonexistent/libnothing.so", &err), OL_ERR_IO);
    cr_expect(strstr(err.message, "cannot load plugin /nonexistent/libnothing.so: "), "%s", err.message);
    cr_expect_eq(ol_pass_registry_count(registry), ol_builtin_pass_count);
}

Test(registry, a_library_without_the_init_symbol_is_not_a_plugin)
{
    /* libm is on every system with this toolchain and certainly exports no onnxlite_plugin_init. */
    ol_error err = {0};
    cr_assert_eq(ol_plugin_load(registry, "libm.so.6", &err), OL_ERR_INVALID, "%s", err.message);
    cr_expect(strstr(err.message, "libm.so.6 is not an onnx-lite plugin: it does not export "
                                  "onnxlite_plugin_init()"), "%s", err.message);
    cr_expect_eq(ol_pass_registry_count(registry), ol_builtin_pass_count);
}
