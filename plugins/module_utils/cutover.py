# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Cutover evidence, the consumer-facing endpoint record, and the saved state a rollback restores.

Traffic moves only on complete, fresh evidence made for the very endpoint being switched:
``evidence_problems`` lists every reason to refuse. The state document is written before any change
and keeps the *first* snapshot (what consumers saw before vLLM) across interrupted, failed or
repeated cutovers, until a rollback restores it; docs/cutover.md is the runbook.
"""

from __future__ import annotations

import copy
import datetime
import hashlib

from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import (
    CUTOVER_STATE_SCHEMA, CUTOVER_STRATEGIES, ENDPOINT_RECORD_SCHEMA, REPORT_SCHEMA)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.decision import MOVES_TO_VLLM

STATE_STATUSES = ("in_progress", "cut_over", "rolled_back", "failed")
# What a report must agree on with the endpoint being switched: (name, report path, target field).
IDENTITY = (("model", ("model",), "model"), ("served name", ("served_name",), "served_name"),
            ("endpoint", ("candidate", "url"), "url"), ("image", ("candidate", "image"), "image"))
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class CutoverError(ValueError):
    pass


def report_digest(text):
    """``sha256:<hex>`` of the report as written (its bytes), so a record names the evidence exactly."""
    if isinstance(text, dict):
        raise CutoverError("report_digest needs the report's text as written, not the parsed report")
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_time(value, what="time"):
    try:
        return datetime.datetime.strptime(str(value), TIME_FORMAT).replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        raise CutoverError("%s %r is not a UTC time like 2026-01-31T12:00:00Z" % (what, value))


def _dig(record, path):
    for part in path:
        record = (record or {}).get(part) if isinstance(record, dict) else None
    return record


def cutover_allowed(report):
    """``{key: ""}`` for each model the report's decision lets move, ``{key: reason}`` for the others."""
    decision = (report.get("decision") or {}).get("decision")
    kinds = MOVES_TO_VLLM.get(decision)
    allowed = {}
    for key, model in sorted((report.get("models") or {}).items()):
        if kinds is None:
            allowed[key] = "the decision is %r: no model moves (a cutover needs migrate or hybrid)" % decision
        elif model.get("kind") not in kinds:
            allowed[key] = "the decision is %s: %s models stay on Caikit" % (decision, model.get("kind"))
        elif not (model.get("verdict") or {}).get("ok"):
            allowed[key] = "its verdict is not ok: %s" % "; ".join((model.get("verdict") or {}).get("blocking") or ["no verdict"])
        else:
            allowed[key] = ""
    return allowed


def evidence_problems(report, key, target, now, max_age_seconds):
    """Every reason the report cannot justify moving ``key``'s consumers to ``target``; empty when it can.

    Refused: a report that is not one of ours, too old, from check mode, without this model, for a
    model the decision does not move, with a failed/skipped/missing gate, or made for another model,
    served name, endpoint URL or image than ``target`` (``target_record``).
    """
    if not isinstance(report, dict) or report.get("schema") != REPORT_SCHEMA:
        found = report.get("schema") if isinstance(report, dict) else None
        return ["the report is not a %s document (schema %r)" % (REPORT_SCHEMA, found)]
    problems = []
    decision = report.get("decision") or {}
    try:
        made = parse_time(decision.get("generated_at"), "the report's generated_at")
        age = (parse_time(now, "now") - made).total_seconds()
        if age > max_age_seconds:
            problems.append("the report is stale: made %s, %d s ago, more than the %d s allowed "
                            "(cutover_max_report_age); verify again" % (decision.get("generated_at"), age, max_age_seconds))
        elif age < -300:
            problems.append("the report's time %s is in the future: check the clocks" % decision.get("generated_at"))
    except CutoverError as exc:
        problems.append(str(exc))
    model = (report.get("models") or {}).get(key)
    if not model:
        return problems + ["the report has no result for '%s' (it covers: %s)"
                           % (key, ", ".join(sorted(report.get("models") or {})) or "nothing")]
    why = cutover_allowed(report).get(key)
    if why:
        problems.append("'%s' may not move: %s" % (key, why))
    if model.get("status") != "passed":
        problems.append("'%s' did not pass verification (status %s)" % (key, model.get("status")))
    if not model.get("gates"):
        problems.append("the report holds no gates for '%s': partial evidence" % key)
    for field, label in (("failed_gates", "failed"), ("skipped_gates", "skipped")):
        if model.get(field):
            problems.append("'%s' has %s gates: %s" % (key, label, ", ".join(model[field])))
    for name, path, field in IDENTITY:
        reported, wanted = _dig(model, path), target.get(field)
        if not reported:
            problems.append("the report names no %s for '%s': it predates this check or is partial; verify again"
                            % (name, key))
        elif reported != wanted:
            problems.append("the report was made for %s %r, not %r" % (name, reported, wanted))
    return problems


def target_record(endpoint):
    """The target of a cutover: the vLLM endpoint record that consumers will be pointed at."""
    if not endpoint or endpoint.get("status") != "ready":
        raise CutoverError("'%s' has no ready vLLM endpoint to cut over to (status %s): provision it first"
                           % ((endpoint or {}).get("key", "?"), (endpoint or {}).get("status", "absent")))
    return {"key": endpoint["key"], "model": endpoint["model"], "served_name": endpoint["served_name"],
            "kind": endpoint["kind"], "url": endpoint["url"], "image": endpoint.get("image", ""),
            "server": endpoint.get("server", ""), "namespace": endpoint.get("namespace", ""),
            "platform": endpoint.get("platform", ""), "api": "openai", "backend": "vllm"}


def consumer_record(report, key, target, digest):
    """The record consumers read: where the model is served now and on which evidence."""
    return {"schema": ENDPOINT_RECORD_SCHEMA, "model": key, "model_name": target["model"],
            "served_name": target["served_name"], "kind": target["kind"], "backend": target["backend"],
            "url": target["url"], "api": target["api"],
            "decided_at": (report.get("decision") or {}).get("generated_at", ""), "report_digest": digest}


def _same_move(state, strategy, target, digest):
    return (state.get("strategy") == strategy and state.get("target") == target
            and state.get("report_digest") == digest)


def begin_state(existing, key, strategy, snapshot, target, digest, now):
    """The state to save before any change.

    An existing cutover that was not rolled back keeps its ``previous`` (the state before vLLM): a
    snapshot now would record a half-applied or already switched state. The same finished move is
    returned unchanged, so a second run writes nothing.
    """
    if strategy not in CUTOVER_STRATEGIES:
        raise CutoverError("unknown cutover strategy %r; expected one of %s" % (strategy, ", ".join(CUTOVER_STRATEGIES)))
    existing = existing or {}
    if existing and existing.get("schema") != CUTOVER_STATE_SCHEMA:
        raise CutoverError("the saved cutover state of '%s' is not a %s document: move it away or roll back by hand"
                           % (key, CUTOVER_STATE_SCHEMA))
    live = existing and existing.get("status") != "rolled_back"
    if live and existing.get("strategy") != strategy:
        raise CutoverError("'%s' is cut over with strategy %s (status %s): roll back before using %s"
                           % (key, existing.get("strategy"), existing.get("status"), strategy))
    if live and existing.get("status") == "cut_over" and _same_move(existing, strategy, target, digest):
        return copy.deepcopy(existing)
    return {"schema": CUTOVER_STATE_SCHEMA, "model": key, "strategy": strategy, "status": "in_progress",
            "previous": copy.deepcopy(existing["previous"] if live else snapshot),
            "target": copy.deepcopy(target), "report_digest": digest, "started_at": now,
            "cut_over_at": "", "rolled_back_at": "", "reason": ""}


def finish_state(state, status, now, reason=""):
    """The state after a cutover ended (``cut_over``, ``failed``) or a rollback (``rolled_back``)."""
    if status not in STATE_STATUSES:
        raise CutoverError("unknown cutover status %r" % status)
    if not state:
        raise CutoverError("no saved cutover state to update")
    if state.get("status") == status and status in ("cut_over", "rolled_back"):
        return copy.deepcopy(state)
    finished = dict(copy.deepcopy(state), status=status, reason=reason)
    if status in ("cut_over", "rolled_back"):
        finished[status + "_at"] = now
    return finished


def previous_of(state, key=""):
    """The snapshot a rollback restores, or a CutoverError saying there is nothing to roll back."""
    if not state or "previous" not in state:
        raise CutoverError("no saved cutover state for '%s': nothing to roll back (was it ever cut over here?)"
                           % (key or (state or {}).get("model", "?")))
    return copy.deepcopy(state["previous"])


def file_snapshot(stat, content_b64=""):
    """A consumer record file as it is: ``{"exists": false}`` or its exact text (byte for byte, base64)."""
    if not (stat or {}).get("exists"):
        return {"exists": False}
    return {"exists": True, "content_b64": content_b64, "mode": stat.get("mode", "0644")}
