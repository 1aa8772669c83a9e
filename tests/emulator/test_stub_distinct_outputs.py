# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The stub vLLM of the emulator tests (stub_embeddings.py) through the real embedding_check in ansible-playbook:
by default each text gets its own vector and the check passes against another stub; a stub told to answer one
vector for every text (``constant=True``, a collapsed server) fails the ``distinct_outputs`` gate, on the candidate
side and on the reference side, though every parity gate agrees when both sides collapsed."""

from __future__ import annotations

import json
import os
import subprocess

import yaml

from harness import BIN, ROOT
from stub_embeddings import StubEmbeddings


def check_task(case, candidate, reference):
    return {"name": case, "vllm_pooling.migration.embedding_check": {
        "model": "minilm", "candidate_url": candidate.url, "candidate_model": "minilm", "reference_type": "openai",
        "reference_url": reference.url, "reference_model": "minilm-reference", "max_tokens": 256,
        "length_passages": False, "check_long_inputs": False, "check_retrieval": False, "fail_on_gate": False},
        "register": "found"}


def run_checks(tmp_path, pairs):
    tasks = [check_task(case, candidate, reference) for case, (candidate, reference) in pairs.items()]
    playbook = tmp_path / "checks.yml"
    playbook.write_text(yaml.safe_dump([{"name": "embedding_check against stubs", "hosts": "localhost",
                                         "gather_facts": False, "tasks": tasks}]))
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
               ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([str(BIN / "ansible-playbook"), str(playbook)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return {task["task"]["name"]: task["hosts"]["localhost"] for task in json.loads(proc.stdout)["plays"][0]["tasks"]}


def test_a_constant_stub_fails_distinct_outputs_and_the_default_one_passes(tmp_path):
    models = ["minilm", "minilm-reference"]
    with StubEmbeddings(dimension=16, models=models) as vllm, StubEmbeddings(dimension=16, models=models) as caikit, \
            StubEmbeddings(dimension=16, models=models, constant=True) as flat_vllm, \
            StubEmbeddings(dimension=16, models=models, constant=True) as flat_caikit:
        results = run_checks(tmp_path, {"distinct": (vllm, caikit), "candidate_constant": (flat_vllm, caikit),
                                        "reference_constant": (vllm, flat_caikit), "both_constant": (flat_vllm, flat_caikit)})
    distinct = results["distinct"]
    assert distinct["passed"] is True, distinct["msg"]
    assert distinct["gates"]["distinct_outputs"]["status"] == "passed"
    candidate = results["candidate_constant"]
    assert candidate["passed"] is False and "distinct_outputs" in candidate["failed_gates"]
    assert "the candidate model 'minilm' at %s/v1/embeddings returned the same vector for all" % flat_vllm.url \
        in candidate["gates"]["distinct_outputs"]["reason"]
    reference = results["reference_constant"]
    assert reference["passed"] is False and "distinct_outputs" in reference["failed_gates"]
    assert reference["gates"]["distinct_outputs"]["reason"].startswith(
        "the reference (openai) model 'minilm-reference' at %s/v1/embeddings returned the same vector" % flat_caikit.url)
    # both collapsed: every parity gate agrees, only distinct_outputs sees that nothing was compared
    both = results["both_constant"]
    assert both["passed"] is False and both["failed_gates"] == ["distinct_outputs"], both["msg"]
