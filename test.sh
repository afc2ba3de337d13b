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
swift test --skip-build
