# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The migration_decision module's main(): the decision record as the decide role reads it, warnings under
decision_warnings (Ansible owns a result's ``warnings``), a named failure, and check mode."""

from __future__ import annotations

import pytest

from ansible_collections.vllm_pooling.migration.plugins.modules import migration_decision


@pytest.fixture
def run_module(run_main):
    return lambda args: run_main(migration_decision.main, args)


def passed(kind, performance="passed", advisory=False):
    return {"status": "passed", "kind": kind,
            "performance": {"status": performance, "advisory": advisory, "reason": "ratio 0.5 at 4"}}


def test_every_model_passed_migrates_and_nothing_changes(run_module):
    result = run_module({"results": {"minilm": passed("embedding"), "msmarco": passed("reranker")}})
    assert not result.get("failed") and result["changed"] is False
    assert result["decision"] == "migrate" and result["passed_models"] == ["minilm", "msmarco"]
    assert result["performance_required"] is True and result["decision_warnings"] == []


def test_a_failed_reranker_is_hybrid_with_its_reason(run_module):
    result = run_module({"results": {"minilm": passed("embedding"),
                                     "msmarco": {"status": "failed", "kind": "reranker", "failed_gates": ["ranking"]}}})
    assert result["decision"] == "hybrid" and result["blocked_models"] == ["msmarco"]
    assert "msmarco: failed gates: ranking" in result["reasons"]


def test_an_advisory_performance_failure_is_a_decision_warning(run_module):
    result = run_module({"results": {"minilm": passed("embedding", performance="failed", advisory=True)}})
    assert result["decision"] == "migrate"
    assert result["decision_warnings"] == ["minilm: performance (advisory) failed: ratio 0.5 at 4"]
    assert "warnings" not in result


def test_unmeasured_performance_blocks_unless_it_is_not_required(run_module):
    results = {"minilm": {"status": "passed", "kind": "embedding"}}
    assert run_module({"results": results})["decision"] == "keep_caikit"
    waived = run_module({"results": results, "require_performance": False})
    assert waived["decision"] == "migrate" and waived["performance_required"] is False


@pytest.mark.parametrize("results,message", [
    ({}, "no model results to decide on: the selection or the catalog is empty"),
    ({"minilm": {"status": "great", "kind": "embedding"}}, "model 'minilm' has unknown status 'great'"),
])
def test_results_it_cannot_judge_fail_with_a_message(run_module, results, message):
    result = run_module({"results": results})
    assert result["failed"] is True and result["msg"].startswith(message)


def test_check_mode_decides_alike(run_module):
    args = {"results": {"minilm": passed("embedding")}}
    assert run_module(dict(args, _ansible_check_mode=True))["decision"] == run_module(args)["decision"] == "migrate"


def test_the_benchmark_s_performance_counts_and_is_published_with_each_verdict(run_module):
    unmeasured = {"minilm": {"status": "passed", "kind": "embedding"}}
    performance = {"minilm": {"status": "passed", "advisory": False, "reason": "ratio 3.4 at 16"}}
    result = run_module({"results": unmeasured, "performance": performance})
    assert result["decision"] == "migrate"
    published = result["published"]["minilm"]
    assert published["performance"] == performance["minilm"] and published["verdict"]["ok"] is True
    assert published["status"] == "passed" and published["kind"] == "embedding"


def test_performance_of_a_model_that_was_not_verified_fails_with_its_name(run_module):
    result = run_module({"results": {"minilm": passed("embedding")},
                         "performance": {"bge": {"status": "passed", "advisory": False, "reason": "x"}}})
    assert result["failed"] is True and "not verified: bge" in result["msg"]
