#!/usr/bin/env bash
# The GPU check (issue 9): one short script for a machine with an NVIDIA GPU, CuPy and PyTorch, and
# no package index. It
#   1. installs chainrule without touching the environment (pip --no-deps; falls back to src/);
#   2. runs the device tests on CuPy: every registered op, the layers with every padding mode,
#      the optimizers and the trainer, each compared with the same computation in NumPy;
#   3. runs chainrule and PyTorch side by side on the same GPU (seconds per epoch, inference,
#      per-op overhead), each measurement in its own process.
# Usage: bash scripts/gpu_check.sh [ROUNDS]   (default 3; logs also go to $OUT, else ./gpu-check;
#        SKIP_BENCH=1 runs the tests alone)
# Real MNIST is used when .pytest_cache/d/chainrule-data (the test suite's cache) came along.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-gpu-check}"
mkdir -p "$out"
rounds="${1:-3}"
export PYTHONUNBUFFERED=1 CHAINRULE_TEST_DEVICE=cuda  # the tests fail, not skip, without a usable GPU
if [ -d .pytest_cache/d/chainrule-data ]; then
    export CHAINRULE_HOME="$PWD/.pytest_cache/d/chainrule-data"
fi
python3 -m pip install -q --no-deps --no-build-isolation -e . >"$out/install.txt" 2>&1 \
    || echo "pip install --no-deps -e . failed (see $out/install.txt): running from src/"
export PYTHONPATH="$PWD/src:$PWD${PYTHONPATH:+:$PYTHONPATH}"

python3 - <<'PY' 2>&1 | tee "$out/versions.txt"
import platform

import cupy
import numpy
import torch

import chainrule

props = cupy.cuda.runtime.getDeviceProperties(0)
print(f"GPU: {props['name'].decode()}, {props['totalGlobalMem'] / 2**30:.0f} GiB; CUDA runtime "
      f"{cupy.cuda.runtime.runtimeGetVersion()}, driver {cupy.cuda.runtime.driverGetVersion()}")
print(f"Python {platform.python_version()}, NumPy {numpy.__version__}, CuPy {cupy.__version__}, "
      f"PyTorch {torch.__version__} (CUDA {torch.version.cuda}), chainrule {chainrule.__version__}")
PY

# The first run on a fresh machine compiles CuPy's kernels (cached in ~/.cupy for the later processes).
status=0
SECONDS=0
python3 -m pytest -q tests/device 2>&1 | tee "$out/tests.txt" || status=1
echo "device tests: ${SECONDS} s"
if [ "${SKIP_BENCH:-0}" != 1 ]; then
    SECONDS=0
    python3 benchmarks/train_vs_torch.py --device cuda --rounds "$rounds" 2>&1 | tee "$out/bench.txt" || status=1
    echo "benchmark: ${SECONDS} s"
fi
echo "gpu_check: $([ $status = 0 ] && echo passed || echo FAILED); logs in $out/"
exit $status
