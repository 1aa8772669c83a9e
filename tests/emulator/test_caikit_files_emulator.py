# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""vLLM on the cluster serving the very files Caikit serves (scenario caikit_files, kserve_target_scenarios.py): the real
roles through kubernetes.core against the emulator, one model from a data connection's S3 folder and one from Caikit's
claim, on the Deployment and the InferenceService target; the manifests against the schemas; and the init container's
exact command line, taken from the applied Deployment with the environment its secretKeyRefs give it, run here against
moto's S3 server, the files landing where vLLM's model argument points, its output holding the weights digest of
those files (storage_plan.copied_weights), which the endpoint record carries once a ready pod's init container logged
it (step copied_pod, the pod and its log seeded from a real run).

Not proven here (docs/openshift-ai.md, section 3): that the real execution-environment image runs the command, that
KServe's storage initializer downloads storage.path, and that the scheduler honours the pod affinity."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import kubernetes_validate
import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils.storage_plan import CopyLogError, copied_weights
from ansible_collections.vllm_pooling.migration.plugins.module_utils.weights import weights_digest
from harness import NAMESPACE
from kserve_target_scenarios import COPIED_POD, COPY_IMAGE, FILES_NAMESPACE, run_model_copy
from test_inference_service_target import validate_kserve
from test_manifests import KUBERNETES_VERSION, sent

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from s3_server import LocalS3, caikit_model_folder, upload_folder  # noqa: E402  # pylint: disable=wrong-import-position

SECRET_KEY = "emulated-secret-key"
CAIKIT_POD = {"labelSelector": {"matchLabels": {"serving.kserve.io/inferenceservice": "caikit-internal"}},
              "topologyKey": "kubernetes.io/hostname"}


def step_of(scenario, name):
    step = scenario.step(name)
    assert step["run"].returncode == 0, step["run"].describe()
    return step


def ours(step, kind, namespace):
    return {name: obj for (ns, name), obj in step["objects"].get(kind, {}).items() if ns == namespace}


def pod_of(step, name):
    return ours(step, "Deployment", NAMESPACE)[name]["spec"]["template"]["spec"]


def test_on_the_deployment_target_an_init_container_copies_the_data_connections_folder(caikit_files):
    step = step_of(caikit_files, "deployment")
    pod = pod_of(step, "vllm-minilm")
    (copier,) = pod["initContainers"]
    (vllm,) = pod["containers"]
    assert copier["image"] == COPY_IMAGE and copier["command"][:4] == [
        "ansible", "localhost", "-m", "vllm_pooling.migration.caikit_weights"]
    assert all("value" not in item for item in copier["env"] if item["name"].startswith("AWS_"))
    assert {item["name"]: item["valueFrom"]["secretKeyRef"]["name"] for item in copier["env"] if "valueFrom" in item} \
        == dict.fromkeys(("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_S3_ENDPOINT", "AWS_S3_BUCKET",
                          "AWS_DEFAULT_REGION"), "aws-connection-models")
    assert copier["securityContext"]["runAsNonRoot"] is True and copier["securityContext"]["capabilities"] == {
        "drop": ["ALL"]}
    assert vllm["args"][0] == "/mnt/models/all-minilm-l6-v2/artifacts"
    assert {"name": "model-files", "mountPath": "/mnt/models", "readOnly": True} in vllm["volumeMounts"]
    assert {"name": "model-files", "emptyDir": {}} in pod["volumes"]
    assert {item["name"]: item.get("value") for item in vllm["env"]}["HF_HUB_OFFLINE"] == "1"
    annotations = ours(step, "Deployment", NAMESPACE)["vllm-minilm"]["metadata"]["annotations"]
    assert annotations["vllm-migration/model-id"] == "sentence-transformers/all-MiniLM-L6-v2"


def test_on_the_deployment_target_a_claim_model_mounts_caikits_folder_beside_caikits_pods(caikit_files):
    step = step_of(caikit_files, "deployment")
    pod = pod_of(step, "vllm-bge-small")
    (vllm,) = pod["containers"]
    assert "initContainers" not in pod
    assert {"name": "model-files", "persistentVolumeClaim": {"claimName": "search-models", "readOnly": True}} \
        in pod["volumes"]
    assert {"name": "model-files", "mountPath": "/mnt/models", "readOnly": True,
            "subPath": "caikit/bge-small-en-v1-5/artifacts"} in vllm["volumeMounts"]
    assert vllm["args"][0] == "/mnt/models"
    assert CAIKIT_POD in pod["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    # named by the id Caikit serves it as: the entry has no Hugging Face id
    annotations = ours(step, "Deployment", NAMESPACE)["vllm-bge-small"]["metadata"]["annotations"]
    assert annotations["vllm-migration/model-id"] == "bge-small-en-v1-5"


def test_the_deployments_validate_and_a_second_run_changes_nothing(caikit_files):
    step = step_of(caikit_files, "deployment")
    for deployment in ours(step, "Deployment", NAMESPACE).values():
        kubernetes_validate.validate(sent(deployment), KUBERNETES_VERSION, strict=True)
    again = step_of(caikit_files, "deployment_again")
    assert again["run"].stats["changed"] == 0, again["run"].changed_tasks()


def test_a_private_object_stores_ca_config_map_is_mounted_for_the_copy_only(caikit_files):
    step = step_of(caikit_files, "copy_ca")
    deployment = ours(step, "Deployment", NAMESPACE)["vllm-minilm"]
    kubernetes_validate.validate(sent(deployment), KUBERNETES_VERSION, strict=True)
    pod = deployment["spec"]["template"]["spec"]
    assert {"name": "model-copy-ca", "configMap": {"name": "odh-trusted-ca-bundle", "items": [
        {"key": "ca-bundle.crt", "path": "ca-bundle.crt"}]}} in pod["volumes"]
    (copier,) = pod["initContainers"]
    assert '"s3_ca_path": "/etc/vllm-migration/s3-ca/ca-bundle.crt"' in copier["command"][-1]
    assert "model-copy-ca" not in {m["name"] for m in pod["containers"][0]["volumeMounts"]}


def test_without_the_copy_image_the_run_fails_naming_the_model_and_the_setting(caikit_files):
    run = caikit_files.step("no_copy_image")["run"]
    assert run.returncode != 0
    failed = " ".join(str(result.get("msg")) for name, result in run.tasks() if result.get("failed"))
    assert "model 'minilm'" in failed and "vllm_migration_model_copy_image" in failed


def test_on_the_inference_service_target_kserve_gets_the_data_connection_and_the_claim(caikit_files):
    step = step_of(caikit_files, "inferenceservice")
    isvcs = ours(step, "InferenceService", FILES_NAMESPACE)
    minilm, bge = isvcs["vllm-minilm"]["spec"]["predictor"], isvcs["vllm-bge-small"]["spec"]["predictor"]
    assert minilm["model"]["storage"] == {"key": "aws-connection-models", "path": "embeddings/all-minilm-l6-v2/artifacts"}
    assert "storageUri" not in minilm["model"]
    assert bge["model"]["storageUri"] == "pvc://search-models/caikit/bge-small-en-v1-5/artifacts"
    assert CAIKIT_POD in bge["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    runtimes = ours(step, "ServingRuntime", FILES_NAMESPACE)
    for name in ("vllm-minilm", "vllm-bge-small"):
        (container,) = runtimes[name]["spec"]["containers"]
        assert container["args"][0] == "/mnt/models"
        assert "initContainers" not in runtimes[name]["spec"]
    for obj in list(isvcs.values()) + list(runtimes.values()):
        validate_kserve(sent(obj))


@pytest.fixture
def s3():
    server = LocalS3()
    yield server
    server.stop()


def copy_from_s3(caikit_files, s3, tmp_path, weights=True):
    """The minilm server's init container (from the applied Deployment), its model folder uploaded to moto's S3 beside
    another one; ``weights`` False leaves the safetensors file out. Returns (copier, vLLM's container, the folder,
    the Secrets)."""
    pod = pod_of(step_of(caikit_files, "deployment"), "vllm-minilm")
    (copier,) = pod["initContainers"]
    (vllm,) = pod["containers"]
    bucket = s3.new_bucket()
    folder = caikit_model_folder(tmp_path / "caikit", "all-minilm-l6-v2")
    if not weights:
        (folder / "artifacts" / "model.safetensors").unlink()
    upload_folder(s3.client(), bucket, folder, "embeddings")
    caikit_model_folder(tmp_path / "other", "another-model")
    upload_folder(s3.client(), bucket, tmp_path / "other" / "another-model", "embeddings")
    return copier, vllm, folder, {"aws-connection-models": s3.connection(bucket, AWS_SECRET_ACCESS_KEY=SECRET_KEY)}


def test_the_init_containers_command_copies_the_folder_where_vllm_reads_it(caikit_files, s3, tmp_path):
    copier, vllm, folder, secrets = copy_from_s3(caikit_files, s3, tmp_path)
    # The pod's /mnt/models is this test's folder: the command is the manifest's but for that one path.
    mount = tmp_path / "mnt-models"
    command, proc = run_model_copy(copier, secrets, mount, tmp_path / "home")
    assert command != copier["command"] and command[:5] == copier["command"][:5]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert SECRET_KEY not in proc.stdout + proc.stderr
    served = Path(vllm["args"][0].replace("/mnt/models", str(mount)))
    for name in ("config.json", "tokenizer.json", "model.safetensors"):
        assert (served / name).read_bytes() == (folder / "artifacts" / name).read_bytes()
    assert not (mount / "another-model").exists()  # only this model's folder
    # its output (the container's log) holds the digest of what vLLM serves, as the checks' weights gate takes it
    # (JSON, as the container's environment pins it, though this checkout's ansible.cfg asks for YAML)
    copied = copied_weights(proc.stdout, "all-minilm-l6-v2")
    assert copied == {"digest": weights_digest(str(served.parent))["digest"], "tensors": 3, "model_id": "all-minilm-l6-v2",
                      "uri": "s3://%s/embeddings/all-minilm-l6-v2/" % secrets["aws-connection-models"]["AWS_S3_BUCKET"]}
    assert copied["digest"] == weights_digest(str(folder))["digest"]
    with pytest.raises(CopyLogError, match="no model folder another-model"):
        copied_weights(proc.stdout, "another-model")
    # the init container run again (a restarted pod keeps its emptyDir) downloads nothing, and logs the same digest
    again = run_model_copy(copier, secrets, mount, tmp_path / "home")[1]
    assert again.returncode == 0 and "fetched 0 (0 file(s), 0 bytes), 1 already up to date" in again.stdout, \
        again.stdout[-2000:]
    assert copied_weights(again.stdout, "all-minilm-l6-v2") == copied


def test_the_log_of_a_copy_without_weights_or_that_failed_holds_no_digest(caikit_files, s3, tmp_path):
    copier, _vllm, _folder, secrets = copy_from_s3(caikit_files, s3, tmp_path, weights=False)
    proc = run_model_copy(copier, secrets, tmp_path / "mnt-models", tmp_path / "home")[1]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with pytest.raises(CopyLogError, match="the copy could not digest the weights of all-minilm-l6-v2: .+"):
        copied_weights(proc.stdout + proc.stderr, "all-minilm-l6-v2")
    # a Secret with the wrong bucket: the copy fails, and says why
    secrets["aws-connection-models"]["AWS_S3_BUCKET"] = "no-such-bucket"
    failed = run_model_copy(copier, secrets, tmp_path / "mnt-models-2", tmp_path / "home")[1]
    assert failed.returncode != 0
    with pytest.raises(CopyLogError, match=r"the copy failed \(FAILED!\): .*no-such-bucket"):
        copied_weights(failed.stdout + failed.stderr, "all-minilm-l6-v2")


def test_the_endpoint_record_carries_the_digest_the_ready_pods_init_container_logged(caikit_files):
    # no pod yet (the emulator runs none): the digest is unknown, and the record says why
    before = step_of(caikit_files, "deployment")["run"].endpoints
    assert before["minilm"]["status"] == "ready" and "weights_digest" not in before["minilm"]
    assert "no ready pod of Deployment vllm-minilm" in before["minilm"]["weights_note"]
    assert before["minilm"]["weights_source"].startswith("data connection Secret aws-connection-models, S3 prefix "
                                                         "embeddings/all-minilm-l6-v2/")
    # a server that reads Caikit's claim: the claim and folder, which the check Job mounts to digest; no digest here
    bge = before["bge_small"]
    assert bge["weights_claim"] == {"claim": "search-models", "path": "caikit/bge-small-en-v1-5/artifacts",
                                    "pods": {"serving.kserve.io/inferenceservice": "caikit-internal"}}, bge
    assert bge["weights_source"] == "pvc://search-models/caikit/bge-small-en-v1-5/artifacts, mounted read-only"
    assert "weights_digest" not in bge and "the check Job digests them" in bge["weights_note"]
    copied = caikit_files.step("model_copy")
    step = step_of(caikit_files, "copied_pod")
    minilm = step["run"].endpoints["minilm"]
    assert minilm["weights_digest"] == weights_digest(str(copied["folder"]))["digest"]
    assert "weights_note" not in minilm
    assert minilm["weights_source"].startswith("s3://models-") and minilm["weights_source"].endswith(
        "/embeddings/all-minilm-l6-v2/ (data connection Secret aws-connection-models), copied by the init container "
        "model-copy of pod %s" % COPIED_POD)
    assert step["run"].endpoints["bge_small"]["weights_claim"] == bge["weights_claim"]
    # read through the API: that pod's log (seeded for its container model-copy only: any other answers 400)
    assert ("GET", "/api/v1/namespaces/%s/pods/%s/log" % (NAMESPACE, COPIED_POD)) in step["requests"]


def test_the_check_job_compares_both_sides_weights_for_both_sources_from_the_roles_own_records(caikit_files):
    """From the user's starting point: the endpoint records the vllm_server role made, the references discovery
    proposes, the verify role's check Job; minilm by the recorded digests, bge_small by Caikit's claim mounted."""
    step_of(caikit_files, "verify_in_job")
    pod = step_of(caikit_files, "verify_in_job_pod")
    template = pod["job"]["spec"]["template"]["spec"]
    assert [v["persistentVolumeClaim"] for v in template["volumes"] if "persistentVolumeClaim" in v] == [
        {"claimName": "search-models", "readOnly": True}]
    assert template["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == [CAIKIT_POD]
    records = json.loads((caikit_files.workdir / "results-verify_in_job.json").read_text())
    minilm, bge = records["minilm"]["gates"]["weights"], records["bge_small"]["gates"]["weights"]
    assert minilm["status"] == "passed" and minilm["reason"].endswith(
        "known by the digest recorded for the files vLLM's pod copied and the reference's folder as it was copied"), minilm
    caikit = caikit_files.workdir / "claim-search-models" / "caikit" / "bge-small-en-v1-5"
    assert bge["status"] == "passed" and bge["digest"] == weights_digest(str(caikit))["digest"], bge
    # both folders read in the Job, none by a recorded digest: one folder of Caikit's claim, and the reason says so
    assert "known by" not in bge["reason"] and bge["same_folder"] is True, bge
    assert records["bge_small"]["candidate"]["weights_source"] == \
        "pvc://search-models/caikit/bge-small-en-v1-5/artifacts, mounted read-only"
