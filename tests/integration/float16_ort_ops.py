#!/usr/bin/env python3
"""The float16 pass against onnxruntime's CPU provider, op by op, on the ONNX conformance suite.

The first few (PER_OP) single-node models of each op type that onnxruntime runs in float32 and that
have float32 tensors (enough to meet an op's variants, such as a Scatter's reductions) are used
twice:
  1. the trial the pass's table was derived from: every float32 tensor of the model made float16
     bluntly (inputs, outputs, initializers, tensor attributes) and run in onnxruntime. An op that
     fails there must be one the pass keeps in float32 or treats specially (passes/float16.c:
     KEEP_FLOAT32, or the ops with float32-only inputs or outputs it names), else the table is out
     of date;
  2. `onnx-lite optimize -p float16` on the model: the result must load and run in onnxruntime,
     with outputs within 3% (of the largest magnitude) of the float32 model's where float16 can
     hold them (an op that writes float32's lowest for masked entries writes float16's in float16),
     and finite where they are; ops with random outputs (their float32 runs differ) are only run.
Prints the ops that fail the blunt trial (the table's source) and a summary.

usage: float16_ort_ops.py ONNX_LITE
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper as nh

sys.path.insert(0, os.path.dirname(__file__))
from suite_paths import find_node_suite  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# Ops the pass converts only in part (float32-only inputs or outputs stay) or on a condition.
SPECIAL = {"Resize", "Upsample", "Dropout", "LayerNormalization", "ScatterElements", "ScatterND", "Cast",
           "CastLike"}
TOLERANCE = 0.03
PER_OP = 4
# Ops whose outputs are random (Dropout too, in training mode): run, not compared.
RANDOM = {"Bernoulli", "Multinomial", "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike"}


def keep_float32_table():
    source = open(os.path.join(REPO, "passes", "float16.c")).read()
    body = re.search(r"KEEP_FLOAT32\[\] = \{(.*?)\};", source, re.S).group(1)
    return set(re.findall(r'"(\w+)"', body))


def session(model_bytes):
    so = ort.SessionOptions()
    so.log_severity_level = 4
    return ort.InferenceSession(model_bytes, so, providers=["CPUExecutionProvider"])


def blunt_float16(model):
    """Every float32 tensor made float16; False when there was none."""
    g = model.graph
    found = False
    for vi in list(g.input) + list(g.output) + list(g.value_info):
        if vi.type.tensor_type.elem_type == onnx.TensorProto.FLOAT:
            vi.type.tensor_type.elem_type = onnx.TensorProto.FLOAT16
            found = True
    tensors = list(g.initializer) + [a.t for n in g.node for a in n.attribute if a.type == onnx.AttributeProto.TENSOR]
    for t in tensors:
        if t.data_type == onnx.TensorProto.FLOAT:
            t.CopyFrom(nh.from_array(nh.to_array(t).astype(np.float16), t.name))
            found = True
    return found


def load_inputs(folder, model):
    feeds = {}
    for i, vi in enumerate(model.graph.input):
        path = os.path.join(folder, "test_data_set_0", f"input_{i}.pb")
        if not os.path.exists(path):
            return None
        try:
            feeds[vi.name] = nh.to_array(onnx.load_tensor(path))
        except Exception:
            return None
    return feeds


def candidates(suite):
    """Usable single-node models, PER_OP per op type: (op, folder, model, inputs, float32 outputs)."""
    taken = {}
    for folder in sorted(glob.glob(os.path.join(suite, "test_*"))):
        try:
            model = onnx.load(os.path.join(folder, "model.onnx"))
        except Exception:
            continue
        if len(model.graph.node) != 1 or model.graph.node[0].domain not in ("", "ai.onnx"):
            continue
        node = model.graph.node[0]
        if taken.get(node.op_type, 0) >= PER_OP or any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS)
                                                       for a in node.attribute):
            continue
        if not any(vi.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
                   for vi in list(model.graph.input) + list(model.graph.output)):
            continue
        feeds = load_inputs(folder, model)
        if feeds is None:
            continue
        try:
            s = session(model.SerializeToString())
            expected = s.run(None, feeds)
            again = s.run(None, feeds)
        except Exception:
            continue   # not run by onnxruntime in float32 either
        random = node.op_type in RANDOM or (node.op_type == "Dropout" and len(node.input) > 2 and node.input[2])
        if random or not all(np.array_equal(a, b) for a, b in zip(expected, again) if isinstance(a, np.ndarray)):
            expected = None   # random outputs
        taken[node.op_type] = taken.get(node.op_type, 0) + 1
        yield node.op_type, folder, model, feeds, expected


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    binary = os.path.abspath(sys.argv[1])
    table = keep_float32_table()
    trial_failures, missing, failures, checked = [], [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for op, folder, model, feeds, expected in candidates(find_node_suite()):
            checked += 1
            blunt = onnx.ModelProto()
            blunt.CopyFrom(model)
            if blunt_float16(blunt):
                try:
                    with np.errstate(over="ignore"):
                        half_feeds = {k: v.astype(np.float16) if v.dtype == np.float32 else v for k, v in feeds.items()}
                    session(blunt.SerializeToString()).run(None, half_feeds)
                except Exception:
                    trial_failures.append(op)
                    if op not in table and op not in SPECIAL and op not in missing:
                        missing.append(op)
            out = os.path.join(tmp, os.path.basename(folder) + ".onnx")
            r = subprocess.run([binary, "optimize", os.path.join(folder, "model.onnx"), "-o", out, "-p", "float16"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                failures.append(f"{os.path.basename(folder)}: onnx-lite optimize -p float16 failed: "
                                f"{r.stderr.strip()[:200]}")
                continue
            try:
                got = session(out).run(None, feeds)
            except Exception as e:
                failures.append(f"{os.path.basename(folder)}: onnxruntime cannot run the float16 model: {str(e)[:200]}")
                continue
            for g, e in zip(got, expected or []):
                if not isinstance(e, np.ndarray) or e.dtype.kind != "f" or e.size == 0:
                    continue
                representable = np.isfinite(e) & (np.abs(e) <= 65504)
                largest = max(float(np.max(np.abs(e[representable]), initial=0)), 1e-30)
                finite = representable & np.isfinite(g)
                if not np.array_equal(np.isfinite(e), np.isfinite(g)):
                    failures.append(f"{os.path.basename(folder)}: the float16 model's outputs are not finite where "
                                    "the float32 model's are")
                    break
                worst = float(np.max(np.abs(g[finite].astype(np.float64) - e[finite]), initial=0)) / largest
                if worst > TOLERANCE:
                    failures.append(f"{op} ({os.path.basename(folder)}): error {worst:.3g} of the largest magnitude")
                    break
    print("ops onnxruntime does not run in blunt float16:", ", ".join(sorted(set(trial_failures))))
    for op in missing:
        print(f"FAIL {op} fails in float16 in onnxruntime but the float16 pass does not keep it in float32")
    for f in failures:
        print("FAIL", f)
    print(f"{checked} models checked, {len(missing) + len(failures)} failed")
    return 1 if missing or failures else 0


if __name__ == "__main__":
    sys.exit(main())
