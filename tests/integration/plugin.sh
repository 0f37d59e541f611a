#!/usr/bin/env bash
# Plugin passes, built out of tree against the installed onnx-lite.
#
# usage: plugin.sh MESON BUILD_DIR
#
# Installs BUILD_DIR with `meson install --destdir` into a temporary folder, checks that
# `pkg-config --cflags onnxlite` finds the installed headers (pass.h among them), builds
# examples/plugin as its own meson project against them (PKG_CONFIG_PATH and PKG_CONFIG_SYSROOT_DIR
# pointing into the install), and runs the installed onnx-lite with it on
# tests/fixtures/small_cnn.onnx: `rename-nodes{...}` must rename every node (checked with the repo's
# .venv python + onnx when present) and still pass --verify. Tiny plugins built here with the C
# compiler check the refusals: one that claims pass ABI version 999, a library without the init
# symbol, an init that fails, a file that is not a library, and a deliberately wrong "lossless" pass
# that --verify --verify-each must name as the first pass whose output diverges. Every failure must
# exit non-zero with a clear message and leave no output file.
# Prints one line per case and 'N passed, M failed'; exits non-zero on any failure.
set -u

if [ $# -ne 2 ] || [ ! -d "$2" ]; then
    echo "usage: $0 MESON BUILD_DIR" >&2
    exit 2
fi
meson=$1
build=$(cd "$2" && pwd)
repo=$(cd "$(dirname "$0")/../.." && pwd)
model=$repo/tests/fixtures/small_cnn.onnx
python=$repo/.venv/bin/python
cc=${CC:-cc}

work=$(mktemp -d "${TMPDIR:-/tmp}/plugin-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root

passed=0
failed=0
report() {   # name, problems ('' = pass)
    if [ -z "$2" ]; then
        passed=$((passed + 1))
        echo "ok   $1"
    else
        failed=$((failed + 1))
        echo "FAIL $1:$2"
    fi
}
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

# ---- install and pkg-config ----------------------------------------------------------------------

problems=''
"$meson" install -C "$build" --no-rebuild --destdir "$root" --quiet >"$work/install.log" 2>&1 ||
    problems=" meson install failed: $(tail -5 "$work/install.log" | tr '\n' '|')"
exe=$(find "$root" -path '*/bin/onnx-lite' -type f | head -1)
pc=$(find "$root" -name onnxlite.pc | head -1)
[ -n "$exe" ] || problems="$problems no bin/onnx-lite installed;"
[ -n "$pc" ] || problems="$problems no onnxlite.pc installed;"
[ -n "$(find "$root" -path '*/include/onnxlite/pass.h')" ] || problems="$problems pass.h is not installed;"
report "meson install --destdir installs the binary, pass.h and onnxlite.pc" "$problems"
[ -z "$problems" ] || finish

# The .pc file names the configured prefix; the sysroot maps it into the destdir.
export PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_SYSROOT_DIR=$root
problems=''
cflags=$(pkg-config --cflags onnxlite 2>"$work/pkg.err") || problems=" pkg-config failed: $(cat "$work/pkg.err")"
include=$(printf '%s\n' $cflags | sed -n 's/^-I//p' | while read -r dir; do
    [ -f "$dir/onnxlite/pass.h" ] && echo "$dir"; done | head -1)
[ -n "$include" ] || problems="$problems no -I with onnxlite/pass.h in '$cflags';"
case $include in "$root"/*) ;; *) problems="$problems the headers found are not the installed ones ($include);" ;; esac
report "pkg-config --cflags onnxlite points at the installed headers" "$problems"
[ -z "$problems" ] || finish

# ---- the example plugin, built out of tree --------------------------------------------------------

problems=''
"$meson" setup "$work/example-build" "$repo/examples/plugin" >"$work/example-setup.log" 2>&1 ||
    problems=" meson setup failed: $(tail -5 "$work/example-setup.log" | tr '\n' '|')"
[ -n "$problems" ] || ninja -C "$work/example-build" >"$work/example-build.log" 2>&1 ||
    problems=" build failed: $(grep -m3 -E 'error|warning' "$work/example-build.log" | tr '\n' '|')"
plugin=$work/example-build/librename_nodes.so
[ -n "$problems" ] || [ -f "$plugin" ] || problems=" no $plugin"
report "examples/plugin builds against the installed headers" "$problems"
[ -z "$problems" ] || finish

problems=''
"$exe" passes --plugin "$plugin" >"$work/passes.out" 2>&1 || problems=" passes failed: $(cat "$work/passes.out")"
grep -qF "rename-nodes  [lossless, preserves shapes, plugin $plugin]" "$work/passes.out" ||
    problems="$problems rename-nodes is not listed with its origin;"
for option in "prefix=n " "with-op-type=false" "start=0"; do
    grep -qF -- "$option" "$work/passes.out" || problems="$problems option '$option' not listed;"
done
report "passes --plugin lists the plugin's pass and options" "$problems"

problems=''
pipeline='eliminate-dead,rename-nodes{prefix=layer_,with-op-type=true,start=1}'
"$exe" optimize "$model" -o "$work/renamed.onnx" --plugin "$plugin" -p "$pipeline" --verify \
    --report "$work/renamed.json" >"$work/renamed.out" 2>"$work/renamed.err"
rc=$?
[ "$rc" -eq 0 ] || problems=" exit $rc: $(head -c 500 "$work/renamed.err")"
grep -qF "pipeline: eliminate-dead{initializers=true},rename-nodes{prefix=layer_,with-op-type=true,start=1}" \
    "$work/renamed.out" || problems="$problems canonical pipeline not printed;"
grep -qE "^  output .* ok$" "$work/renamed.out" || problems="$problems --verify did not pass;"
report "optimize --plugin runs rename-nodes{...} and verifies" "$problems"

if [ -x "$python" ] && "$python" -c 'import onnx' 2>/dev/null && [ -f "$work/renamed.onnx" ]; then
    problems=$("$python" - "$work/renamed.onnx" "$model" <<'EOF'
import sys
import onnx
renamed, original = onnx.load(sys.argv[1]), onnx.load(sys.argv[2])
names = [n.name for n in renamed.graph.node]
expected = ["layer_%s_%d" % (n.op_type, i + 1) for i, n in enumerate(renamed.graph.node)]
problems = []
if names != expected:
    problems.append("names %s, expected %s" % (names, expected))
if [n.op_type for n in renamed.graph.node] != [n.op_type for n in original.graph.node]:
    problems.append("the ops changed")
onnx.checker.check_model(renamed)
print("; ".join(problems))
EOF
    ) || problems=" python check failed"
    report "every node is named layer_<op>_<n> (read back with onnx)" "${problems:+ $problems}"
else
    echo "note: no $python with onnx (or no output); the node names are not read back"
fi

# ---- refusals: clear message, non-zero exit, no output ---------------------------------------------

expect_failure() {   # name, expected exit, expected stderr (fixed string), onnx-lite arguments...
    local name=$1 want_rc=$2 expected=$3 problems='' rc
    shift 3
    local dir=$work/case-$((passed + failed))
    mkdir -p "$dir"
    "$exe" "$@" >"$dir/stdout" 2>"$dir/stderr"
    rc=$?
    [ "$rc" -eq "$want_rc" ] || problems=" exit $rc, expected $want_rc;"
    [ "$rc" -lt 128 ] || problems="$problems killed by a signal;"
    grep -qF -- "$expected" "$dir/stderr" ||
        problems="$problems stderr lacks '$expected': $(head -c 400 "$dir/stderr" | tr '\n' '|');"
    [ ! -e "$work/out.onnx" ] || { problems="$problems wrote an output;"; rm -f "$work/out.onnx"; }
    report "$name" "$problems"
}

expect_failure "a plugin option of the wrong type" 2 \
    "pass 'rename-nodes': option 'start' wants an integer, got 'first'" \
    optimize "$model" -o "$work/out.onnx" --plugin "$plugin" -p 'rename-nodes{start=first}'
expect_failure "a plugin pass that fails names itself; nothing is written" 1 \
    "pass 'rename-nodes' failed: rename-nodes: start must be 0 or more, got -1" \
    optimize "$model" -o "$work/out.onnx" --plugin "$plugin" -p 'rename-nodes{start=-1}'
expect_failure "a plugin pass without --plugin is unknown" 2 "unknown pass 'rename-nodes'" \
    optimize "$model" -o "$work/out.onnx" -p 'rename-nodes'

# Tiny plugins, compiled here with the installed headers.
build_plugin() {   # name (C source on stdin)
    cat >"$work/$1.c"
    # shellcheck disable=SC2086
    "$cc" -std=c11 -Wall -Wextra -Werror -shared -fPIC $cflags -o "$work/lib$1.so" "$work/$1.c" \
        2>"$work/$1.build.log" || echo "FAIL building $1: $(head -5 "$work/$1.build.log")"
}

build_plugin bad_abi <<'EOF'
/* Claims a pass ABI newer than any onnx-lite: the host must refuse it. */
#include <onnxlite/pass.h>
static ol_status run(ol_model *m, const ol_option_values *o, bool *changed, ol_error *err)
{
    (void)m, (void)o, (void)err;
    *changed = false;
    return OL_OK;
}
static const ol_pass_def FUTURE = {
    .struct_size = sizeof(ol_pass_def), .abi_version = 999, .name = "from-the-future",
    .description = "needs a newer onnx-lite", .run = run,
};
OL_PLUGIN_EXPORT ol_status onnxlite_plugin_init(const ol_plugin_api *api, ol_error *err)
{
    /* Deliberately no version check of its own: the host's check is what is tested. */
    return api->register_pass(api->host, &FUTURE, err);
}
EOF
build_plugin no_init <<'EOF'
/* A shared library, but not an onnx-lite plugin. */
int not_a_plugin(void);
int not_a_plugin(void) { return 42; }
EOF
build_plugin failing_init <<'EOF'
#include <onnxlite/pass.h>
OL_PLUGIN_EXPORT ol_status onnxlite_plugin_init(const ol_plugin_api *api, ol_error *err)
{
    return api->fail(err, OL_ERR_UNSUPPORTED, "this plugin needs a GPU");
}
EOF
build_plugin negate_after_relu <<'EOF'
/* Deliberately wrong: flagged lossless, it negates the output of the first Relu. Written with the
 * table's mutation functions only. */
#include <string.h>
#include <onnxlite/pass.h>
static const ol_plugin_api *host;
static ol_status run(ol_model *model, const ol_option_values *o, bool *changed, ol_error *err)
{
    (void)o;
    ol_graph *g = model->graph;
    for (size_t i = 0; i < g->n_nodes; i++) {
        ol_node *relu = g->nodes[i];
        if (relu->erased || strcmp(relu->op_type, "Relu") != 0)
            continue;
        ol_value *r = relu->outputs[0];
        ol_node *neg = host->graph_add_node(g, "Neg", "", "negate_after_relu", err);
        ol_value *negated = neg ? host->node_new_output(neg, NULL, err) : NULL;
        if (!negated || host->value_replace_all_uses(r, negated, err) != OL_OK ||
            host->node_add_input(neg, r, err) != OL_OK)
            return err->status;
        *changed = true;
        return host->graph_toposort(g, err);
    }
    return OL_OK;
}
static const ol_pass_def NEGATE = {
    OL_PASS_DEF_VERSION, .name = "negate-after-relu", .description = "wrong on purpose",
    .flags = OL_PASS_LOSSLESS, .run = run,
};
OL_PLUGIN_EXPORT ol_status onnxlite_plugin_init(const ol_plugin_api *api, ol_error *err)
{
    host = api;
    return api->register_pass(api->host, &NEGATE, err);
}
EOF
printf 'not a library\n' >"$work/libtext.so"

expect_failure "a plugin built for pass ABI 999 is refused" 1 \
    "plugin $work/libbad_abi.so: pass 'from-the-future' was built for pass ABI version 999, but this onnx-lite supports up to version 1" \
    optimize "$model" -o "$work/out.onnx" --plugin "$work/libbad_abi.so" -p eliminate-dead
expect_failure "passes --plugin refuses it too" 1 "was built for pass ABI version 999" \
    passes --plugin "$work/libbad_abi.so"
expect_failure "a library without onnxlite_plugin_init is not a plugin" 1 \
    "$work/libno_init.so is not an onnx-lite plugin: it does not export onnxlite_plugin_init()" \
    optimize "$model" -o "$work/out.onnx" --plugin "$work/libno_init.so"
expect_failure "a failing init is reported with the plugin's message" 1 \
    "plugin $work/libfailing_init.so failed to initialize: this plugin needs a GPU" \
    optimize "$model" -o "$work/out.onnx" --plugin "$work/libfailing_init.so"
expect_failure "a file that is not a library cannot be loaded" 1 "cannot load plugin $work/libtext.so: " \
    optimize "$model" -o "$work/out.onnx" --plugin "$work/libtext.so"
expect_failure "a missing plugin file cannot be loaded" 1 "cannot load plugin $work/nowhere.so: " \
    optimize "$model" -o "$work/out.onnx" --plugin "$work/nowhere.so"

# ---- --verify --verify-each names the pass that changed the outputs -------------------------------

expect_failure "--verify-each names the first pass whose output diverges" 1 \
    "the first pass whose output diverges is #2 negate-after-relu" \
    optimize "$model" -o "$work/out.onnx" --plugin "$work/libnegate_after_relu.so" \
    -p 'eliminate-dead,negate-after-relu,eliminate-dead' --verify --verify-each --report "$work/diverged.json"

problems=''
python3 - "$work/diverged.json" >"$work/diverged.check" 2>&1 <<'EOF' || problems=" $(tail -3 "$work/diverged.check" | tr '\n' '|')"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ok"] is False and "verification failed" in r["error"], r["error"]
assert r["output"] is None, r["output"]
v = r["verification"]
assert v["ok"] is False and v["outputs"][0]["ok"] is False, v
first = v["first_diverging_pass"]
assert first["found"] is True and first["index"] == 1 and first["pass"] == "negate-after-relu", first
EOF
report "the report of a failed verification names the pass and writes no output" "$problems"

finish
