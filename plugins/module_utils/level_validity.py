# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""When a benchmark level's numbers mean something, and when to stop loading the reference. Pure functions.

A level's rates count the requests answered inside its window. That estimates the rate of a shape only when
the window is long against the shape's latency: with 5 s windows and 32-text batches that take 6-9 s, no batch
completes inside the window and the mix's texts/s reads as that of its single texts (a ratio three times too
high). ``ValidityRule`` judges a run (window >= ``window_factor`` x the slowest shape's p99, at least
``min_completions`` of every shape inside it) and says how long to measure again, up to ``max_duration``.

``StopRule`` protects the reference (often the production Caikit consumers use): a run stops sending once its
error rate or its p99 latency rises past a bound, and the level says why.
"""

from __future__ import annotations

import math

OK = "ok"  # load_generator.OK; repeated here so that this file imports nothing of the generator


def _p99_ms(latencies):
    """p99 in milliseconds with numpy's linear interpolation, without numpy; None for no samples."""
    if not latencies:
        return None
    values = sorted(latencies)
    position = (len(values) - 1) * 0.99
    low = int(math.floor(position))
    high = min(low + 1, len(values) - 1)
    return round((values[low] + (values[high] - values[low]) * (position - low)) * 1000.0, 2)


class ValidityRule(object):
    """A level is valid when ``window >= window_factor x`` the slowest shape's p99 and every shape of the workload
    has at least ``min_completions`` successful answers inside the window. ``max_duration`` bounds the
    automatic extension (a value at or below the level's duration turns it off)."""

    def __init__(self, window_factor=10.0, min_completions=5, max_duration=0.0):
        self.window_factor = float(window_factor)
        self.min_completions = int(min_completions)
        self.max_duration = float(max_duration or 0)

    def problems(self):
        found = []
        if self.window_factor < 0:
            found.append("window_factor must not be negative")
        if self.min_completions < 0:
            found.append("min_completions must not be negative")
        if self.max_duration < 0:
            found.append("max_duration must not be negative")
        return found

    def judge(self, samples, table):
        """``{window_s, completions_by_shape, p99_by_shape_ms, slowest_shape, slowest_p99_ms, valid, invalid_reason}``
        of one run (``samples``: load_generator.Samples; ``table``: the request table, one row per request spec).
        p99 is over every successful answer of the shape, the drain after the window included."""
        window = samples.window if samples.window is not None else samples.elapsed
        shapes = sorted(set(row["shape"] for row in table))
        inside = {shape: 0 for shape in shapes}
        latencies = {shape: [] for shape in shapes}
        for i, outcome in enumerate(samples.outcomes):
            if outcome != OK:
                continue
            shape = table[samples.spec_index[i]]["shape"]
            latencies[shape].append(samples.latencies[i])
            if samples.starts[i] + samples.latencies[i] <= window:
                inside[shape] += 1
        p99 = {shape: _p99_ms(latencies[shape]) for shape in shapes}
        known = [(value, shape) for shape, value in p99.items() if value is not None]
        slowest_p99, slowest = max(known) if known else (None, None)
        problems = []
        never = [shape for shape in shapes if p99[shape] is None]
        if never:
            problems.append("no %s request was answered" % " or ".join(never))
        if slowest_p99 is not None and window * 1000.0 < self.window_factor * slowest_p99:
            problems.append("window %.1f s < %g x the p99 of %s (%.2f s)"
                            % (window, self.window_factor, slowest, slowest_p99 / 1000.0))
        short = ["%s %d" % (shape, inside[shape]) for shape in shapes
                 if inside[shape] < self.min_completions and shape not in never]
        if short:
            problems.append("fewer than %d completions inside the window (%s)" % (self.min_completions, ", ".join(short)))
        return {"window_s": round(window, 3), "completions_by_shape": inside, "p99_by_shape_ms": p99,
                "slowest_shape": slowest, "slowest_p99_ms": slowest_p99, "valid": not problems,
                "invalid_reason": "; ".join(problems) or None}

    def next_duration(self, duration, verdict):
        """The duration to measure again with after an invalid ``verdict``, or None when the bound is reached."""
        if verdict["valid"] or self.max_duration <= duration:
            return None
        wanted = duration * 2.0
        if verdict["slowest_p99_ms"] is not None:
            wanted = max(wanted, self.window_factor * verdict["slowest_p99_ms"] / 1000.0 * 1.2)
        counts = [n for n in verdict["completions_by_shape"].values() if n > 0]
        if counts and min(counts) < self.min_completions:
            wanted = max(wanted, duration * self.min_completions / float(min(counts)) * 1.2)
        return min(self.max_duration, math.ceil(wanted))


class StopRule(object):
    """Stop loading a server once, after ``min_answers`` answers, more than ``max_error_rate`` of them failed or
    more than 1% took longer than ``max_p99_ms`` (its p99 is past the bound). A bound of 0 is off."""

    def __init__(self, max_error_rate=0.0, max_p99_ms=0.0, min_answers=20):
        self.max_error_rate = float(max_error_rate or 0)
        self.max_p99_ms = float(max_p99_ms or 0)
        self.min_answers = int(min_answers)

    def __bool__(self):
        return bool(self.max_error_rate or self.max_p99_ms)

    def reason(self, samples):
        """Why ``samples`` (a run in progress) must stop, or None."""
        answers = len(samples.outcomes)
        if answers < self.min_answers or answers % 5:  # every 5th answer: the check reads every latency
            return None
        if self.max_error_rate:
            errors = answers - samples.outcomes.count(OK)
            if errors > self.max_error_rate * answers:
                return "error rate %.1f%% > %.1f%% after %d answers" % (
                    100.0 * errors / answers, 100.0 * self.max_error_rate, answers)
        if self.max_p99_ms:
            slow = sum(1 for latency in samples.latencies if latency * 1000.0 > self.max_p99_ms)
            if slow > 0.01 * answers:
                return "p99 latency above %.0f ms (%d of %d answers slower)" % (self.max_p99_ms, slow, answers)
        return None

    def describe(self):
        return {"max_error_rate": self.max_error_rate, "max_p99_ms": self.max_p99_ms, "min_answers": self.min_answers}


MODEST_CONCURRENCY = 4


class ReferenceLimits(object):
    """What load the reference may receive: at most ``max_concurrency`` requests in flight (closed-loop levels above
    it are not sent to the reference, open-loop connections are capped), at most ``max_rate`` requests/s in open loop
    (0: no cap), and ``stop`` (a StopRule) while measuring. More than MODEST_CONCURRENCY needs ``allow_high_load``:
    the reference is often the production Caikit consumers use."""

    def __init__(self, max_concurrency=MODEST_CONCURRENCY, max_rate=0.0, stop=None, allow_high_load=False):
        self.max_concurrency = int(max_concurrency)
        self.max_rate = float(max_rate or 0)
        self.stop = stop or StopRule()
        self.allow_high_load = bool(allow_high_load)

    def problems(self):
        found = []
        if self.max_concurrency < 1:
            found.append("reference_max_concurrency must be at least 1")
        elif self.max_concurrency > MODEST_CONCURRENCY and not self.allow_high_load:
            found.append("reference_max_concurrency %d is above %d: the reference may be the production server "
                         "consumers use; set reference_high_load_allowed=true if it may take that load"
                         % (self.max_concurrency, MODEST_CONCURRENCY))
        if self.max_rate < 0:
            found.append("reference_max_rate must not be negative")
        return found

    def skip_reason(self, mode, level):
        """Why the reference is not sent this level, or None."""
        if mode == "closed" and level > self.max_concurrency:
            return "not sent: concurrency %s is above reference_max_concurrency %d" % (level, self.max_concurrency)
        if mode == "open" and self.max_rate and level > self.max_rate:
            return "not sent: %s requests/s is above reference_max_rate %g" % (level, self.max_rate)
        return None

    def describe(self):
        return {"max_concurrency": self.max_concurrency, "max_rate": self.max_rate or None,
                "high_load_allowed": self.allow_high_load, "stop_rule": self.stop.describe()}
