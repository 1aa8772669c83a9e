# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Never adopt or delete what the collection did not create (scenarios ``foreign_objects`` and ``auth_proxy``).

A model cache claim and an API key Secret someone made by hand, under the names the roles use, are neither
written (no apply, no label) nor deleted by a cleanup; a namespace of ours holding someone's object of a kind
no fixed list named (a Lease) stays; one holding only what a cluster puts into every namespace goes; and a
cleanup without settings keeps the model cache. The emulator keeps no managedFields, so "not adopted" is
proven by the absence of any write request to those objects and by their unchanged content.
"""

from __future__ import annotations

import base64

import pytest

from guard_scenarios import OURS_EMPTY, OURS_LEASE
from harness import NAMESPACE

FOREIGN = {"PersistentVolumeClaim": "vllm-model-cache", "Secret": "vllm-api-key"}
PATHS = {"PersistentVolumeClaim": "/api/v1/namespaces/%s/persistentvolumeclaims/vllm-model-cache" % NAMESPACE,
         "Secret": "/api/v1/namespaces/%s/secrets/vllm-api-key" % NAMESPACE}


def ok(step):
    assert step["run"].returncode == 0, step["run"].describe()
    return step


@pytest.fixture(scope="module")
def seeded(foreign_objects):
    return foreign_objects.step("seeded")["objects"]


@pytest.mark.parametrize("kind", sorted(FOREIGN))
def test_converge_neither_writes_nor_labels_a_foreign_claim_or_secret(foreign_objects, seeded, kind):
    step = ok(foreign_objects.step("converge"))
    key = (NAMESPACE, FOREIGN[kind])
    assert step["objects"][kind][key] == seeded[kind][key]
    assert "app.kubernetes.io/managed-by" not in step["objects"][kind][key]["metadata"]["labels"]
    assert not [w for w in step["writes"] if w.path == PATHS[kind]], step["writes"]


def test_the_foreign_objects_are_used_and_reported(foreign_objects):
    step = ok(foreign_objects.step("converge"))
    deployment = step["objects"]["Deployment"][(NAMESPACE, "vllm-minilm")]
    pod = deployment["spec"]["template"]["spec"]
    (vllm,) = [c for c in pod["containers"] if c["name"] == "vllm"]
    env = {e["name"]: e.get("valueFrom") for e in vllm["env"]}
    assert env["VLLM_API_KEY"] == {"secretKeyRef": {"name": "vllm-api-key", "key": "api-key"}}
    claims = [v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"] if "persistentVolumeClaim" in v]
    assert claims == ["vllm-model-cache"]
    messages = " ".join(str(result.get("msg")) for name, result in step["run"].tasks() if name.startswith("Use the existing"))
    assert "PersistentVolumeClaim %s/vllm-model-cache exists and was not created by this collection" % NAMESPACE in messages
    assert "ReadWriteMany, 80Gi, storage class cephfs" in messages
    assert "Secret %s/vllm-api-key exists and was not created by this collection" % NAMESPACE in messages
    assert "key api-key (present)" in messages


def test_no_prefetch_job_writes_into_a_foreign_claim(foreign_objects):
    step = ok(foreign_objects.step("converge"))
    assert not [key for key in step["objects"].get("Job", {}) if key[0] == NAMESPACE]


@pytest.mark.parametrize("kind", sorted(FOREIGN))
def test_cleanup_does_not_delete_a_foreign_claim_or_secret(foreign_objects, seeded, kind):
    step = ok(foreign_objects.step("cleanup"))
    key = (NAMESPACE, FOREIGN[kind])
    assert step["objects"][kind][key] == seeded[kind][key]
    assert not [w for w in step["writes"] if w.path == PATHS[kind]]


def test_cleanup_deletes_ours_and_keeps_namespaces_with_foreign_objects_of_any_kind(foreign_objects):
    step = ok(foreign_objects.step("cleanup"))
    objects = step["objects"]
    for kind in ("Deployment", "Service", "Route", "NetworkPolicy"):
        assert (NAMESPACE, "vllm-minilm") not in objects[kind], kind
    namespaces = objects["Namespace"]
    assert (None, NAMESPACE) in namespaces       # holds the foreign claim, Secret and Lease
    assert (None, OURS_LEASE) in namespaces      # holds only a Lease, a kind no fixed list named
    assert (None, OURS_EMPTY) not in namespaces  # only what the cluster puts everywhere
    deleted = {w.path for w in step["writes"] if w.method == "DELETE"}
    assert not [p for p in deleted if "/leases/" in p]
    messages = [str(result.get("msg")) for name, result in step["run"].tasks() if name == "Show which namespaces go"
                for result in result.get("results", [result])]
    assert any("Namespace %s: stays, it holds objects this collection did not create" % OURS_LEASE in m for m in messages)


def test_cleanup_lists_kinds_by_discovery(foreign_objects):
    step = ok(foreign_objects.step("cleanup"))
    (inventory,) = [r for name, r in step["run"].tasks() if name.startswith("List every object in")]
    listed = {(k["api_version"], k["kind"]) for k in inventory["listed"]}
    assert {("coordination.k8s.io/v1", "Lease"), ("rbac.authorization.k8s.io/v1", "Role"), ("v1", "ServiceAccount"),
            ("apps/v1", "ReplicaSet"), ("route.openshift.io/v1", "Route")} <= listed
    assert ("v1", "Event") not in listed and inventory["unlisted"] == []
    assert all(set(obj) == {"apiVersion", "kind", "metadata"} for obj in inventory["objects"])


def test_cleanup_by_default_keeps_the_model_cache_and_its_namespace_and_removes_the_rest(auth_proxy):
    step = ok(auth_proxy.step("cleanup"))
    objects = step["objects"]
    assert (NAMESPACE, "vllm-model-cache") in objects["PersistentVolumeClaim"]
    assert (None, NAMESPACE) in objects["Namespace"]
    deleted = {w.path for w in step["writes"] if w.method == "DELETE"}
    for path in ("/deployments/vllm-minilm", "/configmaps/vllm-minilm-auth-proxy", "/roles/vllm-minilm-client",
                 "/rolebindings/vllm-minilm-client", "/serviceaccounts/vllm-auth-proxy", "/servicemonitors/vllm-minilm"):
        assert [p for p in deleted if p.endswith(path)], (path, sorted(deleted))
    assert not [p for p in deleted if p.endswith("/persistentvolumeclaims/vllm-model-cache")]


TOKEN_PATH = "/api/v1/namespaces/%s/secrets/vllm-migration-hf-token" % NAMESPACE


def test_a_foreign_token_secret_is_neither_written_nor_labelled(foreign_token):
    seeded = foreign_token.step("seeded")["objects"]["Secret"][(NAMESPACE, "vllm-migration-hf-token")]
    step = ok(foreign_token.step("converge"))
    assert step["objects"]["Secret"][(NAMESPACE, "vllm-migration-hf-token")] == seeded
    assert not [w for w in step["writes"] if w.path == TOKEN_PATH], step["writes"]
    messages = " ".join(str(result.get("msg")) for name, result in step["run"].tasks() if name.startswith("Use the existing"))
    assert "Secret %s/vllm-migration-hf-token exists and was not created by this collection" % NAMESPACE in messages
    assert "key token (present)" in messages
    output = step["run"].stdout + step["run"].stderr
    for value in ("hf_token_that_must_not_be_written", base64.b64encode(b"hf_token_that_must_not_be_written").decode()):
        assert value not in output


def test_the_prefetch_job_reads_the_token_from_the_foreign_secret(foreign_token):
    step = ok(foreign_token.step("converge"))
    (job,) = [obj for key, obj in step["objects"].get("Job", {}).items() if key[0] == NAMESPACE]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("valueFrom") for e in container["env"]}
    assert env["HF_TOKEN"] == {"secretKeyRef": {"name": "vllm-migration-hf-token", "key": "token"}}


POLICY_PATH = "/apis/networking.k8s.io/v1/namespaces/%s/networkpolicies/vllm-minilm" % NAMESPACE


def test_a_foreign_server_object_is_neither_written_nor_labelled_and_is_reported(foreign_token):
    seeded = foreign_token.step("seeded")["objects"]["NetworkPolicy"][(NAMESPACE, "vllm-minilm")]
    step = ok(foreign_token.step("converge"))
    assert step["objects"]["NetworkPolicy"][(NAMESPACE, "vllm-minilm")] == seeded
    assert not [w for w in step["writes"] if w.path == POLICY_PATH], step["writes"]
    assert (NAMESPACE, "vllm-minilm") in step["objects"]["Deployment"]  # the server's other objects are applied
    (report,) = [r for name, r in step["run"].tasks() if name == "Report the server objects someone else made, used as they are"]
    assert "NetworkPolicy %s/vllm-minilm exists and was not created by this collection" % NAMESPACE in str(report["msg"])
