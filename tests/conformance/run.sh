#!/usr/bin/env bash
# Runs the ONNX node conformance suite through the executor.
# usage: run.sh NODE_CONFORMANCE_BINARY PYTHON
# The suite is found by tests/integration/suite_paths.py (ONNX_NODE_TESTS, the onnx package's copy,
# or ../shared/onnx-tests/node); a missing suite fails loudly. Known failures are listed, each with a
# reason, in known_failures.txt beside this script: they are reported but do not fail the run.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
suite="$("$2" "$HERE/../integration/suite_paths.py")"
exec "$1" "$suite" --known-failures "$HERE/known_failures.txt"
