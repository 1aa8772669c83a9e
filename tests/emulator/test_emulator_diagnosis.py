# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# Apache License 2.0 (see LICENSE)
"""Servers that do not roll out are diagnosed from their pods, events and logs (scenario ``diagnosis``).

The emulator has no kubelet: the failing pods, their events and a crashed container's log are
seeded by the scenario as a real cluster would show them; the Deployment status
(ProgressDeadlineExceeded) comes from the emulated controller. What is real: the role's gathering
through kubernetes.core's client (the server_rollout module reads the Deployments, the pods and events, the
current and previous logs) and the classification server_diagnosis also uses, on that evidence.
"""

from __future__ import annotations

import pytest

from harness import NAMESPACE


@pytest.fixture(scope="module")
def converged(diagnosis):
    step = diagnosis.step("converge")
    # The role records the failure instead of failing the play: the decision needs every model.
    assert step["run"].returncode == 0, step["run"].describe()
    return step


def test_image_pull_failure_is_recorded_load_failed_with_its_cause(converged):
    endpoint = converged["run"].endpoints["minilm"]
    assert endpoint["status"] == "load_failed"
    assert endpoint["diagnosis"]["cause"] == "image_pull"
    assert "image" in endpoint["diagnosis"]["hint"].lower()
    assert endpoint["url"].startswith("https://vllm-minilm-%s." % NAMESPACE)
    assert endpoint["reason"] and endpoint["diagnosis"]["hint"] in endpoint["reason"]
    assert any("Failed to pull image" in item or "ImagePullBackOff" in item for item in endpoint["diagnosis"]["evidence"])


def test_crash_is_classified_from_the_previous_containers_log(converged):
    endpoint = converged["run"].endpoints["msmarco"]
    assert endpoint["status"] == "load_failed"
    assert endpoint["diagnosis"]["cause"] == "cuda_oom"
    assert any("CUDA out of memory" in item for item in endpoint["diagnosis"]["evidence"])


def test_events_of_other_pods_are_not_evidence(converged):
    for endpoint in converged["run"].endpoints.values():
        assert not [item for item in endpoint["diagnosis"]["evidence"] if "rag-indexer" in item or "Insufficient" in item]


def test_logs_were_read_through_the_api_for_current_and_previous_containers(diagnosis, converged):
    # The server_rollout module reads them (logs_read of each diagnosis in its result).
    verdicts = [result for name, result in converged["run"].tasks()
                if name.startswith("Classify the servers and diagnose those that did not roll out")]
    items = [item for result in verdicts for server in result["servers"].values()
             for item in server.get("diagnosis", {}).get("logs_read", [])]
    assert {(i["pod"], i["previous"]) for i in items} >= {
        ("vllm-msmarco-7f9b8c6d5-q4w7z", True), ("vllm-msmarco-7f9b8c6d5-q4w7z", False),
        ("vllm-minilm-6d5c7b9f4-k2x8p", True), ("vllm-minilm-6d5c7b9f4-k2x8p", False)}
