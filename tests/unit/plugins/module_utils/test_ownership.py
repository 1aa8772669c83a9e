# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Whose an object is, which kinds judge a namespace, and what a cleanup may delete because of that."""

from __future__ import annotations

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils.cluster_plan import cleanup_plan
from ansible_collections.vllm_pooling.migration.plugins.module_utils.ownership import (
    follows_a_listed_owner, is_automatic, listable_kinds, object_metadata, object_owner)

OURS = {"app.kubernetes.io/managed-by": "vllm_pooling.migration"}


def obj(kind, name, namespace="ns", labels=None, owners=None, uid=None, annotations=None, api_version="v1"):
    metadata = {"name": name, "namespace": namespace, "labels": dict(labels or {})}
    if owners:
        metadata["ownerReferences"] = owners
    if uid:
        metadata["uid"] = uid
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata}


NAMESPACE = [{"item": "ns", "resources": [obj("Namespace", "ns", namespace=None, labels=OURS)]}]


@pytest.mark.parametrize("found, expected", [
    (None, "absent"), ({"resources": []}, "absent"), ([], "absent"), ({}, "absent"),
    ({"resources": [obj("Secret", "vllm-api-key", labels=OURS)]}, "ours"),
    ([obj("PersistentVolumeClaim", "vllm-model-cache", labels={"app.kubernetes.io/managed-by": "Helm"})], "foreign"),
    (obj("PersistentVolumeClaim", "vllm-model-cache"), "foreign"),
    ({"resources": [{"metadata": None}]}, "foreign"),
])
def test_object_owner(found, expected):
    assert object_owner(found) == expected


def test_object_metadata_keeps_no_data_spec_or_managed_fields():
    secret = obj("Secret", "s", labels=OURS)
    secret["data"] = {"api-key": "c2VjcmV0"}
    secret["metadata"]["managedFields"] = [{"manager": "kubectl"}]
    reduced = object_metadata(secret)
    assert reduced == {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "ns", "labels": OURS}}
    assert "managedFields" in secret["metadata"]  # the input is left as it was


def test_listable_kinds_are_namespaced_preferred_listable_and_not_records_or_views():
    resources = [
        {"api_version": "v1", "kind": "ConfigMap", "namespaced": True, "verbs": ["get", "list"], "preferred": True},
        {"api_version": "v1", "kind": "Namespace", "namespaced": False, "verbs": ["list"], "preferred": True},
        {"api_version": "v1", "kind": "Binding", "namespaced": True, "verbs": ["create"], "preferred": True},
        {"api_version": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "namespaced": True, "verbs": ["list"],
         "preferred": False},
        {"api_version": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "namespaced": True, "verbs": ["list"],
         "preferred": True},
        {"api_version": "v1", "kind": "Event", "namespaced": True, "verbs": ["list"], "preferred": True},
        {"api_version": "metrics.k8s.io/v1beta1", "kind": "PodMetrics", "namespaced": True, "verbs": ["list"]},
        {"api_version": "example.com/v1", "kind": "Widget", "namespaced": True, "verbs": ["list", "get"]},
        None, "junk",
    ]
    listed, skipped = listable_kinds(resources)
    assert listed == [{"api_version": "autoscaling/v2", "kind": "HorizontalPodAutoscaler"},
                      {"api_version": "example.com/v1", "kind": "Widget"},
                      {"api_version": "v1", "kind": "ConfigMap"}]
    assert skipped == [{"api_version": "metrics.k8s.io/v1beta1", "kind": "PodMetrics"},
                       {"api_version": "v1", "kind": "Event"}]


def test_a_kind_only_a_non_preferred_version_serves_is_listed_there():
    # KServe: InferenceService in the preferred v1beta1, ServingRuntime only in v1alpha1 (missed before: a cleanup
    # left the collection's ServingRuntimes behind)
    kserve = [{"api_version": "serving.kserve.io/v1beta1", "kind": "InferenceService", "namespaced": True,
               "verbs": ["list"], "preferred": True},
              {"api_version": "serving.kserve.io/v1alpha1", "kind": "ServingRuntime", "namespaced": True,
               "verbs": ["list"], "preferred": False},
              {"api_version": "serving.kserve.io/v1alpha1", "kind": "InferenceService", "namespaced": True,
               "verbs": ["list"], "preferred": False}]
    listed, _skipped = listable_kinds(kserve)
    assert listed == [{"api_version": "serving.kserve.io/v1alpha1", "kind": "ServingRuntime"},
                      {"api_version": "serving.kserve.io/v1beta1", "kind": "InferenceService"}]


@pytest.mark.parametrize("item", [
    obj("ConfigMap", "kube-root-ca.crt"), obj("ConfigMap", "openshift-service-ca.crt"),
    obj("ServiceAccount", "default"), obj("ServiceAccount", "builder"),
    obj("RoleBinding", "system:image-pullers", api_version="rbac.authorization.k8s.io/v1"),
    obj("Secret", "builder-dockercfg-x", annotations={"openshift.io/internal-registry-auth-token.service-account": "builder"}),
    obj("ClusterServiceVersion", "pipelines.v1.18", labels={"olm.copiedFrom": "openshift-operators"}),
])
def test_what_the_cluster_puts_into_every_namespace_is_automatic(item):
    assert is_automatic(item)


@pytest.mark.parametrize("item", [obj("ConfigMap", "default"), obj("ServiceAccount", "rag-indexer"),
                                  obj("RoleBinding", "admin-alice")])
def test_objects_of_people_are_not_automatic(item):
    assert not is_automatic(item)


def test_an_unlabelled_object_follows_a_listed_owner_by_uid_or_by_name():
    service = obj("Service", "vllm-minilm", labels=OURS, uid="u-1")
    tls = obj("Secret", "vllm-minilm-proxy-tls", owners=[{"kind": "Service", "name": "vllm-minilm", "uid": "u-1"}])
    assert follows_a_listed_owner(tls, [service])
    assert not follows_a_listed_owner(tls, [obj("Service", "vllm-minilm", uid="u-2")])
    nameless = obj("Service", "vllm-minilm")  # listed without a uid (as the emulator keeps it)
    assert follows_a_listed_owner(tls, [nameless])
    assert not follows_a_listed_owner(obj("Pod", "x", owners=[{"kind": "Node", "name": "n1", "uid": "n"}]), [service])


def test_cleanup_keeps_a_namespace_with_someone_elses_object_of_any_kind():
    objects = [obj("Deployment", "vllm-minilm", labels=OURS, api_version="apps/v1"),
               obj("Lease", "rag-indexer-leader", api_version="coordination.k8s.io/v1")]
    plan = cleanup_plan(objects, NAMESPACE, keep_model_cache=False)
    assert plan["summary"]["others"] == ["Lease rag-indexer-leader"]
    assert plan["delete_namespaces"] == []


def test_cleanup_does_not_judge_a_namespace_it_could_not_fully_list():
    objects = [obj("Deployment", "vllm-minilm", labels=OURS, api_version="apps/v1")]
    unlisted = [{"namespace": "ns", "api_version": "example.com/v1", "kind": "Widget", "reason": "403 Forbidden"}]
    plan = cleanup_plan(objects, NAMESPACE, False, True, unlisted)
    assert plan["namespace_verdicts"]["ns"] == ("these kinds could not be listed, so it may hold objects of others: "
                                                "Widget (example.com/v1)")
    assert plan["summary"]["delete"] == ["Deployment vllm-minilm"]  # our own objects still go
    assert cleanup_plan(objects, NAMESPACE, False, True, [])["delete_namespaces"] == ["ns"]


def test_cleanup_deletes_controllers_first_and_the_claim_last_and_ignores_what_follows_an_owner():
    objects = [obj("PersistentVolumeClaim", "vllm-model-cache", labels=OURS),
               obj("Service", "vllm-minilm", labels=OURS, uid="svc"),
               obj("Secret", "vllm-minilm-proxy-tls", owners=[{"kind": "Service", "name": "vllm-minilm", "uid": "svc"}]),
               obj("Job", "vllm-model-cache-prefetch-1", labels=OURS, api_version="batch/v1"),
               obj("Deployment", "vllm-minilm", labels=OURS, api_version="apps/v1", uid="dep"),
               obj("ReplicaSet", "vllm-minilm-5c8d", labels=OURS, api_version="apps/v1",
                   owners=[{"kind": "Deployment", "name": "vllm-minilm", "uid": "dep"}]),
               obj("ServiceAccount", "default")]
    plan = cleanup_plan(objects, NAMESPACE, keep_model_cache=False)
    assert plan["summary"]["delete"] == ["Deployment vllm-minilm", "Job vllm-model-cache-prefetch-1",
                                         "Service vllm-minilm", "PersistentVolumeClaim vllm-model-cache"]
    assert plan["summary"]["others"] == [] and plan["delete_namespaces"] == ["ns"]
