# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Rollouts that cannot heal end the wait early with their classified cause (scenario ``hopeless``); a rollout
that never ends is waited for its rounds and recorded load_failed (scenario ``rollout_timeout``).

The Deployments never get a status here (no controller), so without the early stop the wait would last the
900 s progress deadline. The pods, which a real kubelet would report, are seeded: one waits in
ImagePullBackOff, one crash-loops past the restart limit with an offline cache miss in its previous log.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def converged(hopeless):
    step = hopeless.step("converge")
    assert step["run"].returncode == 0, step["run"].describe()
    return step


def test_the_wait_ends_after_its_first_round(converged):
    # One task repeated with until/retries, a call per round: its attempts are the rounds it took.
    rounds = [(name, result.get("attempts")) for name, result in converged["run"].tasks()
              if name.startswith("Wait for the Deployments to roll out")]
    assert rounds == [("Wait for the Deployments to roll out, at most 451 rounds of 2 s", 1)], rounds


@pytest.mark.parametrize("key, cause, seen", [
    ("minilm", "image_pull", "ImagePullBackOff"),
    ("msmarco", "model_not_cached", "Invalid repository ID or local directory specified"),
])
def test_each_server_is_recorded_with_its_cause_and_why_the_wait_stopped(converged, key, cause, seen):
    endpoint = converged["run"].endpoints[key]
    assert endpoint["status"] == "load_failed"
    diagnosis = endpoint["diagnosis"]
    assert diagnosis["cause"] == cause
    assert any(seen in item for item in diagnosis["evidence"]), diagnosis["evidence"]
    assert "Stopped waiting before the progress deadline: " in diagnosis["summary"]
    assert "<namespace>" not in diagnosis["hint"] and "<pod>" not in diagnosis["hint"]


def test_crash_loop_reason_names_the_restarts(converged):
    summary = converged["run"].endpoints["msmarco"]["diagnosis"]["summary"]
    assert "vllm-msmarco-7f9b8c6d5-q4w7z/vllm restarted 5 times and waits in CrashLoopBackOff (limit 3)" in summary


def test_a_rollout_that_never_ends_is_waited_for_its_rounds_then_diagnosed(rollout_timeout):
    run = rollout_timeout.step("converge")["run"]
    assert run.returncode == 0, run.describe()
    tasks = dict(run.tasks())
    wait = tasks["Wait for the Deployments to roll out, at most 3 rounds of 2 s"]
    # 4 s deadline / 2 s rounds + 1: three calls, the last ending the loop through until, so the task is not failed.
    assert wait["attempts"] == 3 and not wait.get("failed") and wait["waiting"] == ["minilm"], wait
    verdict = tasks["Classify the servers and diagnose those that did not roll out"]["servers"]["minilm"]
    assert verdict["state"] == "timed_out" and verdict["diagnosis"]["cause"] == "unknown"
    endpoint = run.endpoints["minilm"]
    assert endpoint["status"] == "load_failed" and endpoint["diagnosis"]["cause"] == "unknown"
    assert "Stopped waiting" not in endpoint["diagnosis"]["summary"]


def test_without_waiting_nothing_is_awaited_and_the_server_is_not_verified(rollout_timeout):
    run = rollout_timeout.step("no_wait")["run"]
    assert run.returncode == 0, run.describe()
    tasks = dict(run.tasks())
    assert tasks["Wait for the Deployments to roll out, at most 3 rounds of 2 s"].get("skipped") is True
    assert tasks["Classify the servers and diagnose those that did not roll out"]["servers"]["minilm"]["state"] == "not_awaited"
    assert run.endpoints["minilm"]["status"] == "not_verified"
    assert run.endpoints["minilm"]["reason"] == "the rollout was not awaited (vllm_server_wait: false)"
