# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The verify role's checks from inside the cluster against the emulated API (scenario ``check_job``,
check_job_scenarios.py).

A predictor that is not exposed has only its in-cluster URL; with ``verify_client: cluster_job`` the role starts the
check Job, waits for it, and records what the Job's own run of the role returned: the same records, with
``checked_from.location: cluster_job``. A model the Job does not check (no endpoint here) is recorded on the
controller. The test plays the pod (its own command, here, against stub servers with the environment the Job takes
from Secrets) and writes the Job's status.

What this does not prove: as for the benchmark Job (test_benchmark_job_emulator.py) - no pod is scheduled, no image
runs, no RBAC is checked, the Service URLs are stubs on 127.0.0.1 (the records say path local), and the Job
controller's deadline and TTL do not run. The stubs answer only the OpenAI embeddings API, so the checks' own
verdicts are not the point here; tests/integration/test_discover_migrate_live.py runs the same path against the real
vLLM and Caikit servers.
"""

from __future__ import annotations

import json

import kubernetes_validate

from ansible_collections.vllm_pooling.migration.plugins.module_utils.weights import weights_digest
from benchmark_job_scenarios import REFERENCE_KEY, VLLM_KEY
from check_job_scenarios import CAIKIT_PODS, CLAIM, GPU_TOLERATIONS, JOB
from harness import NAMESPACE
from test_manifests import KUBERNETES_VERSION, sent


def _ok(step):
    assert step["run"].returncode == 0, step["run"].describe()


def _results(run, prefix):
    return [result for task, result in run.tasks() if task.startswith(prefix)]


def _records(scenario, step):
    return json.loads((scenario.workdir / ("results-%s.json" % step)).read_text())


def test_check_mode_starts_no_job_and_records_not_verified(check_job):
    step = check_job.step("check")
    _ok(step)
    assert [w for w in step["writes"] if not w.dry_run] == []
    records = _records(check_job, "check")
    assert records["minilm"]["status"] == "not_verified" and "check mode" in records["minilm"]["reason"]
    assert records["msmarco"]["status"] == "not_verified"


def test_the_role_records_what_the_jobs_run_of_the_checks_returned(check_job):
    pod = check_job.step("role_pod")
    _ok(pod)
    # the Job checks only the model it can: a ready endpoint and a server reference, at the in-cluster URLs
    assert pod["parameters"]["verify_models"] == ["minilm"]
    assert pod["parameters"]["verify_candidates"]["minilm"]["url"].startswith("http://127.0.0.1:")  # the Service URL
    assert pod["parameters"]["verify_references"]["minilm"]["url"].startswith("http://127.0.0.1:")  # internal_url
    assert REFERENCE_KEY not in json.dumps(pod["parameters"]) and VLLM_KEY not in json.dumps(pod["parameters"])
    # the pod's only write: a merge patch of its result ConfigMap
    assert [(w.method, w.path) for w in pod["writes"]] == [
        ("PATCH", "/api/v1/namespaces/%s/configmaps/%s-result" % (NAMESPACE, JOB))]
    step = check_job.step("role")
    _ok(step)
    (start,) = _results(step["run"], "Start the check Job")
    assert start["outcome"] == "created" and list(start["urls"]) == ["minilm"]
    (wait,) = _results(step["run"], "Wait for the check Job")
    assert wait["state"] == "succeeded" and wait["attempts"] >= 2
    records = _records(check_job, "role")
    minilm = records["minilm"]
    assert minilm["schema"] == "vllm_pooling.migration/result/v1" and minilm["check"] == "embedding_check"
    assert minilm["checked_from"]["location"] == "cluster_job", minilm
    assert minilm["candidate"]["url"] == pod["parameters"]["verify_candidates"]["minilm"]["url"]
    assert minilm["status"] in ("passed", "failed") and minilm["gates"], minilm  # the checks ran and judged
    # recorded on the controller: no endpoint, so no Job and no check
    assert records["msmarco"]["status"] == "not_verified" and records["msmarco"]["checked_from"] is None
    assert REFERENCE_KEY not in step["run"].stdout and VLLM_KEY not in step["run"].stdout


def test_each_key_reached_only_its_server_from_the_secrets_the_job_names(check_job):
    servers = check_job.step("servers")
    assert servers["vllm_auth"] == ["Bearer " + VLLM_KEY] and servers["reference_auth"] == ["Bearer " + REFERENCE_KEY]
    assert servers["vllm_requests"] > 0 and servers["reference_requests"] > 0


def test_a_failed_job_gives_its_models_an_error_record_naming_the_job_and_its_log(check_job):
    step = check_job.step("role_failed")
    _ok(step)
    (start,) = _results(step["run"], "Start the check Job")
    assert start["outcome"] == "replaced"
    records = _records(check_job, "role_failed")
    minilm = records["minilm"]
    assert minilm["status"] == "error" and minilm["checked_from"]["location"] == "cluster_job"
    assert minilm["reason"].startswith("the check Job failed: BackoffLimitExceeded")
    assert "pod %s-x7k2p: phase Failed, terminated: Error, exit code 2" % JOB in minilm["reason"]
    assert "couldn't resolve module/action" in minilm["reason"] and "Traceback" not in minilm["reason"]
    assert records["msmarco"]["status"] == "not_verified"


def test_cluster_job_without_an_image_is_refused_before_anything_is_applied(check_job):
    step = check_job.step("no_image")
    assert step["run"].returncode != 0
    assert "needs a cluster platform" in step["run"].stdout and "verify_job_image" in step["run"].stdout
    assert [w for w in step["writes"] if not w.dry_run] == []


def test_weights_on_caikits_claim_are_digested_in_the_job_on_both_sides(check_job):
    step = check_job.step("claims")
    _ok(step)
    played = check_job.step("claims_pod")
    _ok(played)
    kubernetes_validate.validate(sent(played["job"]), KUBERNETES_VERSION, strict=True)
    pod = played["job"]["spec"]["template"]["spec"]
    # Caikit's claim, read-only, on the node of Caikit's predictor pods (a ReadWriteOnce claim is attached there)
    (volume,) = [v for v in pod["volumes"] if "persistentVolumeClaim" in v]
    assert volume["persistentVolumeClaim"] == {"claimName": CLAIM, "readOnly": True}
    assert {"name": volume["name"], "mountPath": "/mnt/claims/" + CLAIM, "readOnly": True} in pod["containers"][0]["volumeMounts"]
    assert pod["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == [
        {"labelSelector": {"matchLabels": CAIKIT_PODS}, "topologyKey": "kubernetes.io/hostname"}]
    assert pod["tolerations"] == GPU_TOLERATIONS  # vllm_migration_verify_job_tolerations
    assert played["parameters"]["verify_candidates"]["minilm"]["model_path"] == \
        "/mnt/claims/%s/caikit/all-minilm-l6-v2/artifacts" % CLAIM
    assert played["parameters"]["verify_references"]["minilm"]["weights_path"] == "/mnt/claims/%s/caikit/all-minilm-l6-v2" % CLAIM
    (start,) = _results(step["run"], "Start the check Job")
    assert start["urls"]["minilm"]["candidate_weights"].startswith("pvc://%s/caikit/all-minilm-l6-v2/artifacts, " % CLAIM)
    minilm = _records(check_job, "claims")["minilm"]
    gate = minilm["gates"]["weights"]
    folder = check_job.workdir / "claim" / "caikit" / "all-minilm-l6-v2"
    assert gate["status"] == "passed" and gate["digest"] == weights_digest(str(folder))["digest"], gate
    assert minilm["checked_from"]["location"] == "cluster_job"


def test_caikit_serving_other_weights_than_vllm_is_a_named_blocking_finding(check_job):
    _ok(check_job.step("claims_differ"))
    minilm = _records(check_job, "claims_differ")["minilm"]
    gate = minilm["gates"]["weights"]
    assert gate["status"] == "failed" and "different weights" in gate["reason"], gate
    assert "all-minilm-l6-v2-retrained" in gate["reason"] and "weights" in minilm["failed_gates"], gate
    assert minilm["status"] == "failed"
