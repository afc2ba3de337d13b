#!/usr/bin/env bash
# Runs archc's whole test suite on a fresh Debian machine with Swift: installs what the
# tests need, builds, and runs every test (spec corpus, diagnostics corpus, fuzz, CLI).
set -euo pipefail
cd "$(dirname "$0")"

# System packages the build and tests need; installed only when missing.
need=()
for pkg in ${ARCHC_APT_PACKAGES:-}; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi

swift build --build-tests
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
swift test --skip-build --disable-swift-testing 2>&1 | tee "$log" || status=$?
# One plain closing line: "N passed, N failed", from XCTest's final summary.
summary=$(grep -E "Executed [0-9]+ tests?, with [0-9]+ failures?" "$log" | tail -n 1 || true)
if [ -n "$summary" ]; then
    total=$(sed -E 's/.*Executed ([0-9]+) tests?.*/\1/' <<<"$summary")
    failed=$(sed -E 's/.*with ([0-9]+) failures?.*/\1/' <<<"$summary")
    echo "$((total - failed)) passed, $failed failed"
fi
exit "$status"
