# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Benchmark numbers and the performance gate: percentiles, rates, ratios, per-level statistics,
and the PERFORMANCE RECORD that the decision consumes. Pure functions; no I/O.

Gate (README.md, "Gates": performance):
- throughput_ratio: candidate texts/s over reference texts/s >= ``threshold`` at every valid level where
  both ran without errors (level_validity: a level whose window is short against its slowest request
  shape, or that the reference was not sent or stopped, is listed as excluded, never counted). A level
  where the reference had errors cannot be compared and is listed as excluded; a level where only the
  candidate had errors fails (vLLM failing requests that the reference served is not a throughput it
  can claim).
- latency_p95: p95 latency of the candidate's single-text requests (rerank requests for a reranker)
  at the lowest level where the candidate's measurement is valid (normally concurrency 1: the latency one
  caller sees) <= ``bound_ms``; a lower level that was invalid is named in the reason. It gates only when
  the record's ``client`` says so (benchmark_client.client_record): measured from outside the cluster through
  the router, it keeps its numbers and verdict with ``gating: false`` and does not decide the status.
"""

from __future__ import annotations

try:
    import numpy as np
except ImportError:  # pragma: no cover - reported by the module via missing_required_lib
    np = None

from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark_client import NOT_GATING
from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark_workload import SINGLE_TEXT_SHAPES
from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import (
    PERFORMANCE_ADVISORY_PREFIX, PERFORMANCE_SCHEMA)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.load_generator import ERROR_CLASSES, OK

SCHEMA = PERFORMANCE_SCHEMA
STATUSES = ("passed", "failed", "not_measured", "error")
ADVISORY_PREFIX = PERFORMANCE_ADVISORY_PREFIX


def percentiles_ms(latencies_s, quantiles=(50, 95, 99)):
    """Latency percentiles in milliseconds (numpy's linear interpolation); None for no samples."""
    values = np.asarray(latencies_s, dtype=np.float64)
    if values.size == 0:
        return {"p%d" % q: None for q in quantiles}
    return {"p%d" % q: round(float(np.percentile(values, q)) * 1000.0, 2) for q in quantiles}


def latency_summary_ms(latencies_s):
    """p50, p95, p99, mean and max of latencies given in seconds, in milliseconds."""
    summary = percentiles_ms(latencies_s)
    values = np.asarray(latencies_s, dtype=np.float64)
    summary["mean"] = round(float(values.mean()) * 1000.0, 2) if values.size else None
    summary["max"] = round(float(values.max()) * 1000.0, 2) if values.size else None
    return summary


def rate(count, seconds):
    """Events per second; 0.0 when nothing was timed (a run that never ran has no rate, not infinity)."""
    return float(count) / seconds if seconds > 0 else 0.0


def ratio(candidate, reference):
    """candidate / reference, or None when the reference did nothing (no ratio can be claimed)."""
    if reference is None or candidate is None or reference <= 0:
        return None
    return float(candidate) / float(reference)


def level_label(level):
    if level.get("concurrency") is not None:
        return "concurrency %s" % level["concurrency"]
    return "%s requests/s" % level.get("rate")


def level_stats(samples, table):
    """Statistics of one target at one level.

    ``samples``: load_generator.Samples (parallel lists latencies, outcomes, spec_index; elapsed, client_cpu_s).
    ``table``: per request spec ``{shape, texts, tokens}`` (load_generator.request_table).
    Rates count successful requests answered within the measurement window (``samples.window``, else the
    whole run); latencies are of all successful requests.
    """
    outcomes = list(samples.outcomes)
    ok_index = [i for i, outcome in enumerate(outcomes) if outcome == OK]
    counted = samples.counted()
    window = samples.window if samples.window is not None else samples.elapsed
    latencies = np.asarray(samples.latencies, dtype=np.float64)
    ok_latencies = latencies[ok_index] if ok_index else np.asarray([], dtype=np.float64)
    texts = sum(table[samples.spec_index[i]]["texts"] for i in counted)
    tokens = sum(table[samples.spec_index[i]]["tokens"] for i in counted)
    errors = {name: outcomes.count(name) for name in ERROR_CLASSES}
    by_shape = {}
    for shape in sorted(set(row["shape"] for row in table)):
        chosen = [i for i in ok_index if table[samples.spec_index[i]]["shape"] == shape]
        by_shape[shape] = dict(requests=len(chosen), **percentiles_ms(latencies[chosen] if chosen else []))
    single = [i for i in ok_index if table[samples.spec_index[i]]["shape"] in SINGLE_TEXT_SHAPES + ("rerank",)]
    verdict = getattr(samples, "verdict", None)
    stats = {
        "requests": len(outcomes),
        "succeeded": len(ok_index),
        "errors": errors,
        "error_count": sum(errors.values()),
        "error_samples": dict(samples.error_samples),
        "duration_s": round(window, 3),
        "requests_per_s": round(rate(len(counted), window), 3),
        "texts_per_s": round(rate(texts, window), 3),
        "tokens_per_s": round(rate(tokens, window), 1),
        "latency_ms": latency_summary_ms(ok_latencies),
        "single_text_p95_ms": percentiles_ms(latencies[single] if single else [], (95,))["p95"],
        "by_shape": by_shape,
        "client_cpu_s": round(samples.client_cpu_s, 3),
        "window_s": round(window, 3),
        "completions_by_shape": verdict["completions_by_shape"] if verdict else None,
        "slowest_shape": verdict["slowest_shape"] if verdict else None,
        "slowest_p99_ms": verdict["slowest_p99_ms"] if verdict else None,
        # no rule given (a caller of level_stats without one): the level is not judged, and not valid
        "valid": bool(verdict and verdict["valid"]) and not samples.stopped,
        "invalid_reason": _invalid_reason(verdict, samples.stopped),
        "windows_tried_s": list(getattr(samples, "windows_tried_s", []) or [window]),
        "stopped": samples.stopped,
        "load": getattr(samples, "load", None),
    }
    return stats


def _invalid_reason(verdict, stopped):
    if stopped:
        return "stopped by the stop rule: %s" % stopped
    if verdict is None:
        return "not judged (no validity rule)"
    return verdict["invalid_reason"]


def not_sent_stats(reason):
    """The statistics of a server that was not sent this level (the reference's limits): nothing measured."""
    return {"requests": 0, "succeeded": 0, "errors": {name: 0 for name in ERROR_CLASSES}, "error_count": 0,
            "error_samples": {}, "duration_s": 0.0, "requests_per_s": None, "texts_per_s": None, "tokens_per_s": None,
            "latency_ms": latency_summary_ms([]), "single_text_p95_ms": None, "by_shape": {}, "client_cpu_s": 0.0,
            "window_s": 0.0, "completions_by_shape": None, "slowest_shape": None, "slowest_p99_ms": None,
            "valid": False, "invalid_reason": reason, "windows_tried_s": [], "stopped": None, "not_sent": reason,
            "load": {"concurrency": None, "rate": None, "requests": 0, "seconds": 0.0}}


def _throughput_gate(levels, threshold):
    entries = []
    for level in levels:
        cand, ref = level["candidate"], level["reference"]
        entry = {"concurrency": level.get("concurrency"), "rate": level.get("rate"), "ratio": level.get("ratio"),
                 "passed": None}
        invalid = _invalid_sides(level)
        if ref.get("not_sent"):
            entry.update(note="excluded: the reference was %s" % ref["not_sent"], unmeasured=True)
        elif invalid:
            entry.update(note="excluded: invalid level (%s)" % invalid, unmeasured=True)
        elif ref["error_count"]:
            entry["note"] = "excluded: the reference had %d errors" % ref["error_count"]
        elif cand["error_count"]:
            entry["passed"] = False
            entry["note"] = "vLLM had %d errors (%s) that the reference did not" % (
                cand["error_count"], ", ".join("%s %d" % (k, v) for k, v in cand["errors"].items() if v))
        elif entry["ratio"] is None:
            entry["note"] = "excluded: the reference completed no request"
        else:
            entry["passed"] = entry["ratio"] >= threshold
        entries.append(entry)
    compared = [e for e in entries if e["passed"] is not None]
    failed = [e for e in compared if not e["passed"]]
    gate = {"threshold": threshold, "levels": entries, "passed": bool(compared) and not failed}
    if not compared and entries and all(e.pop("unmeasured", False) for e in entries):
        gate["reason"] = "no valid level measured on both servers, so no throughput ratio can be claimed"
        gate["no_valid_level"] = True
    elif not compared:
        gate["reason"] = "no level where both servers ran without errors, so no throughput ratio can be claimed"
    elif failed:
        parts = []
        for entry in failed:
            label = level_label(entry)
            if entry["ratio"] is not None and "note" not in entry:
                parts.append("%s: %.2f x the reference, %.0f%% short of %.2f" % (
                    label, entry["ratio"], (threshold - entry["ratio"]) / threshold * 100.0, threshold))
            else:
                parts.append("%s: %s" % (label, entry["note"]))
        gate["reason"] = "throughput below the gate at %d of %d levels (%s)" % (len(failed), len(compared), "; ".join(parts))
    else:
        lowest = min(compared, key=lambda e: e["ratio"])
        gate["reason"] = "throughput >= %.2f x the reference at every compared level (lowest %.2f at %s)" % (
            threshold, lowest["ratio"], level_label(lowest))
    for entry in entries:
        entry.pop("unmeasured", None)
    excluded = [e for e in entries if e["passed"] is None]
    if excluded:
        gate["reason"] += "; not compared: %s" % "; ".join("%s (%s)" % (level_label(e), e["note"]) for e in excluded)
    return gate


def _invalid_sides(level):
    """Why a level cannot be counted ("" when it can): a server not judged valid, or the level's own flag."""
    if "valid" in level and level["valid"]:
        return ""
    parts = ["%s: %s" % (role, level[role].get("invalid_reason") or "not valid") for role in ("candidate", "reference")
             if "valid" in level[role] and not level[role]["valid"]]
    return "; ".join(parts)


def _latency_gate(levels, bound_ms):
    """p95 of vLLM's single-text requests at the lowest level where vLLM's measurement is valid: an invalid
    level's latencies (a window too short for its slow requests, a stopped run) are not a p95 one can quote."""
    skipped = [lv for lv in levels if "valid" in lv["candidate"] and not lv["candidate"]["valid"]]
    usable = [lv for lv in levels if lv not in skipped]
    note = "; ".join("%s excluded: %s" % (level_label(lv), lv["candidate"].get("invalid_reason") or "not valid")
                     for lv in skipped if not usable or _level_value(lv) < _level_value(usable[0]))
    if not usable:
        return {"bound_ms": bound_ms, "p95_ms": None, "level": None, "passed": False,
                "reason": "not evaluated: no level where vLLM's measurement was valid (%s)" % note}
    first = usable[0]
    p95 = first["candidate"]["single_text_p95_ms"]
    gate = {"bound_ms": bound_ms, "p95_ms": p95, "level": level_label(first)}
    if p95 is None:
        gate.update(passed=False, reason="not evaluated: vLLM completed no single-text request at %s" % level_label(first))
    elif p95 <= bound_ms:
        gate.update(passed=True, reason="p95 of single-text requests %.1f ms <= %.0f ms at %s" % (p95, bound_ms, level_label(first)))
    else:
        gate.update(passed=False, reason="p95 of single-text requests %.1f ms > %.0f ms at %s (%.0f%% over)" % (
            p95, bound_ms, level_label(first), (p95 - bound_ms) / bound_ms * 100.0))
    if note:
        gate["reason"] += " (%s)" % note
    return gate


def _level_value(level):
    return level["concurrency"] if level.get("concurrency") is not None else level["rate"]


def combine_level(level_value, mode, candidate_stats, reference_stats):
    """One level of the record: both servers' statistics and the texts/s ratio candidate / reference."""
    value = ratio(candidate_stats["texts_per_s"], reference_stats["texts_per_s"])
    level = {"concurrency": level_value if mode == "closed" else None,
             "rate": level_value if mode == "open" else None,
             "candidate": candidate_stats, "reference": reference_stats,
             "ratio": round(value, 3) if value is not None else None}
    if "valid" in candidate_stats or "valid" in reference_stats:
        level["valid"] = bool(candidate_stats.get("valid") and reference_stats.get("valid"))
        level["invalid_reason"] = _invalid_sides(dict(level, valid=level["valid"])) or None
    return level


def reference_load(levels, limits=None):
    """What load the reference received over ``levels``: the highest concurrency (or rate) it was sent, requests
    (warm-up and lengthened runs included), seconds of load, the levels not sent or stopped, and its limits."""
    loads = [lv["reference"].get("load") or {} for lv in levels]
    sent = [load for load in loads if load.get("requests")]
    concurrencies = [load["concurrency"] for load in sent if load.get("concurrency") is not None]
    rates = [load["rate"] for load in sent if load.get("rate") is not None]
    return {"max_concurrency": max(concurrencies) if concurrencies else None,
            "max_rate": max(rates) if rates else None,
            "requests": sum(load.get("requests", 0) for load in sent),
            "duration_s": round(sum(load.get("seconds", 0.0) for load in sent), 2),
            "not_sent": [level_label(lv) for lv in levels if lv["reference"].get("not_sent")],
            "stopped": [{"level": level_label(lv), "reason": lv["reference"]["stopped"]}
                        for lv in levels if lv["reference"].get("stopped")],
            "limits": limits or {}}


def _record(status, reason, advisory, candidate, reference, workload, levels=None, gates=None, chart=None,
            platform_note="", client=None):
    return {"schema": SCHEMA, "status": status, "advisory": bool(advisory), "reason": reason,
            "gates": gates or {}, "levels": levels or [], "workload": workload or {},
            "candidate": candidate or {}, "reference": reference or {}, "chart": chart,
            "platform_note": platform_note or "", "client": client}


def not_measured_record(reason, advisory=False, candidate=None, reference=None, workload=None, platform_note="",
                        client=None):
    """A record for a benchmark that did not run (check mode, disabled, no endpoint); it never passes.
    ``client`` (benchmark_client.client_record) says where it would have run; None when nothing was planned."""
    return _record("not_measured", reason, advisory, candidate, reference, workload, platform_note=platform_note,
                   client=client)


def error_record(reason, advisory=False, candidate=None, reference=None, workload=None, platform_note="", client=None):
    """A record for a benchmark that could not measure (unreachable server, wrong answers, a failed Job)."""
    return _record("error", reason, advisory, candidate, reference, workload, platform_note=platform_note,
                   client=client)


def performance_record(levels, threshold=0.8, bound_ms=100.0, advisory=False, candidate=None, reference=None,
                       workload=None, chart=None, platform_note="", reference_limits=None, client=None):
    """The PERFORMANCE RECORD over measured levels (see ``combine_level``), in the order measured.

    status: ``passed`` when both gates pass, ``failed`` when one fails, ``error`` when no level could be
    compared for errors, ``not_measured`` without levels or when no level was valid on both servers (a level
    is counted only when valid: see level_validity). ``advisory`` is carried for the decision (a failure
    there is a warning), and stated in the reason. ``reference_limits``: what the reference was allowed
    (ReferenceLimits.describe()), kept in ``reference_load`` beside what it received. ``client``
    (benchmark_client.client_record): where the load generator ran and the path it took; with
    ``latency_gating`` false the latency gate keeps its numbers and verdict but does not decide the status.
    """
    if not levels:
        return not_measured_record("no level was measured", advisory, candidate, reference, workload, platform_note,
                                   client)
    levels = sorted(levels, key=_level_value)
    throughput = _throughput_gate(levels, threshold)
    latency = _latency_gate(levels, bound_ms)
    latency["gating"] = bool((client or {}).get("latency_gating", True))
    if not latency["gating"]:
        latency["reason"] += " (%s)" % NOT_GATING
    gates = {"throughput_ratio": throughput, "latency_p95": latency}
    compared = [e for e in throughput["levels"] if e["passed"] is not None]
    if not compared:
        status = "not_measured" if throughput.get("no_valid_level") else "error"
        reason = throughput["reason"]
    else:
        status = "passed" if throughput["passed"] and (latency["passed"] or not latency["gating"]) else "failed"
        reason = "%s; %s" % (throughput["reason"], latency["reason"])
    if advisory and status == "failed":
        reason = ADVISORY_PREFIX + reason
    record = _record(status, reason, advisory, candidate, reference, workload, levels, gates, chart, platform_note,
                     client)
    record["reference_load"] = reference_load(levels, reference_limits)
    return record
