#!/usr/bin/env bash
# `onnx-lite optimize` and `onnx-lite passes` from the command line.
#
# usage: optimize_cli.sh ONNX_LITE_BINARY
#
# Usage errors (unknown pass, malformed pipeline, option of the wrong type, unknown option,
# --skip-passes typo, conflicting flags, output = input) must exit 2 with a message that says what
# is wrong and where, and leave no output file. -O0 must rewrite the model byte for byte as `convert`
# does; -O1 on tests/fixtures/small_cnn.onnx must pass --verify, and its --report must be valid JSON
# whose canonical pipeline reproduces the same output when given back with -p. With the repo's
# .venv python (onnx, onnxruntime), the -O1 output must also pass onnx.checker and give onnxruntime
# the fixture's expected outputs.
# Prints one line per case and 'N passed, M failed'; exits non-zero on any failure.
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
    echo "usage: $0 ONNX_LITE_BINARY" >&2
    exit 2
fi
exe=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
repo=$(cd "$(dirname "$0")/../.." && pwd)
model=$repo/tests/fixtures/small_cnn.onnx
python=$repo/.venv/bin/python

work=$(mktemp -d "${TMPDIR:-/tmp}/optimize-cli.XXXXXX")
trap 'rm -rf "$work"' EXIT

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

# Runs optimize with the given arguments (output: $work/<name>/out.onnx) and checks a usage error:
# exit 2, stderr matching every fixed string given, nothing in the output folder.
usage_error() {   # name, "args" (word-split), expected stderr strings...
    local name=$1 args=$2 problems='' rc
    shift 2
    local dir=$work/$name
    mkdir -p "$dir"
    # shellcheck disable=SC2086
    "$exe" optimize "$model" -o "$dir/out.onnx" $args >"$dir/stdout" 2>"$dir/stderr"
    rc=$?
    [ "$rc" -eq 2 ] || problems="$problems exit $rc, expected 2;"
    for expected in "$@"; do
        grep -qF -- "$expected" "$dir/stderr" || problems="$problems stderr lacks '$expected';"
    done
    [ -z "$(ls "$dir" | grep -v -x -e stdout -e stderr)" ] || problems="$problems left files: $(ls "$dir" | tr '\n' ' ');"
    [ -z "$problems" ] || problems="$problems stderr: $(head -c 400 "$dir/stderr" | tr '\n' '|')"
    report "$name" "$problems"
}

# Pipelines are given with -p, so the text must not be word-split: these call optimize directly.
pipeline_error() {   # name, pipeline text, caret column (1-based), expected stderr strings...
    local name=$1 text=$2 column=$3 problems='' rc
    shift 3
    local dir=$work/$name
    mkdir -p "$dir"
    "$exe" optimize "$model" -o "$dir/out.onnx" -p "$text" >"$dir/stdout" 2>"$dir/stderr"
    rc=$?
    [ "$rc" -eq 2 ] || problems="$problems exit $rc, expected 2;"
    for expected in "$@"; do
        grep -qF -- "$expected" "$dir/stderr" || problems="$problems stderr lacks '$expected';"
    done
    # The text is echoed with a caret under the column at fault.
    local caret
    caret=$(printf '  %*s^' "$((column - 1))" '')
    grep -qxF -- "$caret" "$dir/stderr" || problems="$problems no caret under column $column;"
    [ ! -e "$dir/out.onnx" ] || problems="$problems wrote an output;"
    [ -z "$problems" ] || problems="$problems stderr: $(head -c 400 "$dir/stderr" | tr '\n' '|')"
    report "$name" "$problems"
}

# ---- usage errors: clear message, exit 2, no output ----------------------------------------------

pipeline_error "unknown pass suggests the closest" "eliminate-daed" 1 \
    "bad pipeline: column 1: unknown pass 'eliminate-daed' (did you mean 'eliminate-dead'?)"
pipeline_error "unknown pass without a close name lists them" "eliminate-dead,quux" 16 \
    "column 16: unknown pass 'quux' (known passes: " "eliminate-dead"
pipeline_error "malformed: unclosed options" "eliminate-dead{initializers=true" 33 \
    "column 33: expected ',' or '}' after an option of pass 'eliminate-dead', found end of text"
pipeline_error "malformed: missing '='" "eliminate-dead{initializers}" 28 \
    "column 28: expected '=' after option 'initializers', found '}'"
pipeline_error "malformed: trailing comma" "eliminate-dead," 16 \
    "column 16: expected a pass name after ',', found end of text"
pipeline_error "malformed: two names without a comma" "eliminate-dead eliminate-dead" 16 \
    "column 16: expected ',' between passes or the end of the pipeline, found 'e'"
pipeline_error "option of the wrong type" "eliminate-dead{initializers=maybe}" 29 \
    "column 29: pass 'eliminate-dead': option 'initializers' wants a bool (true or false), got 'maybe'"
pipeline_error "unknown option suggests the closest" "eliminate-dead{initialisers=false}" 16 \
    "pass 'eliminate-dead' has no option 'initialisers' (did you mean 'initializers'?)"
usage_error "skip-passes typo" "--skip-passes eliminate-ded" \
    "--skip-passes: unknown pass 'eliminate-ded' (did you mean 'eliminate-dead'?)"
usage_error "unknown level" "-O3" "unknown optimization level -O3 (there are -O0 and -O1)"
usage_error "-p and -O together" "-O1 -p eliminate-dead" "give either -p PIPELINE or -O0/-O1, not both"
usage_error "verify options without --verify" "--tolerance 1e-3" "need --verify"
usage_error "bad tolerance" "--verify --tolerance lots" "--tolerance needs a non-negative number, got 'lots'"
usage_error "bad input shape" "--overwrite-input-shape input:1,x" "--overwrite-input-shape"
usage_error "input shape of an unknown input" "--overwrite-input-shape nope:1,1,28,28" "nope"
usage_error "unknown flag" "--frobnicate" "unknown option '--frobnicate'"

problems=''
"$exe" optimize "$model" -o "$model" >"$work/same.out" 2>"$work/same.err"
rc=$?
[ "$rc" -eq 2 ] || problems="$problems exit $rc;"
grep -qF "is the input model" "$work/same.err" || problems="$problems stderr: $(cat "$work/same.err")"
report "output = input is refused" "$problems"

problems=''
mkdir -p "$work/missing"
"$exe" optimize "$work/nowhere.onnx" -o "$work/missing/out.onnx" >/dev/null 2>"$work/missing.err"
rc=$?
[ "$rc" -eq 1 ] || problems="$problems exit $rc, expected 1;"
grep -qF "nowhere.onnx" "$work/missing.err" || problems="$problems stderr does not name the file;"
[ -z "$(ls "$work/missing")" ] || problems="$problems wrote an output;"
report "a missing input is an error naming it" "$problems"

# ---- listing --------------------------------------------------------------------------------------

problems=''
"$exe" passes >"$work/passes.out" 2>&1 || problems="$problems passes failed;"
"$exe" optimize --list-passes >"$work/list.out" 2>&1 || problems="$problems --list-passes failed;"
grep -q "^eliminate-dead  \[lossless" "$work/passes.out" || problems="$problems eliminate-dead not listed;"
grep -qF "initializers=true" "$work/passes.out" || problems="$problems its option is not listed;"
grep -qF -- "-O1 (the default of optimize) runs: " "$work/passes.out" || problems="$problems no -O1 line;"
cmp -s "$work/passes.out" "$work/list.out" || problems="$problems passes and --list-passes differ;"
report "passes lists every pass with options and the -O1 pipeline" "$problems"

# ---- -O0: validation and re-serialization only -----------------------------------------------------

problems=''
"$exe" convert "$model" -o "$work/converted.onnx" 2>"$work/convert.err" || problems="$problems convert failed;"
"$exe" optimize "$model" -o "$work/o0.onnx" -O0 --report "$work/o0.json" >"$work/o0.out" 2>"$work/o0.err" ||
    problems="$problems optimize -O0 failed: $(cat "$work/o0.err");"
cmp -s "$work/converted.onnx" "$work/o0.onnx" || problems="$problems -O0 output differs from convert's;"
grep -qF "pipeline: (no passes)" "$work/o0.out" || problems="$problems table lacks the empty pipeline;"
report "-O0 writes the model back byte for byte" "$problems"

# ---- -O1 with --verify and --report ---------------------------------------------------------------

problems=''
"$exe" optimize "$model" -o "$work/o1.onnx" --verify --verify-each --report "$work/o1.json" \
    >"$work/o1.out" 2>"$work/o1.err"
rc=$?
[ "$rc" -eq 0 ] || problems="$problems exit $rc: $(head -c 600 "$work/o1.err");"
[ -f "$work/o1.onnx" ] || problems="$problems no output;"
grep -qE "^pipeline: .*eliminate-dead\{initializers=true\}" "$work/o1.out" || problems="$problems no pipeline line;"
grep -qE "^  output +[0-9.e+-]+ +[0-9.e+-]+  ok$" "$work/o1.out" ||
    problems="$problems verification line missing: $(tr '\n' '|' <"$work/o1.out");"
report "-O1 on small_cnn passes --verify" "$problems"

problems=''
if [ ! -f "$work/o1.json" ]; then
    problems=" no report written"
else
    pipeline=$(python3 - "$work/o1.json" "$work/o1.out" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
table = open(sys.argv[2]).read()
problems = []
def want(cond, what):
    if not cond:
        problems.append(what)
for key in ["onnx_lite_version", "input", "output", "pipeline", "ok", "error", "seconds",
            "max_iterations", "input_model", "output_model", "passes", "verification"]:
    want(key in r, "no key " + key)
want(r["ok"] is True and r["error"] is None, "not ok")
want(("pipeline: " + r["pipeline"] + "\n") in table, "pipeline differs from the table's")
want(r["input_model"]["node_count"] == 9, "input node_count %s" % r["input_model"]["node_count"])
want(r["input_model"]["macs"] == 282400, "input macs %s (inspect says 282400)" % r["input_model"]["macs"])
names = [p["pass"] for p in r["passes"]]
want(",".join(names) == r["pipeline"], "passes %s vs pipeline %s" % (names, r["pipeline"]))
for i, p in enumerate(r["passes"]):
    want(p["ir_verified"] is True, "pass %d not IR-verified with --verify-each" % i)
    want(p["before"] is not None and p["after"] is not None, "pass %d has no statistics" % i)
    if i:
        want(p["before"] == r["passes"][i - 1]["after"], "pass %d: before != previous after" % i)
if r["passes"]:
    want(r["passes"][-1]["after"]["node_count"] == r["output_model"]["node_count"], "last after != output")
v = r["verification"]
want(v is not None and v["ok"] is True, "verification not ok")
want(v and v["tolerance"] == 1e-4 and v["samples"] == 3, "verification settings %s" % v)
want(v and v["outputs"][0]["name"] == "output" and v["outputs"][0]["max_rel_error"] <= 1e-4, "outputs")
want(v and v["first_diverging_pass"] is None, "bisection ran although verification passed")
if problems:
    print("PROBLEMS: " + "; ".join(problems))
else:
    print(r["pipeline"])
EOF
    )
    case $pipeline in
    PROBLEMS:* | '') problems=" ${pipeline:-python failed}" ;;
    esac
fi
report "--report is JSON with the passes, statistics and verification" "$problems"

problems=''
if [ -n "${pipeline:-}" ] && [ "${pipeline#PROBLEMS}" = "$pipeline" ]; then
    "$exe" optimize "$model" -o "$work/again.onnx" -p "$pipeline" >/dev/null 2>"$work/again.err" ||
        problems="$problems -p with the reported pipeline failed: $(cat "$work/again.err");"
    cmp -s "$work/o1.onnx" "$work/again.onnx" || problems="$problems output differs from -O1's;"
else
    problems=" no pipeline from the report"
fi
report "the reported pipeline reproduces the output" "$problems"

problems=''
"$exe" optimize "$model" -o "$work/skipped.onnx" --skip-passes eliminate-dead --report "$work/skipped.json" \
    >"$work/skipped.out" 2>&1 || problems="$problems failed: $(cat "$work/skipped.out");"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert "eliminate-dead" not in r["pipeline"], r["pipeline"]
' "$work/skipped.json" 2>"$work/skipped.py.err" || problems="$problems $(tail -1 "$work/skipped.py.err")"
report "--skip-passes leaves a pass out of -O1" "$problems"

# ---- input shapes and external data ---------------------------------------------------------------

problems=''
"$exe" optimize "$model" -o "$work/shaped.onnx" --overwrite-input-shape input:2,1,28,28 --verify \
    >"$work/shaped.out" 2>"$work/shaped.err" || problems="$problems failed: $(cat "$work/shaped.err");"
"$exe" inspect "$work/shaped.onnx" --json >"$work/shaped.json" 2>&1 || problems="$problems inspect failed;"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["inputs"][0]["shape"] == [2, 1, 28, 28], r["inputs"][0]["shape"]
' "$work/shaped.json" 2>"$work/shaped.py.err" || problems="$problems $(tail -1 "$work/shaped.py.err")"
report "--overwrite-input-shape fixes the output's input shape" "$problems"

problems=''
"$exe" optimize "$repo/tests/fixtures/with_external_data.onnx" -o "$work/ext.onnx" --save-as-external-data \
    --external-threshold 16 --verify >"$work/ext.out" 2>"$work/ext.err" ||
    problems="$problems failed: $(cat "$work/ext.err");"
[ -s "$work/ext.onnx.data" ] || problems="$problems no ext.onnx.data;"
"$exe" inspect "$work/ext.onnx" >/dev/null 2>&1 || problems="$problems the output does not read back;"
report "--save-as-external-data writes OUT.data" "$problems"

problems=''
"$exe" optimize "$repo/tests/fixtures/with_if.onnx" -o "$work/if.onnx" --verify --verify-each \
    >"$work/if.out" 2>"$work/if.err" || problems="$problems failed: $(cat "$work/if.err");"
report "-O1 on a model with subgraphs verifies" "$problems"

# ---- onnxruntime on the -O1 output ----------------------------------------------------------------

if [ -x "$python" ] && "$python" -c 'import onnx, onnxruntime' 2>/dev/null; then
    problems=''
    "$python" - "$work/o1.onnx" "$repo/tests/fixtures/small_cnn/test_data_set_0" >"$work/ort.out" 2>&1 <<'EOF' ||
import sys
import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

path, data = sys.argv[1], sys.argv[2]
onnx.checker.check_model(onnx.load(path), full_check=True)
x = numpy_helper.to_array(onnx.load_tensor(data + "/input_0.pb"))
expected = numpy_helper.to_array(onnx.load_tensor(data + "/output_0.pb"))
session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
got = session.run(None, {session.get_inputs()[0].name: x})[0]
rel = float(np.max(np.abs(got - expected)) / np.max(np.abs(expected)))
assert rel <= 1e-4, "relative error %g" % rel
EOF
        problems=" $(tail -3 "$work/ort.out" | tr '\n' '|')"
    report "-O1 output passes onnx.checker and matches onnxruntime's expected outputs" "$problems"
else
    echo "note: $python with onnx and onnxruntime is missing; the onnxruntime check is skipped"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
