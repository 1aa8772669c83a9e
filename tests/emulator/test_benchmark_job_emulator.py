# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The in-cluster benchmark Job against the emulated API (scenario ``benchmark_job``, benchmark_job_scenarios.py).

The module applies the Job's objects with the collection's labels, in check mode only as dry runs, and a second
start changes nothing. The test plays the pod - the Job's own command, ``ansible-playbook
vllm_pooling.migration.run_in_job``, run here against two stub servers with the environment the Job takes
from Secrets - writing a file outside a cluster, and, under the benchmark role, the result ConfigMap; it then
writes the Job's status. The role waits for the Job and records what it returned, or an error record with the
reason and the pod's log when the Job failed.

What this does not prove: no pod is scheduled, no image is pulled or run (the command runs in the test's venv), no
ServiceAccount token or RBAC is checked (the emulator accepts any request; the Role is checked as written and the
pod's writes are checked to be only a patch of its ConfigMap), the Service URLs are stubs on 127.0.0.1 (so the
records say path local), and the Job controller's deadline, pod failure handling and TTL do not run
(docs/cluster.md, "Benchmark from inside the cluster").
"""

from __future__ import annotations

import base64
import json

from benchmark_job_scenarios import JOB, MODULE_NAME, REFERENCE_KEY, VLLM_KEY
from harness import NAMESPACE

MANAGED = {"app.kubernetes.io/managed-by": "vllm_pooling.migration", "app.kubernetes.io/part-of": "vllm-migration",
           "app.kubernetes.io/component": "benchmark"}


def _ok(step):
    assert step["run"].returncode == 0, step["run"].describe()


def _results(run, name):
    return [result for task, result in run.tasks() if task == name]


def _objects(step, name=MODULE_NAME):
    """The Job's objects in a step's snapshot, by kind (ConfigMaps by name)."""
    found = {}
    for kind, objects in step["objects"].items():
        for (namespace, obj_name), obj in objects.items():
            if namespace == NAMESPACE and obj_name.startswith(name) and "-x7k2p" not in obj_name:
                found[kind if kind != "ConfigMap" else obj_name] = obj
    return found


def test_check_mode_says_what_it_would_create_and_sends_only_dry_runs(benchmark_job):
    step = benchmark_job.step("check")
    _ok(step)
    (start,) = _results(step["run"], "Start the benchmark Job")
    assert start["changed"] is True and start["outcome"] == "created"
    assert start["msg"].startswith("would create Job %s/%s" % (NAMESPACE, MODULE_NAME))
    assert start["diff"] and [w for w in step["writes"] if not w.dry_run] == []
    assert _objects(step) == {}
    (collect,) = _results(step["run"], "Collect the benchmark Job")
    assert collect["done"] is True and collect["state"] == "not_started" and not collect.get("failed")


def test_start_creates_the_objects_labelled_and_a_second_start_changes_nothing(benchmark_job):
    step = benchmark_job.step("start")
    _ok(step)
    objects = _objects(step)
    assert set(objects) == {"ServiceAccount", "Role", "RoleBinding", "Secret", "Job", MODULE_NAME + "-parameters",
                            MODULE_NAME + "-result"}
    for kind, obj in objects.items():
        assert {k: obj["metadata"]["labels"].get(k) for k in MANAGED} == MANAGED, kind
    assert objects["Role"]["rules"] == [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "update", "patch"],
                                         "resourceNames": [MODULE_NAME + "-result"]}]
    parameters = objects[MODULE_NAME + "-parameters"]["data"]["parameters.json"]
    assert REFERENCE_KEY not in parameters and VLLM_KEY not in parameters
    assert json.loads(base64.b64decode(objects["Secret"]["data"]["reference-api-keys"])) == {"minilm": REFERENCE_KEY}
    first, again = _results(step["run"], "Start the benchmark Job") + _results(step["run"], "Start it again")
    assert first["changed"] is True and first["outcome"] == "created"
    assert again["changed"] is False and again["outcome"] == "running", again
    job_creates = [w for w in step["writes"] if w.created and "/jobs" in w.path]
    assert len(job_creates) == 1, step["writes"]  # the second start sent no Job
    (collect,) = _results(step["run"], "Collect the benchmark Job")
    assert collect["done"] is False and collect["state"] == "running" and not collect.get("failed")


def test_the_same_playbook_outside_a_cluster_writes_a_file(benchmark_job):
    step = benchmark_job.step("file")
    _ok(step)
    assert step["writes"] == []  # nothing sent to the API
    assert step["parameters"]["benchmark_candidates"]["minilm"]["url"].startswith("http://127.0.0.1:")  # service_url
    written = json.loads((benchmark_job.workdir / "results-file.json").read_text())
    assert written["schema"] == "vllm_pooling.migration/benchmark-job-result/v1"
    record = written["records"]["minilm"]
    assert record["status"] == "passed" and [level["concurrency"] for level in record["levels"]] == [1], record["reason"]
    assert record["client"]["location"] == "cluster_job" and record["client"]["latency_gating"] is True


def test_the_keys_reach_each_server_from_the_secrets_the_job_names(benchmark_job):
    servers = benchmark_job.step("servers")
    # vLLM's key came from the servers' Secret, the reference's from the Job's; each reached only its server
    assert servers["vllm_auth"] == ["Bearer " + VLLM_KEY] and servers["reference_auth"] == ["Bearer " + REFERENCE_KEY]
    assert servers["vllm_requests"] > 10 and servers["reference_requests"] > 10


def _wait_task(run):
    (start,) = _results(run, "Start the benchmark Job (or keep the same one running), %s/%s" % (NAMESPACE, JOB))
    (wait,) = _results(run, "Wait for the benchmark Job, one read per benchmark_job_poll seconds until its deadline, " + JOB)
    return start, wait


def test_the_role_waits_for_its_job_whose_pod_writes_only_its_result_configmap(benchmark_job):
    pod = benchmark_job.step("role_pod")
    _ok(pod)
    # the pod's only write: a merge patch of its result ConfigMap (what its Role allows)
    assert [(w.method, w.path) for w in pod["writes"]] == [
        ("PATCH", "/api/v1/namespaces/%s/configmaps/%s-result" % (NAMESPACE, JOB))]
    step = benchmark_job.step("role")
    _ok(step)
    start, wait = _wait_task(step["run"])
    assert start["outcome"] == "created" and start["urls"]["minilm"]["reference_path"] == "local"
    assert wait["attempts"] >= 2 and wait["state"] == "succeeded"  # it polled while the Job ran
    records = json.loads((benchmark_job.workdir / "results-role.json").read_text())
    record = records["minilm"]
    assert record["status"] == "passed" and record["client"]["location"] == "cluster_job", record["reason"]
    stored = json.loads(_objects(step, JOB)[JOB + "-result"]["data"]["results.json"])
    assert stored["records"]["minilm"]["levels"] == record["levels"]
    # the chart is drawn here from the record the Job returned
    assert record["chart"].endswith("charts-role/minilm-benchmark.png")
    assert (benchmark_job.workdir / "charts-role" / "minilm-benchmark.png").read_bytes()[:4] == b"\x89PNG"


def test_a_failed_job_is_an_error_record_with_its_reason_and_log_and_no_traceback(benchmark_job):
    step = benchmark_job.step("role_failed")
    _ok(step)  # the play goes on: the model gets an error record
    start, wait = _wait_task(step["run"])
    assert start["outcome"] == "replaced" and start["changed"] is True
    assert "data" not in _objects(step, JOB)[JOB + "-result"]  # the finished Job's records were emptied first
    assert wait["failed"] is True and wait["state"] == "failed"
    message = wait["msg"]
    assert "Job %s/%s failed: BackoffLimitExceeded: Job has reached the specified backoff limit" % (NAMESPACE, JOB) in message
    assert "terminated: Error, exit code 2" in message and "couldn't resolve module/action" in message
    assert "Traceback" not in message
    (said,) = _results(step["run"], "Say why the benchmark Job gave no records")
    assert said["msg"] == message
    records = json.loads((benchmark_job.workdir / "results-role_failed.json").read_text())
    assert records["minilm"]["status"] == "error"
    assert records["minilm"]["reason"].startswith("the benchmark Job failed: BackoffLimitExceeded")
