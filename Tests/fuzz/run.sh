#!/usr/bin/env bash
# Builds archc's libFuzzer targets (with AddressSanitizer, in .build-fuzz so the normal build
# is untouched) and runs each for SECONDS (default 30), seeded from the test fixtures.
# Fails if any target crashes, hangs (10 s per input) or uses more than 2 GB; the input that
# did it is saved under .build-fuzz/artifacts/ — copy it to Tests/fuzz/crashes/<target>/ and
# it becomes a regression test of the normal suite (FuzzCrashRegressionTests).
#   Tests/fuzz/run.sh [SECONDS]          all targets
#   ARCHC_FUZZ_TARGETS="fuzz-npy" ...    some of them
set -uo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-30}
targets=(${ARCHC_FUZZ_TARGETS:-fuzz-spec fuzz-safetensors fuzz-torch fuzz-npy fuzz-image})

# Seed corpora, read-only: the fixtures of the normal tests.
seeds() {
    case "$1" in
        fuzz-spec) echo specs/tiny Tests/ArchcSpecTests/Fixtures/invalid ;;
        fuzz-safetensors) echo Tests/fuzz/seeds/safetensors ;;
        fuzz-torch) echo Tests/ArchcIOTests/Fixtures/torch ;;
        fuzz-npy) echo Tests/ArchcImageTests/Fixtures/images/cat.jpg.bilinear.npy ;;
        fuzz-image) echo Tests/ArchcImageTests/Fixtures/images/cat.jpg Tests/ArchcImageTests/Fixtures/images/cat-gray.png \
            Tests/ArchcImageTests/Fixtures/images/cat-rgba.png Tests/ArchcImageTests/Fixtures/images/broken.jpg ;;
    esac
}

failed=()
for target in "${targets[@]}"; do
    start=$(date +%s)
    mkdir -p .build-fuzz/artifacts
    if ! ARCHC_FUZZ=1 swift build --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address --product "$target" >".build-fuzz/build-$target.log" 2>&1; then
        grep -E "error:" ".build-fuzz/build-$target.log" | head -n 20
        echo "$target: build FAILED (log: .build-fuzz/build-$target.log)"
        failed+=("$target")
        continue
    fi
    built=$(date +%s)
    corpus=.build-fuzz/corpus/$target
    mkdir -p "$corpus"
    # Single files as seeds: libFuzzer wants folders, so they are copied into the working corpus.
    dirs=()
    for seed in $(seeds "$target"); do
        if [ -d "$seed" ]; then dirs+=("$seed"); else cp "$seed" "$corpus/"; fi
    done
    log=.build-fuzz/$target.log
    # Leaks are not checked (nor at exit): Foundation's FileManager.contents(atPath:) leaks
    # 4 KB reading an empty file. Crashes, hangs and memory blow-ups are.
    ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" ".build-fuzz/debug/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -detect_leaks=0 -print_final_stats=1 \
        -artifact_prefix=".build-fuzz/artifacts/$target-" "$corpus" "${dirs[@]}" >"$log" 2>&1
    status=$?
    runs=$(grep -oE "stat::number_of_executed_units: *[0-9]+" "$log" | grep -oE "[0-9]+$" | tail -n 1 || echo "?")
    echo "$target: built in $((built - start)) s, fuzzed $(($(date +%s) - built)) s, $runs inputs, corpus $(ls "$corpus" | wc -l) files"
    if [ "$status" -ne 0 ]; then
        grep -E "ERROR: |SUMMARY: |Fatal error|artifact_prefix|Test unit written" "$log" | head -n 20
        echo "$target: FAILED (exit $status, log: $log)"
        failed+=("$target")
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzzing failed: ${failed[*]}"
    exit 1
fi
echo "fuzzing: ${#targets[@]} targets, no crash"
