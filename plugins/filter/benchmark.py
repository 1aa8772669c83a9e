# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Filters over performance records (module_utils/performance.py); documented in benchmark_markdown.yml."""

from __future__ import annotations

import importlib
import os

from ansible.errors import AnsibleFilterError


def _performance():
    """module_utils/performance.py, imported when one of these filters runs, not when the file loads.

    Every Ansible worker imports every filter file of the collection whenever a task uses any of its
    filters; performance.py pulls in numpy and aiohttp (about 0.4 s), which made every task slower."""
    return importlib.import_module("ansible_collections.vllm_pooling.migration.plugins.module_utils.performance")


_STATUS_WORDS = {"passed": "passed", "failed": "failed", "not_measured": "not measured", "error": "could not be measured"}


def _number(value, digits=1):
    return "-" if value is None else "%.*f" % (digits, value)


def _errors(stats):
    found = ["%s %d" % (name, count) for name, count in sorted((stats.get("errors") or {}).items()) if count]
    return ", ".join(found) or "-"


def _level_gate(entry):
    if entry is None:
        return "-"
    if entry.get("passed") is None:
        return "not compared (%s)" % entry.get("note", "")
    verdict = "pass" if entry["passed"] else "fail"
    return "%s (%s)" % (verdict, entry["note"]) if entry.get("note") else verdict


def _model_section(key, record, link_charts):
    performance = _performance()
    if not isinstance(record, dict) or record.get("schema") != performance.SCHEMA:
        raise AnsibleFilterError("benchmark_markdown: the value for '%s' is not a performance record (schema %s)"
                                 % (key, performance.SCHEMA))
    status = record.get("status")
    advisory = " (advisory: does not block the decision)" if record.get("advisory") else ""
    reason = record.get("reason", "")
    if reason.startswith(performance.ADVISORY_PREFIX):
        reason = reason[len(performance.ADVISORY_PREFIX):]
    lines = ["### %s" % key, "", "performance **%s**%s: %s" % (_STATUS_WORDS.get(status, status), advisory, reason), ""]
    if record.get("platform_note"):
        lines += ["_%s_" % record["platform_note"], ""]
    levels = record.get("levels") or []
    if not levels:
        return lines
    ref = record.get("reference") or {}
    ref_name = "Caikit" if ref.get("type") == "caikit" else "reference"
    gate = (record.get("gates") or {}).get("throughput_ratio") or {}
    gate_levels = {(e.get("concurrency"), e.get("rate")): e for e in gate.get("levels") or []}
    head = "concurrency" if levels[0].get("concurrency") is not None else "requests/s offered"
    lines += ["| %s | server | req/s | texts/s | tokens/s | p50 ms | p95 ms | p99 ms | errors | texts/s ratio | gate |" % head,
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for level in levels:
        value = level.get("concurrency") if level.get("concurrency") is not None else level.get("rate")
        entry = gate_levels.get((level.get("concurrency"), level.get("rate")))
        for side, name in (("candidate", "vLLM"), ("reference", ref_name)):
            stats = level[side]
            latency = stats.get("latency_ms") or {}
            lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                value, name, _number(stats.get("requests_per_s")), _number(stats.get("texts_per_s")),
                _number(stats.get("tokens_per_s"), 0), _number(latency.get("p50")), _number(latency.get("p95")),
                _number(latency.get("p99")), _errors(stats),
                _number(level.get("ratio"), 2) if side == "candidate" else "",
                _level_gate(entry) if side == "candidate" else ""))
    latency_gate = (record.get("gates") or {}).get("latency_p95") or {}
    lines.append("")
    if gate:
        lines.append("- throughput: %s (gate: vLLM texts/s >= %s x %s at every level)" % (
            "pass" if gate.get("passed") else "fail", gate.get("threshold"), ref_name))
    if latency_gate:
        lines.append("- latency: %s: %s" % ("pass" if latency_gate.get("passed") else "fail", latency_gate.get("reason")))
    workload = record.get("workload") or {}
    if workload.get("description"):
        lines.append("- workload: %s; %s s per level and server after %s s warm-up" % (
            workload["description"], workload.get("duration_s"), workload.get("warmup_s")))
    if link_charts and record.get("chart"):
        lines += ["", "![%s: throughput and p95 latency against %s](%s)" % (key, head, os.path.basename(record["chart"]))]
    lines.append("")
    return lines


def benchmark_markdown(records, link_charts=True):
    """Markdown per model from ``{key: performance record}`` (or one record): see benchmark_markdown.yml."""
    if isinstance(records, dict) and records.get("schema") == _performance().SCHEMA:
        records = {"benchmark": records}
    if not isinstance(records, dict):
        raise AnsibleFilterError("benchmark_markdown expects a dict of performance records by model, got %s"
                                 % type(records).__name__)
    lines = []
    for key in records:
        lines += _model_section(key, records[key], link_charts)
    return "\n".join(lines).rstrip() + "\n"


def performance_unmeasured(reason, status="not_measured", advisory=False):
    """A performance record without measurements (status not_measured or error): see performance_unmeasured.yml."""
    if status not in ("not_measured", "error"):
        raise AnsibleFilterError("performance_unmeasured: status must be not_measured or error, got %r" % status)
    performance = _performance()
    build = performance.not_measured_record if status == "not_measured" else performance.error_record
    return build(str(reason), advisory=bool(advisory))


class FilterModule(object):
    def filters(self):
        return {"benchmark_markdown": benchmark_markdown, "performance_unmeasured": performance_unmeasured}
