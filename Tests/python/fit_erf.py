#!/usr/bin/env python3
"""Fits the rational erf approximation the runtime's GELU uses (Sources/ArchcRuntime/Kernels/
EpilogueKernel.swift, enum Erf): erf(x) ~ x P(x^2) / Q(x^2) on |x| <= 3.92, P and Q of
degree 5, Q(0) = 1, by iteratively reweighted linear least squares on Chebyshev nodes.
Prints the coefficients as float32 and the largest error of the float32 evaluation.
usage: python3 Tests/python/fit_erf.py   (needs numpy)"""
from math import erf

import numpy as np

LIMIT, DP, DQ = 3.92, 5, 5
u = (np.cos(np.linspace(0, np.pi, 4000)) + 1) / 2 * LIMIT * LIMIT
x = np.sqrt(u)
f = np.array([erf(v) / v if v > 0 else 2 / np.sqrt(np.pi) for v in x])  # erf(x) / x as a function of u = x^2


def fit(weights):
    # P(u) - f(u) Q(u) = 0 with Q(0) = 1; unknowns p0..p5, q1..q5.
    columns = [u**i for i in range(DP + 1)] + [-f * u**i for i in range(1, DQ + 1)]
    a = np.vstack(columns).T
    c, *_ = np.linalg.lstsq(a * weights[:, None], f * weights, rcond=None)
    return c[: DP + 1], np.concatenate([[1.0], c[DP + 1 :]])


weights = np.ones_like(u)
for _ in range(30):  # weight up where the error of erf itself (x times the fit's) is largest
    p, q = fit(weights)
    error = x * (np.polyval(p[::-1], u) / np.polyval(q[::-1], u) - f)
    weights *= 1 + 0.5 * np.abs(error) / np.abs(error).max()

p32, q32 = p.astype(np.float32), q.astype(np.float32)
xs = np.linspace(-6, 6, 400001).astype(np.float32)
c = np.clip(xs, -LIMIT, LIMIT).astype(np.float32)
us = c * c
num, den = np.full_like(us, p32[-1]), np.full_like(us, q32[-1])
for i in range(DP - 1, -1, -1):
    num, den = (num * us + p32[i]).astype(np.float32), (den * us + q32[i]).astype(np.float32)
approx = c * num / den
print("p:", ", ".join(repr(float(v)) for v in p32))
print("q:", ", ".join(repr(float(v)) for v in q32))
print("largest error on [-6, 6]:", float(np.abs(approx - np.array([erf(float(v)) for v in xs])).max()))
