# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The benchmark chart: throughput and p95 latency against concurrency, vLLM beside the reference (PNG)."""

from __future__ import annotations

import os

try:
    import matplotlib
    matplotlib.use("Agg")  # no display on controllers and CI
    import matplotlib.pyplot as plt
    from matplotlib.ticker import ScalarFormatter
    HAS_MATPLOTLIB = True
    MATPLOTLIB_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - the module warns and writes no chart
    HAS_MATPLOTLIB = False
    MATPLOTLIB_IMPORT_ERROR = exc


def _series(levels, side, path):
    values = []
    for level in levels:
        value = level[side]
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        values.append(value if value is not None and level[side]["succeeded"] else float("nan"))
    return values


def render_chart(model, record, path):
    """Write a two-panel PNG of ``record``'s levels to ``path``: texts/s and p95 latency (log scale)
    against the level, candidate and reference as two lines each. Returns ``path``."""
    levels = record["levels"]
    closed = all(level.get("concurrency") is not None for level in levels)
    xs = [level["concurrency"] if closed else level["rate"] for level in levels]
    ref = record.get("reference") or {}
    names = {"candidate": "vLLM (%s)" % (record.get("candidate") or {}).get("model", "candidate"),
             "reference": "%s (%s)" % ("Caikit" if ref.get("type") == "caikit" else "reference", ref.get("model", ""))}
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    try:
        for side, style in (("candidate", "o-"), ("reference", "s--")):
            left.plot(xs, _series(levels, side, ["texts_per_s"]), style, label=names[side])
            right.plot(xs, _series(levels, side, ["latency_ms", "p95"]), style, label=names[side])
        for axis in (left, right):
            axis.set_xscale("log", base=2)
            axis.set_xticks(xs)
            axis.set_xticklabels([str(x) for x in xs])
            axis.set_xlabel("concurrency (closed loop)" if closed else "offered rate (requests/s, open loop)")
            axis.grid(True, which="both", alpha=0.3)
            axis.legend()
        left.set_ylabel("texts per second")
        left.set_title("%s: throughput" % model)
        right.set_ylabel("p95 latency (ms)")
        right.set_yscale("log")
        right.yaxis.set_major_formatter(ScalarFormatter())
        right.yaxis.set_minor_formatter(ScalarFormatter())
        right.set_title("%s: p95 latency, all requests" % model)
        gate = (record.get("gates") or {}).get("throughput_ratio") or {}
        figure.suptitle("%s - performance %s%s" % (model, record.get("status"), " (advisory)" if record.get("advisory") else ""))
        if gate.get("threshold"):
            figure.text(0.01, 0.01, "gate: vLLM texts/s >= %.2f x reference at every level" % gate["threshold"], fontsize=8)
        figure.tight_layout(rect=(0, 0.03, 1, 0.95))
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            os.makedirs(directory)
        figure.savefig(path, dpi=100)
    finally:
        plt.close(figure)
    return path
