# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The migration decision: per-model verdicts and the team's matrix over them.

Matrix (README, "Decision"): every selected model passes every gate and performance holds -> ``migrate``;
every embedding model passes but a reranker does not -> ``hybrid`` (vLLM for embeddings, Caikit
for reranking); anything else (some embedding model fails, only MiniLM passes, nothing passes)
-> ``keep_caikit``. A model that was not verified never passes.

Performance comes from the model's performance record (``result["performance"]``, see
module_utils/performance.py): ``status`` passed / failed / not_measured / error. An ``advisory``
record (the local platform's default: 2 CPU cores do not predict GPU serving) counts once measured
and turns a failure into a named warning instead of a block.
"""

from __future__ import annotations

from ansible_collections.vllm_pooling.migration.plugins.module_utils.records import RESULT_STATUSES

# Every decision the matrix can produce; AWX workflow conditions are tested against this list.
DECISIONS = ("migrate", "hybrid", "keep_caikit")
# Which kinds of model each decision moves to vLLM: hybrid keeps reranking on Caikit, keep_caikit moves none.
MOVES_TO_VLLM = {"migrate": ("embedding", "reranker"), "hybrid": ("embedding",)}
PERFORMANCE_STATES = ("passed", "failed", "not_measured", "error")


class DecisionError(ValueError):
    pass


def performance_state(key, result):
    """``(state, advisory, reason)`` of a model's performance record; no record is ``not_measured``."""
    record = result.get("performance") or {}
    state = record.get("status", "not_measured")
    if state not in PERFORMANCE_STATES:
        raise DecisionError("model '%s' has performance status %r; expected one of %s"
                            % (key, state, ", ".join(PERFORMANCE_STATES)))
    return state, bool(record.get("advisory")), record.get("reason", "")


def _named_warning(warning):
    """``gate: message``, the gate named once even where the check's message already starts with it."""
    gate, message = warning.get("gate", "?"), warning.get("message", "")
    return message if message.startswith(gate + ": ") else "%s: %s" % (gate, message)


def model_verdict(key, result, require_performance=True):
    """One model's verdict: ``{ok, parity_ok, performance, performance_advisory, blocking, warnings}``."""
    status = result.get("status")
    if status not in RESULT_STATUSES:
        raise DecisionError("model '%s' has unknown status %r; expected one of %s" % (key, status, ", ".join(RESULT_STATUSES)))
    blocking = []
    warnings = [_named_warning(w) for w in result.get("warnings") or []]
    parity_ok = status == "passed"
    if not parity_ok:
        if status == "failed":
            blocking.append("failed gates: %s" % ", ".join(result.get("failed_gates") or ["?"]))
        else:
            blocking.append("%s: %s" % (status, result.get("reason") or "no reason recorded"))
    state, advisory, why = performance_state(key, result)
    measured = state in ("passed", "failed")
    performance_ok = state == "passed" or (advisory and measured)
    if state == "failed" and advisory:
        warnings.append("performance (advisory) failed: %s" % why)
    if require_performance and not performance_ok:
        blocking.append("performance %s%s" % (state.replace("_", " "), (": " + why) if why else ""))
    return {"ok": parity_ok and (performance_ok or not require_performance), "parity_ok": parity_ok,
            "performance": state, "performance_advisory": advisory, "blocking": blocking, "warnings": warnings}


def decide(results, require_performance=True):
    """``results``: ``{key: result record}`` for the selected models. Returns the decision record."""
    if not results:
        raise DecisionError("no model results to decide on: the selection or the catalog is empty")
    verdicts = {}
    for key, result in sorted(results.items()):
        verdicts[key] = dict(model_verdict(key, result, require_performance), kind=result.get("kind"))
    embeddings = [k for k, v in verdicts.items() if v["kind"] == "embedding"]
    rerankers = [k for k, v in verdicts.items() if v["kind"] == "reranker"]
    reasons = []
    if all(v["ok"] for v in verdicts.values()):
        decision = "migrate"
        reasons.append("every selected model passed every gate")
    elif embeddings and rerankers and all(verdicts[k]["ok"] for k in embeddings):
        decision = "hybrid"
        reasons.append("every embedding model passed; reranking stays on Caikit")
    else:
        decision = "keep_caikit"
    for key, verdict in verdicts.items():
        reasons.extend("%s: %s" % (key, why) for why in verdict["blocking"])
    return {
        "decision": decision,
        "reasons": reasons,
        "warnings": ["%s: %s" % (key, w) for key, v in verdicts.items() for w in v["warnings"]],
        "models": verdicts,
        "passed_models": [k for k, v in verdicts.items() if v["ok"]],
        "blocked_models": [k for k, v in verdicts.items() if not v["ok"]],
        "performance_required": require_performance,
    }
