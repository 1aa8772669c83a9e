# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The endpoint_probe module's main() against a scripted server: the verdict, fail_on_gate, the API key,
arguments rejected by name, and check mode (a smoke check still sends its requests)."""

from __future__ import annotations

import pytest

from ansible_collections.vllm_pooling.migration.plugins.modules import endpoint_probe


def embeddings(dimension):
    return lambda body: {"data": [{"index": i, "embedding": [0.5] * dimension} for i, _t in enumerate(body["input"])],
                         "usage": {"prompt_tokens": 3}}


@pytest.fixture
def run_module(run_main):
    return lambda args: run_main(endpoint_probe.main, args)


def module_args(server, **extra):
    args = dict(url=server.url, model="minilm", requests=4, concurrency=2, expected_dimension=4)
    args.update(extra)
    return args


def test_correct_answers_pass_and_the_key_is_sent_as_a_bearer_token(scripted_server, run_module):
    scripted_server.route("/v1/embeddings", body=embeddings(4))
    result = run_module(module_args(scripted_server, api_key="s3cret"))
    assert not result.get("failed"), result["msg"]
    assert result["passed"] is True and result["changed"] is False and result["errors"] == 0 and result["requests"] == 4
    assert result["msg"].startswith("model 'minilm' at %s answers correctly: 4 requests, 0 errors" % scripted_server.url)
    assert len(scripted_server.requests) == 4
    assert all(r["headers"]["Authorization"] == "Bearer s3cret" for r in scripted_server.requests)
    assert "s3cret" not in str(result)


def test_wrong_answers_fail_the_task_unless_fail_on_gate_is_false(scripted_server, run_module):
    scripted_server.route("/v1/embeddings", body=embeddings(3))
    failed = run_module(module_args(scripted_server))
    assert failed["failed"] is True and failed["passed"] is False and failed["errors"] == 4
    assert failed["msg"].startswith("model 'minilm' at %s failed the probe: " % scripted_server.url)
    assert "Check the server and the path to it" in failed["msg"]
    assert any("dimension 3, expected 4" in sample for sample in failed["error_samples"])
    kept = run_module(module_args(scripted_server, fail_on_gate=False))
    assert not kept.get("failed") and kept["passed"] is False and kept["error_rate"] == 1.0


def test_a_server_error_counts_as_an_error_and_no_correct_answer_never_passes(scripted_server, run_module):
    scripted_server.route("/v1/embeddings", status=500, body={"error": {"message": "boom"}})
    result = run_module(module_args(scripted_server, fail_on_gate=False))
    assert result["passed"] is False and result["errors"] == 4 and result["p95_ms"] is None
    tolerated = run_module(module_args(scripted_server, max_error_rate=1.0))
    # every answer wrong: nothing was answered correctly, so even a tolerated error rate does not pass
    assert tolerated["failed"] is True and tolerated["passed"] is False


@pytest.mark.parametrize("extra", [{"requests": 0}, {"concurrency": 0}, {"max_error_rate": 1.5}, {"max_p95_ms": 0}])
def test_impossible_limits_are_rejected_before_any_request(scripted_server, run_module, extra):
    result = run_module(module_args(scripted_server, **extra))
    assert result["failed"] is True and result["passed"] is False
    assert result["msg"].startswith("model 'minilm' at %s: requests and concurrency must be at least 1" % scripted_server.url)
    assert scripted_server.requests == []


def test_check_mode_still_probes(scripted_server, run_module):
    scripted_server.route("/v1/embeddings", body=embeddings(4))
    result = run_module(module_args(scripted_server, _ansible_check_mode=True))
    assert result["passed"] is True and result["changed"] is False and len(scripted_server.requests) == 4


def test_a_v1_base_url_is_used_without_it(scripted_server, run_module):
    scripted_server.route("/v1/embeddings", body=embeddings(4))
    result = run_module(module_args(scripted_server, url=scripted_server.url + "/v1"))
    assert result["passed"] is True and {r["path"] for r in scripted_server.requests} == {"/v1/embeddings"}
