#!/usr/bin/env python3
"""Integration test of `onnx-lite inspect`.

MACs of torchvision models at 1x3x224x224 must match the published figures within 2%; --json must
parse as one JSON object; errors must exit non-zero with a message naming the file or input, never
crash. Only the standard library is used, so any python3 (the repo's .venv one too) runs it.

usage: inspect_macs.py [BINARY]   (default: build/onnx-lite; also $ONNX_LITE)

The MAC checks need the zoo fixtures (tests/fixtures/zoo/*-op13.onnx, made by the fixture export
scripts); without them the error checks still run and the script exits 77, meson's "skipped".
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, summary  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ZOO = os.path.join(ROOT, "tests", "fixtures", "zoo")
SKIPPED = 77

# torchvision's published figures (its model docs, "GFLOPS" column, which counts multiply-adds of
# convolutions and linear layers) for a 1x3x224x224 input.
PUBLISHED_MACS = {
    "resnet18": 1.81e9,
    "mobilenet_v2": 0.30e9,
    "squeezenet1_1": 0.35e9,
}
TOLERANCE = 0.02

JSON_KEYS = [
    "file", "producer", "ir_version", "opsets", "inputs", "outputs", "assumed_dims", "node_count",
    "op_histogram", "parameters", "weight_bytes", "weights_by_dtype", "macs", "other_macs",
    "total_macs", "unknown_mac_nodes", "heaviest_layers",
]



def run(binary, *args):
    return subprocess.run([binary, "inspect", *args], capture_output=True, text=True, timeout=300)


def check_error(binary, what, args, code, fragments):
    r = run(binary, *args)
    check(r.returncode == code, f"{what}: exit {code}", f"exit {r.returncode}, stderr {r.stderr!r}")
    for fragment in fragments:
        check(fragment in r.stderr, f"{what}: stderr names {fragment!r}", repr(r.stderr))


def check_errors_without_models(binary):
    with tempfile.TemporaryDirectory() as tmp:
        missing = os.path.join(tmp, "missing.onnx")
        check_error(binary, "missing file", [missing], 1, [missing])
        garbage = os.path.join(tmp, "garbage.onnx")
        with open(garbage, "wb") as f:
            f.write(b"\x0a\xff\xff\xff\xff\x0f not a model" * 7)
        check_error(binary, "garbage file", [garbage], 1, [garbage])
        check_error(binary, "bad shape syntax", [missing, "--overwrite-input-shape", "x:1,a"], 2, ["x:1,a"])
    check_error(binary, "no model", [], 2, ["no MODEL"])
    check_error(binary, "unknown option", ["--frobnicate", "m.onnx"], 2, ["--frobnicate"])


def inspect_json(binary, path, *extra):
    r = run(binary, "--json", path, *extra)
    if not check(r.returncode == 0, f"{' '.join([os.path.basename(path), *extra])}: --json exits 0",
                 r.stderr.strip()):
        return None
    try:
        report = json.loads(r.stdout)
    except json.JSONDecodeError as e:
        check(False, f"{os.path.basename(path)}: --json parses", str(e))
        return None
    check(isinstance(report, dict), f"{os.path.basename(path)}: --json is one object")
    return report


def check_model(binary, name, published):
    path = os.path.join(ZOO, f"{name}-op13.onnx")
    report = inspect_json(binary, path)
    if report is None:
        return
    check(list(report.keys()) == JSON_KEYS, f"{name}: JSON keys in the documented order",
          f"{list(report.keys())}")
    macs = report["macs"]
    error = abs(macs - published) / published
    check(error <= TOLERANCE, f"{name}: MACs {macs / 1e9:.3f} G vs published {published / 1e9:.2f} G "
          f"({100 * error:.2f}% off)")
    check(report["unknown_mac_nodes"] == 0, f"{name}: every node's MACs known",
          f"{report['unknown_mac_nodes']} unknown")
    check(report["total_macs"] == report["macs"] + report["other_macs"], f"{name}: total = macs + other")
    check(isinstance(report["parameters"], int) and report["parameters"] > 1_000_000,
          f"{name}: parameter count is a number", repr(report["parameters"]))
    layers = report["heaviest_layers"]
    check(0 < len(layers) <= 10 and all(a["macs"] >= b["macs"] for a, b in zip(layers, layers[1:])),
          f"{name}: up to 10 heaviest layers, most first")
    check(all(isinstance(l["output_shape"], list) and l["op_type"] for l in layers),
          f"{name}: heaviest layers carry op type and output shape")

    inputs = report["inputs"]
    if not check(len(inputs) == 1, f"{name}: one input", repr(inputs)):
        return
    image = inputs[0]
    symbolic = [axis for axis, d in enumerate(image["shape"]) if not isinstance(d, int)]
    assumed_axes = [a["axis"] for a in report["assumed_dims"] if a["input"] == image["name"]]
    check(assumed_axes == symbolic and all(a["value"] == 1 for a in report["assumed_dims"]),
          f"{name}: assumed dims are the symbolic ones, taken as 1", repr(report["assumed_dims"]))
    check(image["analyzed_shape"] == [1, 3, 224, 224], f"{name}: analyzed at 1x3x224x224",
          repr(image["analyzed_shape"]))

    text = run(binary, path)
    check(text.returncode == 0 and "MACs" in text.stdout and "heaviest layers" in text.stdout,
          f"{name}: text report", text.stderr.strip())
    for a in report["assumed_dims"]:
        check(f"assumed {a['input']} dim {a['axis']}" in text.stdout, f"{name}: text names assumed dim {a}")

    batch2 = f"{image['name']}:2,3,224,224"
    if 0 in symbolic:
        doubled = inspect_json(binary, path, "--overwrite-input-shape", batch2)
        if doubled:
            check(doubled["macs"] == 2 * macs, f"{name}: batch 2 doubles MACs")
            check(all(a["axis"] != 0 for a in doubled["assumed_dims"]), f"{name}: overridden dim not assumed")
    else:
        check_error(binary, f"{name}: batch fixed by the model", [path, "--overwrite-input-shape", batch2], 1,
                    [image["name"], "fixed at"])
    check_error(binary, f"{name}: unknown input", [path, "--overwrite-input-shape", "no_such_input:1,3,224,224"],
                1, ["no_such_input", path])
    check_error(binary, f"{name}: wrong rank", [path, "--overwrite-input-shape", f"{image['name']}:1,3,224"],
                1, [image["name"], "rank"])


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("ONNX_LITE", os.path.join(ROOT, "build", "onnx-lite"))
    if not os.access(binary, os.X_OK):
        print(f"inspect_macs: no onnx-lite binary at {binary}; build first (ninja -C build)")
        return 1
    check_errors_without_models(binary)
    missing = [n for n in PUBLISHED_MACS if not os.path.exists(os.path.join(ZOO, f"{n}-op13.onnx"))]
    if missing:
        print(f"SKIP: zoo fixtures not generated ({', '.join(missing)} missing under {ZOO}); "
              "MAC checks skipped")
        return summary(SKIPPED)
    for name, published in PUBLISHED_MACS.items():
        check_model(binary, name, published)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
