# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The client_check module's main() against scripted vLLM servers: the per-call results, required calls that fail
the task by name, unknown names rejected before any request, a missing library, check mode."""

from __future__ import annotations

import sys

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils import client_compat
from ansible_collections.vllm_pooling.migration.plugins.modules import client_check
from ansible_collections.vllm_pooling.migration.tests.unit.test_client_compat import serve_embeddings, serve_reranker


@pytest.fixture
def run_module(run_main):
    return lambda args: run_main(client_check.main, args)


@pytest.fixture(autouse=True)
def no_langchain(monkeypatch):
    monkeypatch.setitem(sys.modules, "langchain_openai", None)


def module_args(server, **extra):
    args = dict(model="minilm", candidate_url=server.url, candidate_model="minilm", expected_dimension=4, timeout=5)
    args.update(extra)
    return args


def test_without_required_calls_every_call_is_reported_and_the_check_passes(scripted_server, run_module):
    serve_embeddings(scripted_server)
    result = run_module(module_args(scripted_server, _ansible_check_mode=True))
    assert not result.get("failed"), result["msg"]
    assert result["passed"] is True and result["changed"] is False and result["failed_required"] == []
    assert {name: call["status"] for name, call in result["clients"].items()} == {
        "openai_sdk_float": "works", "openai_sdk_default": "works", "openai_sdk_single": "works",
        "openai_sdk_dimensions": "fails", "langchain_openai": "unavailable"}
    assert result["msg"] == "model 'minilm' at %s: 3 of 5 client calls work; not working: openai_sdk_dimensions " \
                            "(fails), langchain_openai (unavailable); no call is required" % scripted_server.url


def test_a_required_call_that_fails_fails_the_task_with_its_name(scripted_server, run_module):
    serve_embeddings(scripted_server)
    args = module_args(scripted_server, clients=["openai_sdk_float"], required=["openai_sdk_dimensions"])
    result = run_module(args)
    assert result["failed"] is True and result["passed"] is False
    assert result["failed_required"] == ["openai_sdk_dimensions"] and result["required"] == ["openai_sdk_dimensions"]
    # required calls run even when not listed in clients
    assert sorted(result["clients"]) == ["openai_sdk_dimensions", "openai_sdk_float"]
    assert "HTTP 400" in result["clients"]["openai_sdk_dimensions"]["message"]
    assert "Required calls that do not work: openai_sdk_dimensions." in result["msg"]
    kept = run_module(dict(args, fail_on_gate=False))
    assert not kept.get("failed") and kept["passed"] is False and kept["failed_required"] == ["openai_sdk_dimensions"]


def test_required_calls_that_work_pass(scripted_server, run_module):
    serve_reranker(scripted_server)
    result = run_module(module_args(scripted_server, kind="reranker", expected_dimension=None,
                                    required=["cohere_rerank", "score"]))
    assert not result.get("failed"), result["msg"]
    assert result["passed"] is True and sorted(result["clients"]) == ["cohere_rerank", "cohere_v2_rerank", "score"]
    assert result["msg"] == "model 'minilm' at %s: 3 of 3 client calls work" % scripted_server.url


def test_a_required_call_whose_library_is_missing_fails_as_unavailable(scripted_server, run_module, monkeypatch):
    serve_embeddings(scripted_server)
    monkeypatch.setattr(client_compat, "HAS_OPENAI", False)
    result = run_module(module_args(scripted_server, clients=[], required=["openai_sdk_default"]))
    assert result["failed"] is True and result["failed_required"] == ["openai_sdk_default"]
    assert result["clients"]["openai_sdk_default"]["status"] == "unavailable"
    assert result["clients"]["openai_sdk_default"]["message"] == "openai is not installed in %s" % sys.executable
    assert scripted_server.requests == []


@pytest.mark.parametrize("extra,unknown", [
    ({"required": ["openai_sdk_float", "cohere"]}, "cohere"),
    ({"clients": ["dimensions"]}, "dimensions"),
])
def test_unknown_call_names_are_rejected_before_any_request_naming_the_known_ones(scripted_server, run_module,
                                                                                  extra, unknown):
    result = run_module(module_args(scripted_server, **extra))
    assert result["failed"] is True and result["passed"] is False
    assert result["msg"] == "model 'minilm': unknown embedding client calls %s; the known ones are openai_sdk_float, " \
                            "openai_sdk_default, openai_sdk_single, openai_sdk_dimensions, langchain_openai" % unknown
    assert scripted_server.requests == []


def test_an_unreachable_candidate_fails_the_required_call_with_the_url(run_module):
    result = run_module(dict(model="minilm", candidate_url="http://127.0.0.1:9/v1", candidate_model="minilm",
                             kind="reranker", clients=[], required=["cohere_rerank"]))
    assert result["failed"] is True and "exception" not in result
    assert result["clients"]["cohere_rerank"]["message"].startswith(
        "model 'minilm' at http://127.0.0.1:9/v1/rerank: cannot connect")
    assert "base URL http://127.0.0.1:9/v1 ends in /v1" in str(result["warnings"][0])
