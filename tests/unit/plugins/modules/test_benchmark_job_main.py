# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The benchmark_job module's main() (and both Job modules' documented options) with a patched kubernetes.core client: its documented options, a start and its
result, a failed Job as a task failure with records (no traceback), keys kept out of the output. The logic is tested
in module_utils/test_benchmark_job.py, the module against an API server in tests/emulator."""

from __future__ import annotations

import json
from unittest import mock

import pytest
import yaml

from ansible_collections.vllm_pooling.migration.plugins.doc_fragments.cluster_job import ModuleDocFragment as JobDocFragment
from ansible_collections.vllm_pooling.migration.plugins.doc_fragments.kubernetes import ModuleDocFragment
from ansible_collections.vllm_pooling.migration.plugins.modules import benchmark_job, check_job

from ansible_collections.vllm_pooling.migration.tests.unit.plugins.modules.test_owned_object import _shape
from ansible_collections.vllm_pooling.migration.tests.unit.plugins.module_utils.test_benchmark_job import (
    KEY, NAMESPACE, NS, SETTINGS, FakeCluster, endpoints, finish, pod, references)


@pytest.mark.parametrize("module", [benchmark_job, check_job], ids=["benchmark_job", "check_job"])
def test_documented_options_and_returns_match_the_module(module):
    options = yaml.safe_load(module.DOCUMENTATION)["options"]
    documented = dict(options, **yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"],
                      **yaml.safe_load(JobDocFragment.DOCUMENTATION)["options"])
    assert {name: _shape(option) for name, option in documented.items()} == \
        {name: _shape(option) for name, option in module.ARGUMENT_SPEC.items()}
    assert yaml.safe_load(JobDocFragment.DOCUMENTATION)["options"]["resources"]["default"] == \
        module.ARGUMENT_SPEC["resources"]["default"]
    assert set(yaml.safe_load(module.RETURN)) == {"outcome", "job", "objects", "expected_seconds", "deadline_seconds",
                                                  "urls", "done", "state", "records", "pods", "log", "msg"}


def run(run_main, cluster, args):
    with mock.patch.object(benchmark_job, "kubernetes_client", return_value=cluster):
        return run_main(benchmark_job.main, dict({"namespace": NS}, **args))


START = {"image": "registry.example.com/ee:0.1.0", "candidates": endpoints(), "references": references(),
         "settings": SETTINGS}


def test_start_then_collect_a_running_then_a_failed_job(run_main):
    cluster = FakeCluster(NAMESPACE)
    started = run(run_main, cluster, START)
    assert not started.get("failed"), started["msg"]
    assert started["changed"] is True and started["outcome"] == "created" and started["job"] == "vllm-migration-benchmark"
    assert started["deadline_seconds"] == started["expected_seconds"] + 600
    assert started["urls"]["minilm"]["path"] == "service" and started["urls"]["minilm"]["reference_path"] == "service"
    assert "Job %s/vllm-migration-benchmark: created" % NS in started["objects"]
    assert KEY not in json.dumps(started)  # the reference's key is in the Secret, hidden in the result and diff
    again = run(run_main, cluster, START)
    assert again["changed"] is False and again["outcome"] == "running"
    running = run(run_main, cluster, {"state": "collected"})
    assert running["done"] is False and running["state"] == "running" and not running.get("failed")
    cluster.add(pod(terminated={"reason": "Error", "exitCode": 2}))
    cluster.logs["vllm-migration-benchmark-x7k2p"] = "ERROR! the playbook: vllm_pooling.migration.run_in_job could not be found\n"
    finish(cluster, failed=("BackoffLimitExceeded", "Job has reached the specified backoff limit"))
    failed = run(run_main, cluster, {"state": "collected"})
    assert failed["failed"] is True and failed["done"] is True and failed["state"] == "failed"
    assert "could not be found" in failed["msg"] and "Traceback" not in failed["msg"]
    assert {r["status"] for r in failed["records"].values()} == {"error"}


def test_refusals_are_task_failures_naming_the_job(run_main):
    result = run(run_main, FakeCluster(NAMESPACE), dict(START, image=""))
    assert result["failed"] is True
    assert result["msg"].startswith("benchmark Job vllm-migration-benchmark in namespace %s: no image" % NS)
    result = run(run_main, FakeCluster(NAMESPACE), {"state": "collected", "name": "other-bench"})
    assert result["failed"] is True and "there is no Job %s/other-bench: start it first" % NS in result["msg"]
    broken = FakeCluster(NAMESPACE)
    broken.resource = mock.Mock(side_effect=RuntimeError("connection refused"))
    result = run(run_main, broken, START)
    assert result["failed"] is True and "connection refused" in result["msg"] and "Traceback" not in result["msg"]


def test_check_mode_sends_only_dry_runs(run_main):
    cluster = FakeCluster(NAMESPACE)
    result = run(run_main, cluster, dict(START, _ansible_check_mode=True, _ansible_diff=True))
    assert result["changed"] is True and result["msg"].startswith("would create Job")
    assert cluster.real_writes() == [] and result["diff"]
    collected = run(run_main, cluster, {"state": "collected", "_ansible_check_mode": True})
    assert collected["done"] is True and collected["state"] == "not_started"
