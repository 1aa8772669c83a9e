# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The migration decision: per-model verdicts and the team's matrix over them.

Matrix (DESIGN.md): every selected model passes every gate and performance holds -> ``migrate``;
every embedding model passes but a reranker does not -> ``hybrid`` (vLLM for embeddings, Caikit
for reranking); anything else (some embedding model fails, only MiniLM passes, nothing passes)
-> ``keep_caikit``. A model that was not verified never passes.
"""

from __future__ import annotations

STATUSES = ("passed", "failed", "load_failed", "error", "not_verified")
DECISIONS = ("migrate", "hybrid", "keep_caikit")


class DecisionError(ValueError):
    pass


def model_verdict(key, result, require_performance=True):
    """One model's verdict: ``{ok, parity_ok, performance, blocking}`` from its verification result."""
    status = result.get("status")
    if status not in STATUSES:
        raise DecisionError("model '%s' has unknown status %r; expected one of %s" % (key, status, ", ".join(STATUSES)))
    blocking = []
    parity_ok = status == "passed"
    if not parity_ok:
        if status == "failed":
            blocking.append("failed gates: %s" % ", ".join(result.get("failed_gates") or ["?"]))
        else:
            blocking.append("%s: %s" % (status, result.get("reason") or "no reason recorded"))
    performance = result.get("performance") or {}
    if "passed" in performance:
        perf_state = "passed" if performance["passed"] else "failed"
    else:
        perf_state = "not_measured"
    if require_performance and perf_state != "passed":
        blocking.append("performance %s" % perf_state.replace("_", " "))
    return {"ok": parity_ok and not (require_performance and perf_state != "passed"),
            "parity_ok": parity_ok, "performance": perf_state, "blocking": blocking}


def decide(results, require_performance=True):
    """``results``: ``{key: {status, kind, ...}}`` for the selected models. Returns the decision record."""
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
        for why in verdict["blocking"]:
            reasons.append("%s: %s" % (key, why))
    return {
        "decision": decision,
        "reasons": reasons,
        "models": verdicts,
        "passed_models": [k for k, v in verdicts.items() if v["ok"]],
        "blocked_models": [k for k, v in verdicts.items() if not v["ok"]],
        "performance_required": require_performance,
    }
