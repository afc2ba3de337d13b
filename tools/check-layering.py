#!/usr/bin/env python3
"""Checks Package.swift's target graph against archc's layering rules, from
`swift package dump-package` on stdin (test.sh pipes it in):

- the IR, the kernels and the runtime never reach the spec layer (nor Yams): a program that
  links only the runtime, as every generated model does, carries no YAML parser;
- `archc`, which writes generated/, never links ArchcGenerated, so ./generate.sh works from
  any state of generated/;
- only the kernel targets are built -Ounchecked: everything else keeps its checks.

Prints one line per broken rule and exits 1, or prints "layering ok".
"""
import json
import sys

UNCHECKED_ALLOWED = {"ArchcKernels", "archc-kernels"}
NEVER_REACHES = {
    "ArchcCore": {"ArchcSpec", "Yams", "ArchcIR"},
    "ArchcIR": {"ArchcSpec", "Yams"},
    "ArchcKernels": {"ArchcSpec", "Yams", "ArchcRuntime"},
    "ArchcRuntime": {"ArchcSpec", "Yams", "ArchcLowering", "ArchcPasses"},
    "ArchcPasses": {"ArchcSpec", "Yams"},
    "ArchcInterpreter": {"ArchcSpec", "Yams"},
    "archc": {"ArchcGenerated"},
}


def dependencies(target):
    """Names of a target's direct dependencies (targets by name, products by product name)."""
    names = []
    for dep in target["dependencies"]:
        kind, value = next(iter(dep.items()))
        names.append(value[0])
    return names


def closure(name, graph):
    seen, stack = set(), [name]
    while stack:
        for dep in graph.get(stack.pop(), []):
            if dep not in seen:
                seen.add(dep)
                stack.append(dep)
    return seen


def main():
    package = json.load(sys.stdin)
    graph = {t["name"]: dependencies(t) for t in package["targets"]}
    problems = []
    for name, forbidden in NEVER_REACHES.items():
        if name not in graph:
            problems.append(f"Package.swift: no target '{name}' (update tools/check-layering.py)")
            continue
        for bad in sorted(closure(name, graph) & forbidden):
            problems.append(f"Package.swift: target '{name}' depends on '{bad}'")
    for target in package["targets"]:
        flags = [f for s in target.get("settings", []) for f in s.get("kind", {}).get("unsafeFlags", {}).get("_0", [])]
        if "-Ounchecked" in flags and target["name"] not in UNCHECKED_ALLOWED:
            problems.append(f"Package.swift: target '{target['name']}' is built -Ounchecked; only the kernels may be")
    for line in problems:
        print(line)
    if problems:
        sys.exit(1)
    print("layering ok")


if __name__ == "__main__":
    main()
