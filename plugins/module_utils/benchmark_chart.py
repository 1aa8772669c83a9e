# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The benchmark chart: throughput and p95 latency against concurrency, vLLM beside the reference (PNG)."""

from __future__ import annotations

import math
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


def _value(level, side, path):
    value = level[side]
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value if value is not None and level[side]["succeeded"] else float("nan")


def _counted(level, side):
    """Whether the side's numbers at this level are a measurement (a side without a verdict is taken as is)."""
    return level[side].get("valid", True)


def _series(levels, side, path):
    """The values the line joins (valid levels) and the ones marked apart (invalid levels), NaN elsewhere."""
    values = [_value(level, side, path) for level in levels]
    nan = float("nan")
    return ([v if _counted(lv, side) else nan for v, lv in zip(values, levels)],
            [nan if _counted(lv, side) else v for v, lv in zip(values, levels)])


def render_chart(model, record, path):
    """Write a two-panel PNG of ``record``'s levels to ``path``: texts/s and p95 latency (log scale)
    against the level, candidate and reference as two lines each; a side's invalid levels are marked x,
    off the line. Returns ``path``."""
    levels = record["levels"]
    closed = all(level.get("concurrency") is not None for level in levels)
    xs = [level["concurrency"] if closed else level["rate"] for level in levels]
    ref = record.get("reference") or {}
    names = {"candidate": "vLLM (%s)" % (record.get("candidate") or {}).get("model", "candidate"),
             "reference": "%s (%s)" % ("Caikit" if ref.get("type") == "caikit" else "reference", ref.get("model", ""))}
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    try:
        marked = False
        for side, style in (("candidate", "o-"), ("reference", "s--")):
            for axis, keys in ((left, ["texts_per_s"]), (right, ["latency_ms", "p95"])):
                counted, invalid = _series(levels, side, keys)
                line, = axis.plot(xs, counted, style, label=names[side])
                if not all(math.isnan(v) for v in invalid):  # some level of this side is invalid
                    # Invalid levels are not counted by the gate: drawn apart, unjoined, so no line runs through them.
                    axis.plot(xs, invalid, "x", color=line.get_color(), markersize=9,
                              label="%s: invalid level, not counted" % names[side])
                    marked = True
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
        footer = []
        if gate.get("threshold"):
            footer.append("gate: vLLM texts/s >= %.2f x reference at every valid level" % gate["threshold"])
        if marked:
            footer.append("x: invalid level (window short against its slowest requests, or stopped): not counted")
        if footer:
            figure.text(0.01, 0.01, "; ".join(footer), fontsize=8)
        figure.tight_layout(rect=(0, 0.03, 1, 0.95))
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            os.makedirs(directory)
        figure.savefig(path, dpi=100)
    finally:
        plt.close(figure)
    return path
