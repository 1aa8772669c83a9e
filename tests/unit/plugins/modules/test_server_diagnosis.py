# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The server_diagnosis module: its result, its failure message, and its documentation against its spec."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ansible_collections.vllm_pooling.migration.plugins.modules import server_diagnosis

FIXTURE_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "diagnosis"


def fixture(name):
    with open(FIXTURE_DIR / (name + ".json")) as handle:
        return json.load(handle)


@pytest.fixture
def run_module(run_main):
    return lambda args: run_main(server_diagnosis.main, args)


def module_args(name, **extra):
    recorded = fixture(name)
    args = dict(model="bge_reranker", pods=recorded["pods"], events=recorded["events"], logs=recorded["logs"])
    args.update(extra)
    return args


def test_fails_with_model_namespace_cause_and_hint(run_module):
    result = run_module(module_args("cuda_oom", namespace="rag-prod"))
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["cause"] == "cuda_oom"
    assert result["msg"] == (
        "model 'bge_reranker' in namespace 'rag-prod': the vLLM server did not become ready (cuda_oom): "
        "pod bge-reranker-vllm-5b7f6c9d8-vw4lh: vLLM ran out of GPU memory while starting. Hint: " + result["hint"])
    assert result["hint"].startswith("vLLM ran out of GPU memory")
    assert any("CUDA out of memory" in item for item in result["evidence"])


def test_namespace_defaults_to_the_pods(run_module):
    result = run_module(module_args("unschedulable", model="granite"))
    assert result["msg"].startswith("model 'granite' in namespace 'vllm-migration': ")
    assert result["cause"] == "unschedulable"


def test_fail_false_returns_the_diagnosis(run_module):
    result = run_module(module_args("image_pull", model="granite", fail_on_gate=False))
    assert "failed" not in result
    assert result["changed"] is False
    assert result["cause"] == "image_pull"
    assert result["hint"] and result["summary"] and result["evidence"]
    assert "model 'granite'" in result["msg"] and "image_pull" in result["msg"]


def test_runs_in_check_mode(run_module):
    result = run_module(module_args("oom_killed", fail_on_gate=False, _ansible_check_mode=True))
    assert result["cause"] == "oom_killed"
    assert result["changed"] is False


def test_defaults_give_unknown_without_a_namespace(run_module):
    result = run_module(dict(model="minilm"))
    assert result["failed"] is True
    assert result["cause"] == "unknown"
    assert result["msg"].startswith("model 'minilm': the vLLM server did not become ready (unknown): ")


def test_hint_commands_name_the_deployment_and_namespace_without_pods(run_module):
    result = run_module(dict(model="minilm", namespace="rag-prod", deployment="vllm-minilm", fail_on_gate=False))
    assert "`oc describe deployment vllm-minilm -n rag-prod`" in result["hint"]
    assert "<" not in result["hint"]


def test_early_stop_reason_ends_the_summary_and_the_message(run_module):
    reason = "minilm-vllm-1/vllm restarted 4 times and waits in CrashLoopBackOff (limit 3)"
    result = run_module(module_args("crash_loop", fail_on_gate=False, early_stop=reason))
    assert result["summary"].endswith(" Stopped waiting before the progress deadline: %s." % reason)
    assert reason in result["msg"]
    assert "Stopped waiting" not in run_module(module_args("crash_loop", fail_on_gate=False))["summary"]


def test_model_is_required(run_module):
    result = run_module(dict(pods=[]))
    assert result["failed"] is True
    assert "model" in result["msg"]
    assert "cause" not in result


# --- the documentation states exactly what the code accepts and returns ---

def test_documented_options_match_the_argument_spec():
    documented = yaml.safe_load(server_diagnosis.DOCUMENTATION)["options"]
    spec = server_diagnosis.ARGUMENT_SPEC
    assert set(documented) == set(spec)
    for name, option in spec.items():
        doc = documented[name]
        assert doc["type"] == option["type"], name
        assert doc.get("elements") == option.get("elements"), name
        assert bool(doc.get("required")) == bool(option.get("required")), name
        assert doc.get("default") == option.get("default"), name


def test_every_returned_key_is_documented(run_module):
    documented = set(yaml.safe_load(server_diagnosis.RETURN))
    result = run_module(module_args("crash_loop", fail_on_gate=False))
    assert set(result) - {"changed", "invocation"} == documented


def test_examples_are_valid_yaml():
    tasks = yaml.safe_load(server_diagnosis.EXAMPLES)
    calls = [task["vllm_pooling.migration.server_diagnosis"] for task in tasks
             if "vllm_pooling.migration.server_diagnosis" in task]
    assert calls and all(set(call) <= set(server_diagnosis.ARGUMENT_SPEC) for call in calls)
