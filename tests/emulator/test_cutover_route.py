# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Strategy route_weights on an emulated OpenShift (scenarios cutover_route, cutover_route_gate_fails):
the Route's weights in steps 10 -> 50 -> 100 with a gate after each, and the previous weights back when
a gate fails. No router runs here: the weights are checked as written, never observed to split
traffic, and the gates probe a stub HTTP server standing in for the Route (docs/cluster.md)."""

from __future__ import annotations

from cutover_helpers import assert_no_change, assert_ok, cutover_log, failed_messages, only_dry_runs, state_of
from harness import NAMESPACE

ROUTE = (NAMESPACE, "rag-embeddings")
BALANCE = "haproxy.router.openshift.io/balance"


def route(step):
    return step["objects"]["Route"][ROUTE]


def step_results(run):
    """(percent to vLLM, spec of the Route after that step) in the order the steps were sent."""
    return [(e["spec"]["alternateBackends"][0]["weight"], e["spec"]) for e in cutover_log(run, "weights")]


def test_check_mode_changes_nothing(cutover_route):
    step = cutover_route.step("check")
    assert_ok(step)
    only_dry_runs(step)
    assert route(step) == route(cutover_route.step("seeded"))


def test_cutover_moves_the_weights_in_steps_with_a_gate_after_each(cutover_route):
    step = cutover_route.step("cutover")
    assert_ok(step)
    run = step["run"]
    assert [(p, s["to"]["weight"]) for p, s in step_results(run)] == [(10, 90), (50, 50), (100, 0)]
    sequence = ["%s %s" % ("Send" if e["action"] == "weights" else "Gate", e["percent"] or "before")
                for e in cutover_log(run, "weights", "gate")]
    assert sequence == ["Gate before", "Send 10", "Gate 10", "Send 50", "Gate 50", "Send 100", "Gate 100"]
    final = route(step)
    assert final["spec"]["to"] == {"kind": "Service", "name": "vllm-minilm-old", "weight": 0}
    assert final["spec"]["alternateBackends"] == [{"kind": "Service", "name": "vllm-minilm", "weight": 100}]
    assert final["metadata"]["annotations"] == {"team": "rag", BALANCE: "roundrobin"}
    assert state_of(step)["status"] == "cut_over"


def test_second_cutover_sends_no_step_and_changes_nothing(cutover_route):
    step = cutover_route.step("again")
    assert_no_change(step)
    assert step_results(step["run"]) == []


def test_rollback_restores_the_backends_exactly_then_changes_nothing(cutover_route):
    step = cutover_route.step("rollback")
    assert_ok(step)
    assert route(step)["spec"] == route(cutover_route.step("seeded"))["spec"]
    assert route(step)["metadata"]["annotations"] == {"team": "rag"}
    again = cutover_route.step("rollback_again")
    assert_no_change(again)


def test_failed_gate_between_steps_puts_the_previous_weights_back(cutover_route_gate_fails):
    seeded = route(cutover_route_gate_fails.step("seeded"))
    step = cutover_route_gate_fails.step("cutover")
    run = step["run"]
    assert run.returncode != 0
    assert [percent for percent, _spec in step_results(run)] == [10, 50]  # 100 % was never sent
    (message,) = [m for m in failed_messages(run) if "rolled back" in m]
    assert "back on its previous backends" in message and "500" in message, message
    assert route(step)["spec"] == seeded["spec"]
    assert route(step)["metadata"]["annotations"] == seeded["metadata"]["annotations"]
    assert state_of(step)["status"] == "failed"
    rollback = cutover_route_gate_fails.step("rollback")
    assert_ok(rollback)
    assert route(rollback) == route(step)


def test_a_route_an_inference_service_owns_is_refused_and_left_untouched(cutover_route_owned):
    seeded = cutover_route_owned.step("seeded")
    step = cutover_route_owned.step("cutover")
    run = step["run"]
    assert run.returncode != 0
    (message,) = [m for m in failed_messages(run) if "route_weights" in m]
    for words in ("Route %s/caikit-embeddings is managed by InferenceService caikit-embeddings" % NAMESPACE,
                  "weight 100", "Nothing was changed", "consumer_env", "endpoint_record"):
        assert words in message, message
    assert step["writes"] == []
    owned = (NAMESPACE, "caikit-embeddings")
    assert step["objects"]["Route"][owned] == seeded["objects"]["Route"][owned]
    assert (NAMESPACE, "vllm-cutover-minilm") not in step["objects"]["ConfigMap"]
