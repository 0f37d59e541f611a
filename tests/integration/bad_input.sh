#!/usr/bin/env bash
# Bad input must give an error that names the problem and the file, and a non-zero exit, never a crash.
#
# usage: bad_input.sh ONNX_LITE_BINARY
#
# Builds broken files in a temporary folder (truncated, byte-flipped, empty, text and random files,
# and, with python + onnx, models with one defect each: a cycle, a dangling input, short raw_data,
# external data outside the model's folder, overflowing or negative dims, duplicate names, deep
# nesting) and runs `onnx-lite convert` and `onnx-lite inspect` (when the command exists) on each.
# A case passes when every command exits with 0 < status < 128 (not by a signal), stderr matches the
# case's keyword and names the file, no output or temporary file is left behind and the input is
# unchanged. Valid controls (the defect-free base model, external data inside the folder) must
# convert, and converting the same model twice must give identical bytes.
# Prints one line per case and 'N passed, M failed'; exits non-zero on any failure.
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
    echo "usage: $0 ONNX_LITE_BINARY" >&2
    exit 2
fi
exe=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
repo=$(cd "$(dirname "$0")/../.." && pwd)
# A real exported model (small_cnn) frozen in the fuzz corpus: the byte offsets flipped below depend
# on its exact layout, which a regenerated tests/fixtures/small_cnn.onnx need not keep.
real_model=$repo/tests/fuzz/corpus/fixture_small_cnn.onnx

work=$(mktemp -d "${TMPDIR:-/tmp}/bad-input.XXXXXX")
trap '[ -n "${KEEP_WORK:-}" ] || rm -rf "$work"' EXIT
cases=$work/cases
mkdir -p "$cases" "$work/out" "$work/log"

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

# A hang is a failure too (a FIFO opened for reading waits for a writer): commands get a time limit.
limit=()
if command -v timeout >/dev/null 2>&1; then
    limit=(timeout 60)
fi

if "$exe" inspect --help >/dev/null 2>&1; then
    commands="convert inspect"
else
    commands="convert"
    echo "note: '$exe inspect' is not available; only convert is checked"
fi

# Runs every command on FILE and checks the failure. Echoes the problems found (empty = none).
check_failure() {   # name, file, keyword regex (extended, case-insensitive)
    local name=$1 file=$2 regex=$3
    local dir base sum_before listing_before problems='' cmd rc err out slug
    slug=$(printf '%s' "$name" | tr -c 'A-Za-z0-9_.-' '-')
    dir=$(dirname "$file")
    base=$(basename "$file")
    sum_before=$( [ -f "$file" ] && sha256sum "$file" | cut -d' ' -f1)
    listing_before=$(ls -A "$dir")
    for cmd in $commands; do
        out=$work/out/$slug-$cmd
        err=$work/log/$slug-$cmd.err
        mkdir -p "$out"
        if [ "$cmd" = convert ]; then
            "${limit[@]}" "$exe" convert "$file" -o "$out/converted.onnx" >/dev/null 2>"$err"
        else
            "${limit[@]}" "$exe" inspect "$file" >/dev/null 2>"$err"
        fi
        rc=$?
        if [ "$rc" -eq 0 ]; then
            problems="$problems $cmd exited 0;"
        elif [ "$rc" -eq 124 ] && [ ${#limit[@]} -gt 0 ]; then
            problems="$problems $cmd did not finish within ${limit[1]}s;"
        elif [ "$rc" -ge 128 ]; then
            problems="$problems $cmd was killed by signal $((rc - 128));"
        fi
        if ! grep -Eqi -- "$regex" "$err"; then
            problems="$problems $cmd stderr does not match /$regex/: $(head -c 300 "$err" | tr '\n' ' ');"
        fi
        if ! grep -qF -- "$base" "$err"; then
            problems="$problems $cmd stderr does not name $base;"
        fi
        if [ -n "$(ls -A "$out")" ]; then
            problems="$problems $cmd left files behind: $(ls -A "$out" | tr '\n' ' ');"
        fi
    done
    [ "$( [ -f "$file" ] && sha256sum "$file" | cut -d' ' -f1)" = "$sum_before" ] ||
        problems="$problems input was modified;"
    [ "$(ls -A "$dir")" = "$listing_before" ] || problems="$problems files appeared next to the input;"
    printf '%s' "$problems"
}

case_fails() {   # name, file, keyword regex
    report "$1" "$(check_failure "$@")"
}

# A file this script expected to create is missing: the generator broke, which is a failure too.
case_missing() {
    report "$1" " the test file was not created (see the generator's errors above)"
}

# ---- files made with shell tools ----------------------------------------------------------------

if [ ! -f "$real_model" ]; then
    report "real-model-fixture" " $real_model is missing"
else
    size=$(stat -c %s "$real_model")
    # Offsets inside the header, the graph and the last field: each cuts a field short.
    for offset in 1 16 100 $((size / 2)) $((size - 1)); do
        mkdir -p "$cases/truncated-$offset"
        head -c "$offset" "$real_model" >"$cases/truncated-$offset/truncated-$offset.onnx"
        case_fails "truncated at byte $offset of $size" "$cases/truncated-$offset/truncated-$offset.onnx" \
            'truncated or corrupted'
    done

    # Byte flips chosen for a deterministic outcome: 0 is the first tag (an invalid wire type), 21 a
    # length inside the graph (a field runs past its message), 28 a character of the first node's
    # input name (the name then matches nothing).
    flip() {   # offset, output
        head -c "$1" "$real_model" >"$2"
        local byte
        byte=$(od -An -tu1 -j "$1" -N1 "$real_model" | tr -d ' ')
        printf "\\$(printf '%03o' $((byte ^ 255)))" >>"$2"
        tail -c +$(($1 + 2)) "$real_model" >>"$2"
    }
    for spec in '0:truncated or corrupted' '21:truncated or corrupted' '28:dangling'; do
        offset=${spec%%:*}
        mkdir -p "$cases/flipped-$offset"
        flip "$offset" "$cases/flipped-$offset/flipped-$offset.onnx"
        case_fails "byte $offset flipped" "$cases/flipped-$offset/flipped-$offset.onnx" "${spec#*:}"
    done
fi

mkdir -p "$cases/empty" "$cases/text" "$cases/random"
: >"$cases/empty/empty.onnx"
case_fails "empty file" "$cases/empty/empty.onnx" 'empty'
printf 'This is a text file, not an ONNX model.\nSecond line.\n' >"$cases/text/text.onnx"
case_fails "text file" "$cases/text/text.onnx" 'not a valid ONNX protobuf|not an ONNX model'
head -c 4096 /dev/urandom >"$cases/random/random.onnx"
case_fails "random bytes" "$cases/random/random.onnx" 'not a valid ONNX protobuf|not an ONNX model'
mkdir -p "$cases/folder"
case_fails "a folder instead of a file" "$cases/folder" 'not a regular file'
case_fails "a file that does not exist" "$cases/missing.onnx" 'No such file'
mkdir -p "$cases/fifo"
if mkfifo "$cases/fifo/fifo.onnx" 2>/dev/null; then
    case_fails "a FIFO instead of a file" "$cases/fifo/fifo.onnx" 'not a regular file'
fi

# ---- models with one defect, made with python + onnx --------------------------------------------

python=''
for candidate in "$repo/.venv/bin/python" python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import onnx' 2>/dev/null; then
        python=$candidate
        break
    fi
done
if [ -z "$python" ]; then
    report "python-built models" " no python with the onnx package (tried $repo/.venv/bin/python, python3)"
else
    "$python" - "$cases" <<'EOF'
import os
import struct
import sys

from onnx import TensorProto, helper

cases = sys.argv[1]
FLOAT_W = struct.pack("<3f", 1.0, 2.0, 3.0)


def weight(dims=(1, 3), raw=FLOAT_W, location=None):
    t = TensorProto(name="W", data_type=TensorProto.FLOAT)
    t.dims.extend(dims)
    if location is None:
        t.raw_data = raw
    else:
        t.data_location = TensorProto.EXTERNAL
        t.external_data.add(key="location", value=location)
    return t


def model(nodes=None, inits=None, inputs=None, outputs=None):
    """x -> Relu -> a; Add(a, W) -> y, with the given parts replaced."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])
    if nodes is None:
        nodes = [helper.make_node("Relu", ["x"], ["a"], name="relu"),
                 helper.make_node("Add", ["a", "W"], ["y"], name="add")]
    graph = helper.make_graph(nodes, "g", inputs if inputs is not None else [x],
                              outputs if outputs is not None else [y],
                              initializer=inits if inits is not None else [weight()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def save(name, m):
    folder = os.path.join(cases, name)
    os.makedirs(folder, exist_ok=True)
    data = m if isinstance(m, bytes) else m.SerializeToString()
    with open(os.path.join(folder, name + ".onnx"), "wb") as f:
        f.write(data)
    return folder


save("valid-base", model())
with open(os.path.join(save("valid-external", model(inits=[weight(location="weights.bin")])),
                       "weights.bin"), "wb") as f:
    f.write(FLOAT_W)
with open(os.path.join(cases, "outside.bin"), "wb") as f:
    f.write(FLOAT_W)

save("cycle", model(nodes=[helper.make_node("Add", ["x", "c"], ["b"], name="add_b"),
                           helper.make_node("Relu", ["b"], ["c"], name="relu_c"),
                           helper.make_node("Add", ["c", "W"], ["y"], name="add")]))
save("dangling", model(nodes=[helper.make_node("Relu", ["nowhere"], ["a"], name="relu"),
                              helper.make_node("Add", ["a", "W"], ["y"], name="add")]))
save("short-raw-data", model(inits=[weight(raw=FLOAT_W[:8])]))
save("external-dotdot", model(inits=[weight(location="../outside.bin")]))
save("external-absolute", model(inits=[weight(location=os.path.join(cases, "outside.bin"))]))
os.symlink("../outside.bin", os.path.join(save("external-symlink", model(inits=[weight(location="link.bin")])),
                                          "link.bin"))
save("external-fifo", model(inits=[weight(location="pipe.bin")]))   # the FIFO is made below
save("dims-overflow", model(inits=[weight(dims=(1 << 40, 1 << 40, 1 << 40))]))
save("negative-dim", model(inits=[weight(dims=(-1, 3))]))
save("negative-input-dim", model(inputs=[helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, -3])]))
huge = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[1 << 40], float_data=[1.0])
save("declared-size-huge", model(inits=[huge]))
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])
save("duplicate-output", model(outputs=[y, y]))
save("duplicate-producer", model(nodes=[helper.make_node("Relu", ["x"], ["a"], name="relu"),
                                        helper.make_node("Neg", ["x"], ["a"], name="neg"),
                                        helper.make_node("Add", ["a", "W"], ["y"], name="add")]))

# If nodes nested 60 deep: about 180 levels of protobuf messages, past the 100 the reader allows
# (and that protobuf-c, without a limit, would recurse through on the stack). Python's protobuf has
# a depth limit too, so the levels are joined as bytes: appending a serialized field to a
# serialized message is the same as setting it.
def varint(n):
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def with_message_field(message_bytes, number, payload):
    return message_bytes + varint(number << 3 | 2) + varint(len(payload)) + payload


def nested_ifs(depth):
    """If nodes, each in the then_branch of the next; names are unique along every chain of scopes."""
    def graph_output(name):
        return helper.make_tensor_value_info(name, TensorProto.FLOAT, [1])

    leaf = helper.make_graph([helper.make_node("Identity", ["x"], ["leaf_o"])], "leaf", [],
                             [graph_output("leaf_o")])
    branch = leaf.SerializeToString()
    for level in range(depth):
        attr = helper.make_attribute("then_branch", leaf)
        attr.ClearField("g")
        name = "o%d" % level
        node = helper.make_node("If", ["cond"], [name], else_branch=leaf)
        node_bytes = with_message_field(node.SerializeToString(), 5,
                                        with_message_field(attr.SerializeToString(), 6, branch))
        if level == depth - 1:   # the main graph: it defines what the branches read
            cond = helper.make_tensor_value_info("cond", TensorProto.BOOL, [])
            x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
            graph = helper.make_graph([], "main", [cond, x], [graph_output(name)])
        else:
            graph = helper.make_graph([], "level%d" % level, [], [graph_output(name)])
        branch = with_message_field(graph.SerializeToString(), 1, node_bytes)
    top = helper.make_model(helper.make_graph([], "unused", [], []),
                            opset_imports=[helper.make_opsetid("", 13)])
    top.ClearField("graph")
    return with_message_field(top.SerializeToString(), 7, branch)


save("deep-nesting", nested_ifs(60))
save("valid-nesting", nested_ifs(20))   # about 60 levels: within the limit
EOF
    python_rc=$?
    [ "$python_rc" -eq 0 ] || report "python generator" " exited with $python_rc"

    expect() {   # case folder name, keyword regex
        if [ -f "$cases/$1/$1.onnx" ]; then
            case_fails "$1" "$cases/$1/$1.onnx" "$2"
        else
            case_missing "$1"
        fi
    }
    expect cycle 'cycle'
    expect dangling 'dangling'
    expect short-raw-data 'too short'
    expect external-dotdot 'outside'
    expect external-absolute 'absolute'
    expect external-symlink 'outside'
    if [ -d "$cases/external-fifo" ] && mkfifo "$cases/external-fifo/pipe.bin" 2>/dev/null; then
        expect external-fifo 'not a regular file'
    fi
    expect dims-overflow 'overflow|too large'
    expect negative-dim 'negative'
    expect negative-input-dim 'negative'
    expect declared-size-huge 'shape needs'
    expect duplicate-output 'twice'
    expect duplicate-producer 'twice'
    expect deep-nesting 'nested'

    # The controls: without the defect, the same models convert. This is what makes the failures
    # above mean "refused because of the defect".
    for control in valid-base valid-external valid-nesting; do
        problems=''
        if [ ! -f "$cases/$control/$control.onnx" ]; then
            problems=' the test file was not created'
        elif ! "$exe" convert "$cases/$control/$control.onnx" -o "$work/out/$control.onnx" \
                2>"$work/log/$control.err"; then
            problems=" convert failed: $(head -c 300 "$work/log/$control.err")"
        fi
        report "$control (control: must convert)" "$problems"
    done
fi

# ---- a valid model: byte-identical output, input untouched ---------------------------------------

problems=''
if [ -f "$real_model" ]; then
    good=$work/good
    mkdir -p "$good"
    sum_before=$(sha256sum "$real_model" | cut -d' ' -f1)
    "$exe" convert "$real_model" -o "$good/first.onnx" 2>"$work/log/first.err" ||
        problems="$problems first convert failed: $(head -c 300 "$work/log/first.err");"
    "$exe" convert "$real_model" -o "$good/second.onnx" 2>"$work/log/second.err" ||
        problems="$problems second convert failed;"
    if [ -z "$problems" ] && ! cmp -s "$good/first.onnx" "$good/second.onnx"; then
        problems="$problems converting twice gives different bytes;"
    fi
    [ "$(sha256sum "$real_model" | cut -d' ' -f1)" = "$sum_before" ] || problems="$problems input was modified;"
    leftovers=$(ls -A "$good" | grep -v -x -e first.onnx -e second.onnx | tr '\n' ' ')
    [ -z "$leftovers" ] || problems="$problems temporary files left: $leftovers;"
else
    problems=" $real_model is missing"
fi
report "same model converted twice is byte-identical" "$problems"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
