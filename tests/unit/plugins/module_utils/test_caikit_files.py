# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""vLLM on the cluster serving the very files Caikit serves (issue 4, the cluster half): the catalog's source keys of a
claim (pvc://) and of a data connection (S3), planned for both server targets (storage_plan, cluster_plan), accepted by
the catalog without a Hugging Face id, and proposed by discovery (kserve.model_files, kserve.discover)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from ansible_collections.vllm_pooling.migration.plugins.module_utils import kserve
from ansible_collections.vllm_pooling.migration.plugins.module_utils.catalog import CatalogError, resolve_models
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cluster_plan import PlanError, server_plan
from ansible_collections.vllm_pooling.migration.plugins.module_utils.storage_plan import (
    COPY_CONTAINER, CopyLogError, StoragePlanError, copied_weights, copy_container, kserve_model, prefetch_repos,
    server_storage)

CLUSTER = yaml.safe_load((Path(__file__).resolve().parents[2] / "fixtures" / "kserve" / "cluster.yml").read_text())
EE_IMAGE = "registry.example.com/vllm-pooling-migration-ee:0.1.0"
S3_SOURCE = {"model_data_connection": "aws-connection-models",
             "model_data_connection_path": "embeddings/all-minilm-l6-v2/artifacts"}
CLAIM_SOURCE = {"model_claim": "search-models", "model_claim_path": "caikit/bge-small-en-v1-5/artifacts",
                "model_claim_pods": {"serving.kserve.io/inferenceservice": "caikit-internal"}}
CATALOG = {"minilm": dict(S3_SOURCE),
           "bge_small": dict(CLAIM_SOURCE, kind="embedding", caikit_model_id="bge-small-en-v1-5")}
SAME_NODE_AS_CAIKIT = {"labelSelector": {"matchLabels": {"serving.kserve.io/inferenceservice": "caikit-internal"}},
                       "topologyKey": "kubernetes.io/hostname"}


def plan(target="deployment", catalog=None, copy_image=EE_IMAGE, keys=("minilm", "bge_small")):
    settings = {"platform": "openshift", "namespace": "team-search", "image": "docker.io/vllm/vllm-openai:v0.32.0",
                "gpu": 0, "command": ["vllm", "serve"], "target": target, "expose": False,
                "storage": {"claim": "vllm-model-cache", "copy_image": copy_image}}
    return {i["key"]: i for i in server_plan(resolve_models(catalog or CATALOG, list(keys)), settings)}


# --- the data connection on the Deployment target -------------------------------------------------------------

def test_a_data_connection_model_is_copied_by_a_restricted_init_container_and_served_from_its_artifacts():
    server = plan()["minilm"]
    storage = server["storage"]
    assert storage["source"] == "data_connection" and storage["offline"] is True
    assert server["command"] == ["vllm", "serve"] and server["args"][0] == "/mnt/models/all-minilm-l6-v2/artifacts"
    assert storage["volumes"] == [{"name": "model-files", "emptyDir": {}}]
    assert storage["mounts"] == [{"name": "model-files", "mountPath": "/mnt/models", "readOnly": True}]
    (copier,) = storage["init_containers"]
    assert copier["name"] == COPY_CONTAINER and copier["image"] == EE_IMAGE and "restartPolicy" not in copier
    command = copier["command"]
    assert command[:5] == ["ansible", "localhost", "-m", "vllm_pooling.migration.caikit_weights", "-a"]
    assert json.loads(command[5]) == {"data_connection_env": True, "storage_path": "embeddings/all-minilm-l6-v2",
                                      "models": ["all-minilm-l6-v2"], "dest": "/mnt/models"}
    env = {item["name"]: item for item in copier["env"]}
    # every value of the data connection comes from its Secret; none is in the manifest
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_S3_ENDPOINT", "AWS_S3_BUCKET"):
        assert env[name] == {"name": name, "valueFrom": {"secretKeyRef": {"name": "aws-connection-models", "key": name}}}
    assert env["AWS_DEFAULT_REGION"]["valueFrom"]["secretKeyRef"]["optional"] is True
    assert env["HOME"] == {"name": "HOME", "value": "/tmp"}
    assert copier["securityContext"] == {"allowPrivilegeEscalation": False, "runAsNonRoot": True,
                                         "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}
    assert copier["resources"]["limits"]["memory"] and copier["resources"]["requests"]["cpu"]
    assert copier["volumeMounts"] == [{"name": "model-files", "mountPath": "/mnt/models"}]  # it writes, vLLM reads


def test_without_the_copy_image_a_data_connection_model_fails_naming_the_model_the_setting_and_the_fix():
    with pytest.raises(PlanError) as err:
        plan(copy_image="")
    text = str(err.value)
    assert "model 'minilm'" in text and "data connection aws-connection-models" in text
    assert "vllm_migration_model_copy_image" in text and "docs/execution-environment.md" in text
    assert "vllm_server_target: inferenceservice" in text


@pytest.mark.parametrize("path", ["", "artifacts", "/artifacts/", "embeddings/../artifacts"])
def test_a_data_connection_path_without_a_model_folder_is_refused_with_the_form_it_needs(path):
    with pytest.raises(StoragePlanError) as err:
        server_storage("minilm", dict(S3_SOURCE, model_data_connection_path=path), {"copy_image": EE_IMAGE})
    text = str(err.value)
    assert "model 'minilm'" in text and "data connection aws-connection-models" in text
    assert "names no Caikit model folder" in text and "<storage path>/<Caikit model id>/artifacts" in text


def test_a_data_connection_that_is_not_a_secret_name_is_refused():
    with pytest.raises(StoragePlanError, match="model 'minilm': model_data_connection 'team/aws' is not the name of a Secret"):
        server_storage("minilm", dict(S3_SOURCE, model_data_connection="team/aws"), {"copy_image": EE_IMAGE})


def test_a_claim_and_a_data_connection_together_are_refused_naming_both():
    catalog = {"minilm": dict(S3_SOURCE, model_claim="search-models")}
    for target in ("deployment", "inferenceservice"):
        with pytest.raises(PlanError) as err:
            plan(target, catalog, keys=("minilm",))
        text = str(err.value)
        assert "model 'minilm'" in text and "model_claim (search-models) and model_data_connection " \
            "(aws-connection-models) are both set" in text and "keep one" in text


def test_the_copy_container_is_found_with_the_secret_the_prefix_and_the_model_it_copies():
    storage = plan()["minilm"]["storage"]
    found = copy_container(storage["init_containers"])
    assert found == {"container": storage["init_containers"][0], "secret": "aws-connection-models",
                     "storage_path": "embeddings/all-minilm-l6-v2", "model_id": "all-minilm-l6-v2"}
    assert copy_container([]) is None and copy_container(None) is None
    assert copy_container([{"name": "modelcar", "command": ["sh"]}]) is None
    # the init container's log is JSON whatever ansible.cfg the image holds
    assert {"name": "ANSIBLE_CALLBACK_RESULT_FORMAT", "value": "json"} in found["container"]["env"]


# --- the init container's log: the digest of what vLLM serves ---------------------------------------------------
# The copy's result as Ansible's ad-hoc output prints it (tests/emulator/test_caikit_files_emulator.py parses the
# output of the real command); these are the logs that hold no digest.

DIGEST = "sha256:" + "0c5d" * 16


def copy_result(**model):
    entry = dict({"model_id": "all-minilm-l6-v2", "digest": DIGEST, "tensors": 3, "weights_problem": None,
                  "source": {"uri": "s3://models/embeddings/all-minilm-l6-v2/", "prefix": "embeddings/all-minilm-l6-v2/"},
                  "downloaded": ["artifacts/model.safetensors", "config.yml"], "changed": True}, **model)
    return {"changed": True, "found": ["all-minilm-l6-v2"], "models": [entry], "msg": "1 Caikit model folder(s) ..."}


def ad_hoc(result, state="CHANGED"):
    return "localhost | %s => %s\n" % (state, json.dumps(result, indent=4, sort_keys=True))


def test_the_copys_result_gives_the_digest_of_the_model_folder_it_copied():
    expected = {"digest": DIGEST, "tensors": 3, "model_id": "all-minilm-l6-v2",
                "uri": "s3://models/embeddings/all-minilm-l6-v2/"}
    assert copied_weights(ad_hoc(copy_result()), "all-minilm-l6-v2") == expected
    # a second run (a restarted pod keeps its emptyDir) says SUCCESS; warnings may come before the result
    log = "[WARNING]: Platform linux on host localhost is using the discovered Python interpreter\n" + ad_hoc(
        copy_result(changed=False, downloaded=[]), "SUCCESS")
    assert copied_weights(log, "all-minilm-l6-v2") == expected


@pytest.mark.parametrize("log, message", [
    ("", "no result of the copy .* it is empty"),
    (ad_hoc(copy_result())[40:], r"no result of the copy \(no '<host> \| CHANGED => \.\.\.' line\).*cut short"),
    (ad_hoc(copy_result())[:300], "not complete JSON"),
    ("localhost | CHANGED => \n    changed: true\n    models:\n    -   digest: " + DIGEST + "\n", "not complete JSON"),
    (ad_hoc({"failed": True, "msg": "could not list s3://models/embeddings/: AccessDenied"}, "FAILED!"),
     r"the copy failed \(FAILED!\): could not list s3://models/embeddings/: AccessDenied"),
    (ad_hoc({"unreachable": True, "msg": "Failed to create temporary directory"}, "UNREACHABLE!"),
     r"the copy failed \(UNREACHABLE!\): Failed to create temporary directory"),
    (ad_hoc(copy_result(digest=None, tensors=None, weights_problem="no *.safetensors file in artifacts")),
     "could not digest the weights of all-minilm-l6-v2: no \\*.safetensors file in artifacts"),
    (ad_hoc(copy_result(model_id="another-model")), "has no model folder all-minilm-l6-v2 .it lists another-model."),
    (ad_hoc(copy_result(digest="md5:abc")), r"not a weights digest \(sha256:<64 hex>\): 'md5:abc'"),
    (ad_hoc(["not", "a", "result"]), "not a JSON object"),
])
def test_a_log_without_the_digest_says_why(log, message):
    with pytest.raises(CopyLogError, match=message):
        copied_weights(log, "all-minilm-l6-v2")


# --- the data connection on the InferenceService target -------------------------------------------------------

def test_on_the_inference_service_target_kserves_storage_initializer_downloads_the_artifacts():
    servers = plan("inferenceservice", copy_image="")  # no image needed: KServe copies
    minilm = servers["minilm"]
    assert minilm["model_storage"] == {"key": "aws-connection-models", "path": "embeddings/all-minilm-l6-v2/artifacts"}
    assert minilm["storage_uri"] == ""
    assert minilm["args"][0] == "/mnt/models"  # vllm serve <model>
    assert minilm["storage"]["init_containers"] == [] and minilm["storage"]["volumes"] == []
    assert minilm["storage"]["offline"] is True
    assert kserve_model("minilm", "x", S3_SOURCE)["storage"] == minilm["model_storage"]


# --- the claim, and Caikit's pods on it -------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["deployment", "inferenceservice"])
def test_a_claim_model_runs_beside_the_pods_that_mount_the_claim(target):
    server = plan(target)["bge_small"]
    assert SAME_NODE_AS_CAIKIT in server["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    if target == "deployment":
        assert server["storage"]["mounts"] == [{"name": "model-files", "mountPath": "/mnt/models", "readOnly": True,
                                                "subPath": "caikit/bge-small-en-v1-5/artifacts"}]
    else:
        assert server["storage_uri"] == "pvc://search-models/caikit/bge-small-en-v1-5/artifacts"
    # the data connection model has no such term
    assert "podAffinity" not in plan(target)["minilm"]["affinity"]


def test_claim_pods_must_be_labels_and_need_a_claim():
    with pytest.raises(StoragePlanError, match="model 'm': model_claim_pods must map label names to values"):
        server_storage("m", dict(CLAIM_SOURCE, model_claim_pods=["caikit-internal"]), {})
    with pytest.raises(StoragePlanError, match="model 'm': model_claim_pods is set without model_claim"):
        server_storage("m", dict(S3_SOURCE, model_claim_pods={"a": "b"}), {"copy_image": EE_IMAGE})


# --- the catalog --------------------------------------------------------------------------------------------------

def test_an_entry_whose_files_are_named_needs_no_hugging_face_id_and_is_named_by_its_caikit_id():
    (entry,) = resolve_models(CATALOG, ["bge_small"])
    assert entry["model"] == "bge-small-en-v1-5" and entry["model_claim"] == "search-models"
    # nothing to prefetch from the Hub for either source; a Hub model still is
    entries = resolve_models(CATALOG, ["minilm", "bge_small", "granite"])
    assert prefetch_repos(entries) == ["ibm-granite/granite-embedding-278m-multilingual"]
    with pytest.raises(CatalogError, match="entry 'x' lacks model: give the Hugging Face id .* model_data_connection"):
        resolve_models({"x": {"kind": "embedding"}}, ["x"])


# --- what discovery proposes ------------------------------------------------------------------------------------

def services():
    runtimes = {(r["metadata"]["namespace"], r["metadata"]["name"]): r for r in CLUSTER["runtimes"]}
    return {o["metadata"]["name"]: kserve.describe_inference_service(
        o, runtimes.get((o["metadata"]["namespace"], o["spec"]["predictor"]["model"].get("runtime"))))
        for o in CLUSTER["inference_services"]}


def secrets():
    return {(s["metadata"]["namespace"], s["metadata"]["name"]): s for s in CLUSTER["secrets"]}


def answers(url, service):
    return CLUSTER["info_models"][url.rsplit("/", 1)[-1]]


def discover(**options):
    return kserve.discover(CLUSTER["inference_services"], services_runtimes(), secrets(), answers,
                           urls={"team-search/caikit-internal": "http://127.0.0.1:1/internal"}, **options)


def services_runtimes():
    return {(r["metadata"]["namespace"], r["metadata"]["name"]): r for r in CLUSTER["runtimes"]}


def model(model_id, path=None):
    return {"model_id": model_id, "path": "/mnt/models/" + model_id if path is None else path}


def test_a_pvc_model_is_proposed_from_its_folder_on_the_claim_beside_caikits_pods():
    claims = {("team-search", "search-models"): "ReadWriteOnce"}
    source, notes = kserve.model_files(services()["caikit-internal"], model("bge-small-en-v1-5"), secrets(), "team-search",
                                       claims)
    assert source == CLAIM_SOURCE
    assert "a ReadWriteOnce claim is attached to one node" in notes[0] and "after retiring Caikit" in notes[0]
    # not read (forbidden): taken for ReadWriteOnce, and said
    source, notes = kserve.model_files(services()["caikit-internal"], model("bge-small-en-v1-5"), secrets(), "team-search")
    assert source == CLAIM_SOURCE and "access mode was not read" in notes[0]


@pytest.mark.parametrize("mode", ["ReadWriteMany", "ReadOnlyMany"])
def test_a_claim_every_node_may_mount_needs_no_place_beside_caikit(mode):
    claims = {("team-search", "search-models"): mode}
    source, notes = kserve.model_files(services()["caikit-internal"], model("bge-small-en-v1-5"), secrets(), "team-search",
                                       claims)
    assert source == {key: CLAIM_SOURCE[key] for key in ("model_claim", "model_claim_path")}
    assert "(%s: mounted on any node)" % mode in notes[0]
    reference = kserve.discover(CLUSTER["inference_services"], services_runtimes(), secrets(), answers, claims=claims,
                                urls={"team-search/caikit-internal": "http://127.0.0.1:1/internal"},
                                server_namespace="team-search")["proposal"]["references"]["bge_small_en_v1_5"]
    assert reference["weights_claim"]["pods"] == {}  # the check Job needs no affinity either


@pytest.mark.parametrize("mode,why", [
    ("ReadWriteOncePod", "is ReadWriteOncePod: no pod but Caikit's may mount it"),
    (None, "does not exist in namespace team-search"),
])
def test_a_claim_no_second_pod_can_mount_is_not_proposed_and_the_review_says_why(mode, why):
    claims = {("team-search", "search-models"): mode}
    source, notes = kserve.model_files(services()["caikit-internal"], model("bge-small-en-v1-5"), secrets(), "team-search",
                                       claims)
    assert source == {} and why in notes[0] and "team-search/caikit-internal: model bge-small-en-v1-5" in notes[0]
    result = kserve.discover(CLUSTER["inference_services"], services_runtimes(), secrets(), answers, claims=claims,
                             urls={"team-search/caikit-internal": "http://127.0.0.1:1/internal"}, server_namespace="team-search")
    assert "weights_claim" not in result["proposal"]["references"]["bge_small_en_v1_5"]
    assert any(why in line for line in result["review"])


def test_an_s3_model_is_proposed_from_its_data_connection_and_artifacts_prefix():
    source, notes = kserve.model_files(services()["caikit-embeddings"], model("all-minilm-l6-v2"), secrets(), "team-rag")
    assert source == S3_SOURCE
    assert "vllm_migration_model_copy_image" in notes[0]


@pytest.mark.parametrize("storage_uri,loaded,path", [
    ("pvc://models/caikit", "/mnt/models/bge", "caikit/bge/artifacts"),        # the folders under the storage path
    ("pvc://models/caikit/bge", "/mnt/models", "caikit/bge/artifacts"),        # the storage path is the model folder
    ("pvc://models/caikit/bge", "", "caikit/bge/artifacts"),                   # ... named like the model, no model_path
    ("pvc://models", "", "bge/artifacts"),
    ("pvc://models/", "/mnt/models/", "artifacts"),                           # the claim's top is the model folder
])
def test_the_model_folder_is_found_where_the_runtime_loaded_it(storage_uri, loaded, path):
    isvc = copy.deepcopy(next(o for o in CLUSTER["inference_services"] if o["metadata"]["name"] == "caikit-internal"))
    isvc["spec"]["predictor"]["model"]["storageUri"] = storage_uri
    source, notes = kserve.model_files(kserve.describe_inference_service(isvc), model("bge", loaded), {}, None)
    assert source["model_claim_path"] == path and source["model_claim"] == "models"


def test_storage_vllm_cannot_mount_is_not_proposed_and_the_review_says_why_and_what_to_do():
    found = services()
    cases = [
        (found["caikit-internal"], model("bge-small-en-v1-5"), "vllm-migration",
         "claim search-models in namespace team-search, and vLLM runs in vllm-migration"),
        (found["caikit-rerank"], model("ms-marco-minilm-l12-v2"), None, "no data connection (storage.key)"),
        (found["caikit-pending"], model("pending-model"), None,
         "data connection aws-connection-broken, whose Secret is missing or lacks keys"),
    ]
    for service, entry, namespace, phrase in cases:
        source, notes = kserve.model_files(service, entry, secrets(), namespace)
        assert source == {} and phrase in notes[0] and service["ref"] in notes[0], notes
    assert "run vLLM in team-search (vllm_migration_namespace)" in kserve.model_files(*cases[0][:2], {}, "x")[1][0]
    gone = kserve.model_files(found["caikit-embeddings"], model("all-minilm-l6-v2"),
                              {("team-rag", "aws-connection-models"): None}, None)
    assert gone[0] == {} and "aws-connection-models" in gone[1][0]


def test_discovery_proposes_caikits_files_where_vllm_runs_and_no_hugging_face_id_is_needed():
    result = discover(server_namespace="team-search")
    catalog, rows = result["proposal"]["catalog"], {m["model_id"]: m for m in result["models"]}
    assert catalog["bge_small_en_v1_5"] == dict(CLAIM_SOURCE, caikit_model_id="bge-small-en-v1-5", kind="embedding")
    assert rows["bge-small-en-v1-5"]["status"] == "proposed" and "bge_small_en_v1_5" in result["proposal"]["models"]
    assert not any("vllm_migration_catalog.bge_small_en_v1_5.model" in r for r in result["review"])
    # the team-rag models keep their Hub weights: vLLM does not run there
    assert "model_data_connection" not in catalog["minilm"]
    (entry,) = resolve_models(catalog, ["bge_small_en_v1_5"])
    assert entry["model"] == "bge-small-en-v1-5"
    everywhere = discover()["proposal"]["catalog"]  # no namespace given: every service's own files
    assert everywhere["minilm"] == dict(S3_SOURCE, caikit_model_id="all-minilm-l6-v2")
    assert everywhere["granite"]["model_data_connection_path"] == \
        "embeddings/granite-embedding-278m-multilingual-caikit/artifacts"
    assert "model_data_connection" not in everywhere["msmarco"]  # storageUri, no data connection


def test_discovery_says_where_caikits_folder_is_on_the_claim_for_the_check_job_to_digest():
    result = discover(server_namespace="team-search")
    reference = result["proposal"]["references"]["bge_small_en_v1_5"]
    # the Caikit model folder (config.yml and artifacts), not vLLM's artifacts folder: the weights gate reads both
    assert reference["weights_claim"] == {"claim": "search-models", "path": "caikit/bge-small-en-v1-5",
                                          "pods": CLAIM_SOURCE["model_claim_pods"]}
    assert reference["weights_source"] == "pvc://search-models/caikit/bge-small-en-v1-5"
    (row,) = [r for r in result["table"] if r.get("model_id") == "bge-small-en-v1-5"]
    assert row["weights"] == "on claim search-models: digested by the check Job"
    # a claim vLLM cannot mount (another namespace than vLLM's): nothing proposed, nothing to digest
    assert "weights_claim" not in discover(server_namespace="vllm-migration")["proposal"]["references"]["bge_small_en_v1_5"]
    assert kserve.claim_reference({"model_claim": "m", "model_claim_path": "artifacts"})["weights_source"] == "pvc://m"


@pytest.mark.parametrize("target", ["deployment", "inferenceservice"])
def test_a_claim_model_records_the_claim_it_serves_for_the_check_job_and_says_why_no_digest_here(target):
    from ansible_collections.vllm_pooling.migration.plugins.module_utils import rollout
    servers = plan(target)
    verdicts = {"bge_small": {"state": rollout.ROLLED_OUT, "reason": ""}, "minilm": {"state": "hopeless", "reason": "r"}}
    found = rollout.served_weights(None, list(servers.values()), verdicts)  # a claim needs no read of the cluster
    assert set(found) == {"bge_small"}  # the data connection's model on a not rolled-out server: not read
    assert found["bge_small"]["weights_claim"] == {"claim": "search-models", "path": "caikit/bge-small-en-v1-5/artifacts",
                                                   "pods": CLAIM_SOURCE["model_claim_pods"]}
    assert found["bge_small"]["weights_source"] == "pvc://search-models/caikit/bge-small-en-v1-5/artifacts, mounted read-only"
    assert "only a pod can read" in found["bge_small"]["weights_note"] and "cluster_job" in found["bge_small"]["weights_note"]
    assert "weights_digest" not in found["bge_small"]


def test_a_private_object_stores_ca_reaches_the_copy_read_only_from_its_config_map():
    storage = server_storage("minilm", S3_SOURCE, {"copy_image": EE_IMAGE, "copy_ca_configmap": "odh-trusted-ca-bundle"})
    assert {"name": "model-copy-ca", "configMap": {"name": "odh-trusted-ca-bundle", "items": [
        {"key": "ca-bundle.crt", "path": "ca-bundle.crt"}]}} in storage["volumes"]
    (copier,) = storage["init_containers"]
    assert {"name": "model-copy-ca", "mountPath": "/etc/vllm-migration/s3-ca", "readOnly": True} in copier["volumeMounts"]
    args = json.loads(copier["command"][copier["command"].index("-a") + 1])
    assert args["s3_ca_path"] == "/etc/vllm-migration/s3-ca/ca-bundle.crt"
    # vLLM itself does not mount the CA; without the setting nothing changes
    assert {m["name"] for m in storage["mounts"]} == {"model-files"}
    plain = server_storage("minilm", S3_SOURCE, {"copy_image": EE_IMAGE})
    assert "s3_ca_path" not in plain["init_containers"][0]["command"][-1] and len(plain["volumes"]) == 1
