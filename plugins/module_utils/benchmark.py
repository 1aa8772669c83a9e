# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""One benchmark from the module's parameters: workload, targets, sweep, statistics, record, chart."""

from __future__ import annotations

import hashlib
import json

from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark_workload import build_workload
from ansible_collections.vllm_pooling.migration.plugins.module_utils.level_validity import (
    MODEST_CONCURRENCY, ReferenceLimits, StopRule, ValidityRule)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.load_generator import NotSent, Target, run_sweep
from ansible_collections.vllm_pooling.migration.plugins.module_utils.performance import (
    combine_level, error_record, level_stats, not_measured_record, not_sent_stats, performance_record)

# Module parameters of the validity rule and the reference's limits, with the defaults a caller that does not
# name them gets (the module documents them).
VALIDITY_DEFAULTS = {"window_factor": 10.0, "min_completions": 5, "max_duration": 0.0}
REFERENCE_DEFAULTS = {"reference_max_concurrency": MODEST_CONCURRENCY, "reference_max_rate": 0.0,
                      "reference_high_load_allowed": False, "reference_stop_error_rate": 0.05,
                      "reference_stop_p99_ms": 0.0}


def validity_rule(params):
    """The ValidityRule of the module's ``window_factor``, ``min_completions`` and ``max_duration``."""
    values = dict(VALIDITY_DEFAULTS, **{k: params[k] for k in VALIDITY_DEFAULTS if params.get(k) is not None})
    return ValidityRule(values["window_factor"], values["min_completions"], values["max_duration"])


def reference_limits(params):
    """The ReferenceLimits of the module's ``reference_*`` limits and stop rule."""
    values = dict(REFERENCE_DEFAULTS, **{k: params[k] for k in REFERENCE_DEFAULTS if params.get(k) is not None})
    return ReferenceLimits(values["reference_max_concurrency"], values["reference_max_rate"],
                           StopRule(values["reference_stop_error_rate"], values["reference_stop_p99_ms"]),
                           values["reference_high_load_allowed"])


def settings_problems(params):
    """Messages for validity and reference settings that cannot work."""
    return validity_rule(params).problems() + reference_limits(params).problems()


def _stopped_before(previous_levels):
    """Why the reference must not be sent more load: it was stopped at an earlier level of this benchmark."""
    for level in previous_levels or []:
        stopped = (level.get("reference") or {}).get("stopped")
        if stopped:
            return "not sent: the stop rule stopped the reference at a lower level (%s)" % stopped
    return None


def _stats(samples, table):
    return not_sent_stats(samples.reason) if isinstance(samples, NotSent) else level_stats(samples, table)


def targets_from(params):
    """The candidate (always the OpenAI API) and the reference, in that order."""
    tls = dict(validate_certs=params["validate_certs"], ca_path=params["ca_path"])
    return [
        Target("candidate", "openai", params["candidate_url"], params["candidate_model"],
               api_key=params["candidate_api_key"], **tls),
        Target("reference", params["reference_type"], params["reference_url"],
               params["reference_model"] or params["candidate_model"], api_key=params["reference_api_key"], **tls),
    ]


def _identity(params):
    candidate, reference = targets_from(params)
    return ({"url": candidate.base_url, "model": candidate.model},
            {"type": reference.server_type, "url": reference.base_url, "model": reference.model})


def _workload_summary(params, workload, table=None):
    summary = {"kind": workload["kind"], "description": workload["description"], "mode": params["mode"],
               "levels": list(params["levels"]), "duration_s": params["duration"], "warmup_s": params["warmup"],
               "max_requests": params["max_requests"], "max_tokens": workload["max_tokens"]}
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


def _workload(params):
    return build_workload(params["kind"], max_tokens=params["max_tokens"], mix=params["mix"],
                          batch_size=params["batch_size"], documents=params["documents"])


def failed_record(params, reason):
    """The record of a benchmark that could not measure (status ``error``)."""
    candidate, reference = _identity(params)
    return error_record(reason, params["advisory"], candidate, reference,
                        _workload_summary(params, _workload(params)), params["platform_note"])


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


def run_benchmark(params, chart_path=None, check_mode=False, progress=None):
    """Measure ``params["levels"]`` on both servers; return ``(record, calibration)``.

    ``record`` is the performance record over the levels measured now and ``params["previous_levels"]``.
    ``calibration`` (``{fingerprint, table}``) lets the next call of the same workload on the same servers
    skip the calibration pass (every distinct request once per server, answers checked): pass it back as
    ``params["calibration"]``; one made for other requests or servers is ignored and calibration runs.
    In check mode nothing is sent, the record is ``not_measured`` and the calibration empty."""
    workload = _workload(params)
    candidate, reference = _identity(params)
    limits = reference_limits(params)
    common = dict(threshold=params["throughput_ratio"], bound_ms=params["p95_bound_ms"], advisory=params["advisory"],
                  candidate=candidate, reference=reference, platform_note=params["platform_note"],
                  reference_limits=limits.describe())
    if check_mode:
        return not_measured_record("check mode: no load was sent", params["advisory"], candidate, reference,
                                   _workload_summary(params, workload), params["platform_note"]), {}
    fingerprint = calibration_fingerprint(workload, candidate, reference)
    measured, table = run_sweep(params["model"], targets_from(params), workload, params["levels"], mode=params["mode"],
                                duration=params["duration"], max_requests=params["max_requests"],
                                warmup=params["warmup"], timeout=params["timeout"],
                                max_connections=params["max_connections"], reference_first=params["reference_first"],
                                progress=progress,
                                table=_reusable_table(params.get("calibration"), fingerprint, workload),
                                rule=validity_rule(params), reference_limits=limits,
                                reference_skip=_stopped_before(params["previous_levels"]))
    levels = [combine_level(level, params["mode"], _stats(runs["candidate"], table), _stats(runs["reference"], table))
              for level, runs in measured]
    record = performance_record(_merge(params["previous_levels"] or [], levels),
                                workload=_workload_summary(params, workload, table), **common)
    if chart_path:
        from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark_chart import render_chart
        record["chart"] = render_chart(params["model"], record, chart_path)
    return record, {"fingerprint": fingerprint, "table": table}
