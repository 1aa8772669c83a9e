# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Model storage across nodes and zones, the modelcar, the trusted CA bundle and the re-runnable prefetch
Job (scenarios ``storage_rwo`` and ``prefetch_rerun``).

Real here: the objects the roles sent through kubernetes.core, and the Job replaced after the emulator
marked it Failed. Not proven: that a scheduler honours the affinity, that a volume attaches (Multi-Attach),
that OpenShift injects the CA bundle, or that a modelcar's files are readable through /proc (docs/cluster.md).
"""

from __future__ import annotations

import pytest

from harness import NAMESPACE
from scenarios_gpu_storage import MODELCAR_IMAGE, PLACEMENT
from test_manifests import collect, validate

CACHE_LABEL = "vllm-migration/model-cache"
SAME_NODE = {"labelSelector": {"matchLabels": {CACHE_LABEL: "vllm-model-cache"}}, "topologyKey": "kubernetes.io/hostname"}
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}


def ours(objects, kind):
    return {key[1]: obj for key, obj in objects.get(kind, {}).items() if key[0] == NAMESPACE}


@pytest.fixture(scope="module")
def converged(storage_rwo):
    step = storage_rwo.step("converge")
    assert step["run"].returncode == 0, step["run"].describe()
    return step


def pod_of(obj):
    return obj["spec"]["template"]["spec"]


def test_the_job_and_the_servers_share_the_placement_and_a_rwo_claim_keeps_them_on_one_node(converged):
    (job,) = ours(converged["objects"], "Job").values()
    server = ours(converged["objects"], "Deployment")["vllm-minilm"]
    for pod, labels in ((pod_of(job), job["spec"]["template"]["metadata"]["labels"]),
                        (pod_of(server), server["spec"]["template"]["metadata"]["labels"])):
        assert pod["nodeSelector"] == PLACEMENT["node_selector"]
        assert pod["tolerations"] == PLACEMENT["tolerations"] + [GPU_TOLERATION]
        assert pod["affinity"]["nodeAffinity"] == PLACEMENT["affinity"]["nodeAffinity"]
        assert pod["affinity"]["podAffinity"] == {"requiredDuringSchedulingIgnoredDuringExecution": [SAME_NODE]}
        assert labels[CACHE_LABEL] == "vllm-model-cache"
    # The Deployment's selector is unchanged by the extra pod label.
    assert CACHE_LABEL not in server["spec"]["selector"]["matchLabels"]


def test_servers_mount_the_cache_read_only_and_the_job_writes_it(converged):
    server = ours(converged["objects"], "Deployment")["vllm-minilm"]
    pod = pod_of(server)
    (c,) = pod["containers"]
    volume = [v for v in pod["volumes"] if v["name"] == "model-cache"][0]
    assert volume["persistentVolumeClaim"] == {"claimName": "vllm-model-cache", "readOnly": True}
    assert {"name": "model-cache", "mountPath": "/models", "readOnly": True} in c["volumeMounts"]
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env["HF_HOME"] == "/models/hf" and env["HF_HUB_OFFLINE"] == "1" and env["HF_MODULES_CACHE"] == "/cache/hf-modules"
    (job,) = ours(converged["objects"], "Job").values()
    (jc,) = pod_of(job)["containers"]
    assert not any(m.get("readOnly") for m in jc["volumeMounts"] if m["name"] == "model-cache")


def test_servers_start_with_vllm_serve_and_the_model_positionally(converged):
    (c,) = pod_of(ours(converged["objects"], "Deployment")["vllm-minilm"])["containers"]
    assert c["command"] == ["vllm", "serve"]
    assert c["args"][0] == "sentence-transformers/all-MiniLM-L6-v2" and "--model" not in c["args"]


def test_a_model_from_an_oci_image_runs_as_a_modelcar_sidecar_without_the_cache(converged):
    pod = pod_of(ours(converged["objects"], "Deployment")["vllm-granite"])
    assert pod["shareProcessNamespace"] is True
    (sidecar,) = pod["initContainers"]
    assert sidecar["image"] == MODELCAR_IMAGE and sidecar["restartPolicy"] == "Always"
    assert sidecar["securityContext"]["runAsNonRoot"] is True and sidecar["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    (c,) = pod["containers"]
    assert c["args"][0] == "/mnt/models"
    assert {"name": "modelcar", "mountPath": "/mnt"} in c["volumeMounts"]
    assert not any(v["name"] == "model-cache" for v in pod["volumes"])
    assert "podAffinity" not in pod["affinity"]
    # The prefetch Job does not download a model that comes from an image.
    (job,) = ours(converged["objects"], "Job").values()
    env = {e["name"]: e.get("value") for e in pod_of(job)["containers"][0]["env"]}
    assert env["PREFETCH_MODELS"] == '["sentence-transformers/all-MiniLM-L6-v2"]'


def test_the_job_trusts_the_injected_ca_bundle_and_expires(converged):
    configmap = ours(converged["objects"], "ConfigMap")["vllm-migration-trusted-ca"]
    assert configmap["metadata"]["labels"]["config.openshift.io/inject-trusted-cabundle"] == "true"
    assert "data" not in configmap  # OpenShift fills it; the role never writes the bundle
    (job,) = ours(converged["objects"], "Job").values()
    assert job["spec"]["ttlSecondsAfterFinished"] == 86400
    pod = pod_of(job)
    (c,) = pod["containers"]
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env["REQUESTS_CA_BUNDLE"] == env["SSL_CERT_FILE"] == "/etc/vllm-migration/trusted-ca/ca-bundle.crt"
    assert {"name": "trusted-ca", "mountPath": "/etc/vllm-migration/trusted-ca", "readOnly": True} in c["volumeMounts"]
    volume = [v for v in pod["volumes"] if v["name"] == "trusted-ca"][0]
    assert volume["configMap"] == {"name": "vllm-migration-trusted-ca",
                                   "items": [{"key": "ca-bundle.crt", "path": "ca-bundle.crt"}]}


def test_every_object_of_the_storage_scenario_validates(converged):
    errors = []
    for obj in collect(converged):
        try:
            validate(obj)
        except Exception as exc:  # collected, so that one run names every invalid object
            errors.append("%s %s: %s" % (obj["kind"], obj["metadata"]["name"], str(exc).splitlines()[0]))
    assert errors == []


def test_a_second_run_changes_nothing(storage_rwo, converged):
    step = storage_rwo.step("idempotence")
    assert step["run"].returncode == 0, step["run"].describe()
    assert step["run"].stats["changed"] == 0, step["run"].changed_tasks()
    assert step["objects"] == converged["objects"]
    assert not [w for w in step["writes"] if w.created or w.method == "DELETE"]


# --- ReadWriteMany and the prefetch Job that failed once ------------------------------------------------

JOB_PATH = "/apis/batch/v1/namespaces/%s/jobs/" % NAMESPACE


def test_a_failed_prefetch_job_fails_the_run_and_says_the_next_run_replaces_it(prefetch_rerun):
    step = prefetch_rerun.step("failed")
    run = step["run"]
    assert run.returncode != 0
    failed = [(n, r) for n, r in run.tasks() if r.get("failed")]
    assert failed and failed[-1][0] == "Fail with the prefetch Job's log"
    assert "The next run deletes the failed Job and starts it again" in str(failed[-1][1]["msg"])
    (job,) = ours(step["objects"], "Job").values()
    assert job["status"]["failed"] == 1


def test_the_next_run_deletes_the_failed_job_and_creates_it_again(prefetch_rerun):
    before = prefetch_rerun.step("failed")
    (name,) = ours(before["objects"], "Job")
    step = prefetch_rerun.step("rerun")
    run = step["run"]
    assert run.returncode == 0, run.describe()
    deleted = [w for w in step["writes"] if w.method == "DELETE"]
    assert [w.path for w in deleted] == [JOB_PATH + name]
    created = [w for w in step["writes"] if w.created and "/jobs" in w.path]
    assert len(created) == 1 and step["writes"].index(created[0]) > step["writes"].index(deleted[0])
    (job,) = ours(step["objects"], "Job").values()
    assert job["metadata"]["name"] == name and job["status"]["succeeded"] == 1
    assert run.endpoints["minilm"]["status"] == "ready"


def test_a_succeeded_job_is_kept_on_the_next_run(prefetch_rerun):
    step = prefetch_rerun.step("again")
    assert step["run"].returncode == 0, step["run"].describe()
    assert not [w for w in step["writes"] if w.method == "DELETE" or w.created]
    assert step["run"].stats["changed"] == 0, step["run"].changed_tasks()


def test_read_write_many_needs_no_affinity_and_stays_read_only_in_the_servers(prefetch_rerun):
    objects = prefetch_rerun.step("rerun")["objects"]
    assert ours(objects, "PersistentVolumeClaim")["vllm-model-cache"]["spec"]["accessModes"] == ["ReadWriteMany"]
    (job,) = ours(objects, "Job").values()
    assert "podAffinity" not in pod_of(job).get("affinity", {})
    for key in ("vllm-minilm", "vllm-msmarco"):
        pod = pod_of(ours(objects, "Deployment")[key])
        assert "affinity" not in pod
        volume = [v for v in pod["volumes"] if v["name"] == "model-cache"][0]
        assert volume["persistentVolumeClaim"]["readOnly"] is True
