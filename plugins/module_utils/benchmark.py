# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""One benchmark from typed settings (the module builds them): workload, sweep, statistics, record, chart."""

from __future__ import annotations

import hashlib
import json

from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark_workload import build_workload
from ansible_collections.vllm_pooling.migration.plugins.module_utils.level_validity import (
    MODEST_CONCURRENCY, ReferenceLimits, StopRule, ValidityRule)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.load_generator import NotSent, run_sweep
from ansible_collections.vllm_pooling.migration.plugins.module_utils.performance import (
    combine_level, error_record, level_stats, not_measured_record, not_sent_stats, performance_record)


class Benchmark(object):
    """Every setting of one benchmark call, typed; the module builds it from its options (same names).

    ``candidate`` and ``reference`` are the load generator's Targets; ``rule`` the ValidityRule of a level,
    ``limits`` the ReferenceLimits (defaults: the module's); ``client`` where the load generator runs and the path
    it takes (benchmark_client.client_record), kept in every record."""

    def __init__(self, model, candidate, reference, kind="embedding", max_tokens=None, mode="closed", levels=(1,),
                 duration=10.0, warmup=2.0, max_requests=0, max_connections=64, timeout=60.0, mix=None, batch_size=32,
                 documents=16, throughput_ratio=0.8, p95_bound_ms=100.0, advisory=False, platform_note="",
                 reference_first=False, rule=None, limits=None, client=None):
        self.model = model
        self.candidate = candidate
        self.reference = reference
        self.kind = kind
        self.max_tokens = max_tokens
        self.mode = mode
        self.given_levels = list(levels)
        # concurrencies are whole numbers (the module's option is a list of floats, for rates)
        self.levels = [int(level) for level in levels] if mode == "closed" else list(levels)
        self.duration = duration
        self.warmup = warmup
        self.max_requests = max_requests
        self.max_connections = max_connections
        self.timeout = timeout
        self.mix = mix
        self.batch_size = batch_size
        self.documents = documents
        self.throughput_ratio = throughput_ratio
        self.p95_bound_ms = p95_bound_ms
        self.advisory = advisory
        self.platform_note = platform_note
        self.reference_first = reference_first
        self.rule = rule or ValidityRule()
        self.limits = limits or reference_limits()
        self.client = client

    def problems(self):
        """Messages for settings that cannot work (levels, durations, the validity rule, the reference's limits)."""
        problems = []
        if self.duration <= 0 or self.warmup < 0 or self.max_requests < 0 or self.timeout <= 0:
            problems.append("duration and timeout must be positive, warmup and max_requests not negative")
        if any(level <= 0 for level in self.given_levels):
            problems.append("levels must be positive, got %s" % self.given_levels)
        return problems + self.rule.problems() + self.limits.problems()


def reference_limits(max_concurrency=MODEST_CONCURRENCY, max_rate=0.0, high_load_allowed=False, stop_error_rate=0.05,
                     stop_p99_ms=0.0):
    """The ReferenceLimits of the module's ``reference_*`` limits and stop rule (defaults: the module's)."""
    return ReferenceLimits(max_concurrency, max_rate, StopRule(stop_error_rate, stop_p99_ms), high_load_allowed)


def _stopped_before(previous_levels):
    """Why the reference must not be sent more load: it was stopped at an earlier level of this benchmark."""
    for level in previous_levels or []:
        stopped = (level.get("reference") or {}).get("stopped")
        if stopped:
            return "not sent: the stop rule stopped the reference at a lower level (%s)" % stopped
    return None


def _stats(samples, table):
    return not_sent_stats(samples.reason) if isinstance(samples, NotSent) else level_stats(samples, table)


def _identity(settings):
    candidate, reference = settings.candidate, settings.reference
    return ({"url": candidate.base_url, "model": candidate.model},
            {"type": reference.server_type, "url": reference.base_url, "model": reference.model})


def _workload_summary(settings, workload, table=None):
    summary = {"kind": workload["kind"], "description": workload["description"], "mode": settings.mode,
               "levels": list(settings.levels), "duration_s": settings.duration, "warmup_s": settings.warmup,
               "max_requests": settings.max_requests, "max_tokens": workload["max_tokens"]}
    if table:
        shapes = {}
        for row in table:
            entry = shapes.setdefault(row["shape"], {"requests": 0, "texts": 0, "tokens": 0})
            entry["requests"] += 1
            entry["texts"] += row["texts"]
            entry["tokens"] += row["tokens"]
        summary["shapes"] = {name: {"texts_per_request": round(e["texts"] / float(e["requests"]), 1),
                                    "tokens_per_request": round(e["tokens"] / float(e["requests"]), 1),
                                    "share_of_requests": round(e["requests"] / float(len(table)), 3)}
                             for name, e in shapes.items()}
        summary["tokens_reported_by_server"] = all(row["tokens_reported"] for row in table)
    return summary


def _workload(settings):
    return build_workload(settings.kind, max_tokens=settings.max_tokens, mix=settings.mix,
                          batch_size=settings.batch_size, documents=settings.documents)


def failed_record(settings, reason):
    """The record of a benchmark that could not measure (status ``error``)."""
    candidate, reference = _identity(settings)
    return error_record(reason, settings.advisory, candidate, reference,
                        _workload_summary(settings, _workload(settings)), settings.platform_note, settings.client)


def _level_key(level):
    return level.get("concurrency"), level.get("rate")


def _merge(previous, measured):
    """Earlier levels plus new ones; a level measured again replaces the earlier one."""
    new_keys = set(_level_key(level) for level in measured)
    return [level for level in previous if _level_key(level) not in new_keys] + list(measured)


def calibration_fingerprint(workload, candidate, reference):
    """What a calibration is valid for: the exact requests and both servers (URL, model, type)."""
    identity = json.dumps([workload["requests"], candidate, reference], sort_keys=True)
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()


def _reusable_table(calibration, fingerprint, workload):
    """The request table of an earlier call when it was made for this workload and these servers, else None."""
    calibration = calibration or {}
    table = calibration.get("table")
    if calibration.get("fingerprint") != fingerprint or not isinstance(table, list):
        return None
    return table if len(table) == len(workload["requests"]) else None


def run_benchmark(settings, previous_levels=(), calibration=None, chart_path=None, check_mode=False, progress=None):
    """Measure ``settings.levels`` (a Benchmark) on both servers; return ``(record, calibration)``.

    ``record`` is the performance record over the levels measured now and ``previous_levels`` (the ``levels`` of
    an earlier call: a benchmark run one level per call keeps its state in what the calls return).
    ``calibration`` (``{fingerprint, table}``) lets the next call of the same workload on the same servers
    skip the calibration pass (every distinct request once per server, answers checked): pass it back as
    ``calibration``; one made for other requests or servers is ignored and calibration runs.
    In check mode nothing is sent, the record is ``not_measured`` and the calibration empty."""
    workload = _workload(settings)
    candidate, reference = _identity(settings)
    common = dict(threshold=settings.throughput_ratio, bound_ms=settings.p95_bound_ms, advisory=settings.advisory,
                  candidate=candidate, reference=reference, platform_note=settings.platform_note,
                  reference_limits=settings.limits.describe(), client=settings.client)
    if check_mode:
        return not_measured_record("check mode: no load was sent", settings.advisory, candidate, reference,
                                   _workload_summary(settings, workload), settings.platform_note, settings.client), {}
    previous_levels = list(previous_levels or [])
    fingerprint = calibration_fingerprint(workload, candidate, reference)
    measured, table = run_sweep(settings.model, [settings.candidate, settings.reference], workload, settings.levels,
                                mode=settings.mode, duration=settings.duration, max_requests=settings.max_requests,
                                warmup=settings.warmup, timeout=settings.timeout,
                                max_connections=settings.max_connections, reference_first=settings.reference_first,
                                progress=progress, table=_reusable_table(calibration, fingerprint, workload),
                                rule=settings.rule, reference_limits=settings.limits,
                                reference_skip=_stopped_before(previous_levels))
    levels = [combine_level(level, settings.mode, _stats(runs["candidate"], table), _stats(runs["reference"], table))
              for level, runs in measured]
    record = performance_record(_merge(previous_levels, levels),
                                workload=_workload_summary(settings, workload, table), **common)
    if chart_path:
        from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark_chart import render_chart
        record["chart"] = render_chart(settings.model, record, chart_path)
    return record, {"fingerprint": fingerprint, "table": table}
