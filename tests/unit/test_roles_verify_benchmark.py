# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The verify and benchmark roles, run by ansible-playbook against a scripted vLLM and Caikit on 127.0.0.1.

verify: each model's check is the task of its plan (score_check for a reranker), a model that cannot be verified
is recorded with the plan's reason, a check that cannot reach its endpoint is recorded ``error``.
benchmark: one task per level, each level handed the levels and calibration of the one before through its
registered result, so the record of a model covers its levels; a reference that serves no
load is recorded ``not_measured`` with the reason, a candidate that cannot be reached ``error``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import zlib

import yaml

from test_awx import BIN, ROOT  # noqa: E402 - tests/unit is on sys.path under pytest


def closed_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return "http://127.0.0.1:%d" % sock.getsockname()[1]


def logit(query, document):
    return (zlib.crc32((query + "|" + document).encode()) % 1000) / 100.0 - 5.0


def serve(server):
    """vLLM serving msmarco (context 512) and minilm, and Caikit's embedding tasks, on one scripted server."""
    server.route("/v1/models", body={"data": [{"id": "msmarco", "root": "/models/msmarco", "max_model_len": 512}]})
    server.route("/version", body={"version": "0.32.0"})

    def embeddings(body):
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        return {"data": [{"index": i, "embedding": [0.1, 0.2]} for i in range(len(texts))],
                "usage": {"prompt_tokens": 7 * len(texts), "total_tokens": 7 * len(texts)}}

    server.route("/v1/embeddings", body=embeddings)
    server.route("/v1/score", body=lambda body: {
        "data": [{"index": i, "score": logit(body["queries"], d)} for i, d in enumerate(body["documents"])]})
    server.route("/v1/rerank", body=lambda body: {
        "results": [{"index": i, "relevance_score": logit(body["query"], d)} for i, d in enumerate(body["documents"])],
        "usage": {"total_tokens": 9 * len(body["documents"])}})
    server.route("/api/v1/task/embedding", body={"result": {"data": {"values": [0.1, 0.2]}}, "input_token_count": 7})
    server.route("/api/v1/task/embedding-tasks", body=lambda body: {
        "results": {"vectors": [{"data": {"values": [0.1, 0.2]}} for _text in body["inputs"]]}})


def run_role(tmp_path, role, variables, output):
    """Run ``role`` with ``variables``; the JSON callback's plays and the value of the fact ``output``."""
    play = [{"name": "Run the %s role" % role, "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Run it", "ansible.builtin.include_role": {"name": "vllm_pooling.migration." + role},
         "vars": variables},
        {"name": "Show the output", "ansible.builtin.debug": {"var": output}}]}]
    playbook = tmp_path / ("%s.yml" % role)
    playbook.write_text(yaml.safe_dump(play))
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
               ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([str(BIN / "ansible-playbook"), str(playbook)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    plays = json.loads(proc.stdout)["plays"]
    return plays[0]["tasks"], plays[0]["tasks"][-1]["hosts"]["localhost"][output]


def test_verify_runs_the_check_of_each_plan_and_records_every_outcome(scripted_server, tmp_path):
    serve(scripted_server)
    tasks, results = run_role(tmp_path, "verify", {
        "verify_models": ["msmarco", "minilm", "granite"],
        "verify_candidates": {"msmarco": {"status": "ready", "url": scripted_server.url},
                              "minilm": {"status": "ready", "url": closed_url()}},
        "verify_references": {"msmarco": {"type": "openai", "url": scripted_server.url, "model": "msmarco",
                                          "api_key": "reference-secret"},
                              "minilm": {"type": "caikit", "url": scripted_server.url}},
        "verify_check_long_inputs": False}, "verify_results")
    assert sorted(results) == ["granite", "minilm", "msmarco"]
    # the reranker ran score_check (its reference type openai is the rerank API, as for the module)
    rerank = results["msmarco"]
    assert rerank["check"] == "score_check" and rerank["status"] in ("passed", "failed"), rerank
    assert "score_parity" in rerank["gates"] and rerank["gates"]["score_parity"]["passed"] is True
    # the result names the API the check spoke (the rerank client's kind) and never the reference's key
    assert rerank["reference"] == {"type": "rerank", "url": scripted_server.url + "/v1/rerank", "model": "msmarco"}
    assert any(r["path"] == "/v1/rerank" for r in scripted_server.requests)
    # an unreachable candidate: the check failed and the rescue recorded the error, naming the model
    assert results["minilm"]["status"] == "error" and "minilm" in results["minilm"]["reason"]
    # no endpoint: the plan's reason, no check
    assert results["granite"]["status"] == "not_verified" and results["granite"]["check"] is None
    assert "no vLLM endpoint" in results["granite"]["reason"]
    ran = [t["task"]["name"].split(" : ")[-1] for t in tasks if not t["hosts"]["localhost"].get("skipped")]
    assert "Check score parity of msmarco" in ran and "Check embedding parity of msmarco" not in ran


def test_benchmark_hands_each_level_the_state_of_the_one_before(scripted_server, tmp_path):
    serve(scripted_server)
    tasks, results = run_role(tmp_path, "benchmark", {
        "benchmark_models": ["minilm", "msmarco", "granite", "bge_reranker"],
        "benchmark_candidates": dict({key: {"status": "ready", "url": scripted_server.url}
                                      for key in ("minilm", "msmarco", "granite")},
                                     bge_reranker={"status": "ready", "url": closed_url()}),
        "benchmark_references": {"minilm": {"type": "caikit", "url": scripted_server.url},
                                 "msmarco": {"type": "openai", "url": scripted_server.url, "model": "msmarco"},
                                 "granite": {"type": "golden", "path": "/nowhere/granite.json"},
                                 "bge_reranker": {"type": "openai", "url": scripted_server.url}},
        "benchmark_levels": [1, 2], "benchmark_duration": 0.3, "benchmark_warmup": 0, "benchmark_max_duration": 0,
        "benchmark_platform": "local"}, "benchmark_results")
    assert sorted(results) == ["bge_reranker", "granite", "minilm", "msmarco"]
    for key, kind in (("minilm", "embedding"), ("msmarco", "reranker")):
        record = results[key]
        assert [level["concurrency"] for level in record["levels"]] == [1, 2], (key, record["levels"])
        assert record["workload"]["kind"] == kind and record["advisory"] is True
    # one task per level; the second level of a model gets the first level's calibration, the first level none
    levels = [t for t in tasks if t["task"]["name"].split(" : ")[-1].startswith("Benchmark vLLM and the reference at one")]
    calls = [t["hosts"]["localhost"] for t in levels if not t["hosts"]["localhost"].get("skipped")]
    assert len(calls) == 5 and calls[4]["failed"] is True  # bge_reranker's first level, whose candidate is down
    for first, second in (calls[0:2], calls[2:4]):
        assert first["invocation"]["module_args"]["calibration"] == {}
        assert first["invocation"]["module_args"]["previous_levels"] == []
        assert second["invocation"]["module_args"]["calibration"] == first["calibration"]
        assert second["invocation"]["module_args"]["previous_levels"] == first["levels"]
    assert results["granite"]["status"] == "not_measured" and "golden file or type" in results["granite"]["reason"]
    # a candidate that cannot be reached: the module's error record, through the rescue
    assert results["bge_reranker"]["status"] == "error" and "bge_reranker" in results["bge_reranker"]["reason"]
