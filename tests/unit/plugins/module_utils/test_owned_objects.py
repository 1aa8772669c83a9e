# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""owned_object's logic: created, updated, unchanged or foreign, against a fake kubernetes.core client."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import COMMON_LABELS, FIELD_MANAGER
from ansible_collections.vllm_pooling.migration.plugins.module_utils.owned_object import (
    HIDDEN, OwnedObjectError, OwnedObjects, describe, desired, differs, object_diff, redacted)


class NotFound(Exception):
    status = 404


class Forbidden(Exception):
    status, reason = 403, "Forbidden"


class Resource(object):
    def __init__(self, kind, namespaced=True):
        self.kind, self.namespaced = kind, namespaced


class FakeClient(object):
    """kubernetes.core's K8SClient as owned_object uses it: resource, get, apply (server-side, maybe dry run)."""

    def __init__(self, objects=(), served=("Namespace", "ConfigMap", "Secret", "Job"), refuse=None):
        self.objects = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): copy.deepcopy(o)
                        for o in objects}
        self.served, self.refuse, self.applied = served, refuse, []

    def resource(self, kind, api_version):
        if kind not in self.served:
            raise LookupError("no %s in %s" % (kind, api_version))
        return Resource(kind, namespaced=kind != "Namespace")

    def get(self, resource, name, namespace):
        key = (resource.kind, namespace, name)
        if key not in self.objects:
            raise NotFound()
        return copy.deepcopy(self.objects[key])

    def apply(self, resource, obj, namespace, **params):
        if self.refuse:
            raise self.refuse
        self.applied.append((obj, params))
        key = (obj["kind"], namespace, obj["metadata"]["name"])
        merged = dict(copy.deepcopy(self.objects.get(key, {})), **copy.deepcopy(obj))
        merged["metadata"] = dict(merged["metadata"], resourceVersion=str(len(self.applied)))
        if params.get("dry_run") != "All":
            self.objects[key] = merged
        return copy.deepcopy(merged)


NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns", "labels": dict(COMMON_LABELS)}}


def configmap(data=None, labels=None, namespace="ns"):
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "cm", "namespace": namespace, "labels": dict(labels or {})}, "data": data or {"a": "1"}}


def test_an_absent_object_is_created_with_the_collections_labels_by_server_side_apply():
    client = FakeClient([NAMESPACE])
    result = OwnedObjects(client, labels={"app.kubernetes.io/component": "report"}).apply(configmap())
    assert result["action"] == "created" and result["changed"] is True
    ((sent, params),) = client.applied
    assert sent["metadata"]["labels"] == dict(COMMON_LABELS, **{"app.kubernetes.io/component": "report"})
    assert params == {"server_side": True, "field_manager": FIELD_MANAGER, "force_conflicts": True,
                      "dry_run": None, "serialize": True}
    assert result["diff"]["after"]["data"] == {"a": "1"} and result["msg"] == "ConfigMap ns/cm created"


def test_the_collections_labels_win_over_the_definitions():
    obj = desired(configmap(labels={"app.kubernetes.io/managed-by": "someone", "team": "rag"}))
    assert obj["metadata"]["labels"] == dict(COMMON_LABELS, team="rag")


def test_an_object_of_ours_is_updated_then_unchanged():
    client = FakeClient([NAMESPACE, configmap(labels=COMMON_LABELS)])
    objects = OwnedObjects(client)
    first = objects.apply(configmap({"a": "2"}))
    assert first["action"] == "updated" and first["changed"] is True
    assert first["diff"] == {"before": {"data": {"a": "1"}}, "after": {"data": {"a": "2"}}}
    again = objects.apply(configmap({"a": "2"}))
    assert again["action"] == "unchanged" and again["changed"] is False and "diff" not in again


@pytest.mark.parametrize("labels", [{}, {"app.kubernetes.io/managed-by": "Helm"}])
def test_a_foreign_object_is_used_as_it_is_and_never_written(labels):
    foreign = configmap({"mine": "x"}, labels=labels)
    client = FakeClient([NAMESPACE, foreign])
    result = OwnedObjects(client).apply(configmap())
    assert result["action"] == "foreign" and result["changed"] is False and client.applied == []
    assert result["object"] == foreign
    assert "ConfigMap ns/cm exists and was not created by this collection" in result["msg"]
    assert client.objects[("ConfigMap", "ns", "cm")] == foreign


def test_a_foreign_object_fails_when_it_may_not_be_used():
    client = FakeClient([NAMESPACE, configmap()])
    with pytest.raises(OwnedObjectError, match="ConfigMap ns/cm exists and was not created.*refusing"):
        OwnedObjects(client, on_foreign="fail").apply(configmap())
    assert client.applied == []


def test_check_mode_is_a_dry_run_that_stores_nothing():
    client = FakeClient([NAMESPACE])
    result = OwnedObjects(client, check_mode=True).apply(configmap())
    assert result["action"] == "created" and result["msg"] == "ConfigMap ns/cm would be created"
    assert client.applied[0][1]["dry_run"] == "All" and ("ConfigMap", "ns", "cm") not in client.objects


def test_check_mode_before_the_namespace_exists_reports_without_a_request():
    client = FakeClient()
    result = OwnedObjects(client, check_mode=True).apply(configmap())
    assert result["action"] == "created" and result["changed"] is True and client.applied == []
    assert "namespace ns does not exist yet" in result["msg"] and result["object"]["data"] == {"a": "1"}


def test_a_real_run_in_a_missing_namespace_fails_with_the_api_servers_answer():
    refused = NotFound("namespaces \"ns\" not found")
    with pytest.raises(OwnedObjectError, match="could not apply ConfigMap ns/cm"):
        OwnedObjects(FakeClient(refuse=refused)).apply(configmap())


def test_failures_name_the_object_and_the_answer():
    with pytest.raises(OwnedObjectError, match=r"could not apply ConfigMap ns/cm \(403 Forbidden\)"):
        OwnedObjects(FakeClient([NAMESPACE], refuse=Forbidden("no"))).apply(configmap())
    with pytest.raises(OwnedObjectError, match="does not serve route.openshift.io/v1 Route"):
        OwnedObjects(FakeClient()).apply({"apiVersion": "route.openshift.io/v1", "kind": "Route",
                                          "metadata": {"name": "r", "namespace": "ns"}})
    with pytest.raises(OwnedObjectError, match="needs apiVersion, kind and metadata.name"):
        desired({"kind": "Secret", "data": {"k": "c2VjcmV0"}})
    with pytest.raises(OwnedObjectError, match="has no metadata.namespace"):
        OwnedObjects(FakeClient()).apply(configmap(namespace=None))


def test_secret_values_never_appear_in_the_result_or_the_diff():
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "key", "namespace": "ns"},
              "data": {"api-key": "c2VjcmV0"}}
    client = FakeClient([NAMESPACE])
    result = OwnedObjects(client).apply(secret)
    assert "c2VjcmV0" not in repr(result) and result["object"]["data"] == {"api-key": HIDDEN}
    changed = OwnedObjects(client).apply(dict(secret, data={"api-key": "b3RoZXI="}))
    assert changed["action"] == "updated" and "b3RoZXI=" not in repr(changed)  # a new value is a change
    with pytest.raises(OwnedObjectError) as error:
        desired({"kind": "Secret", "data": {"k": "c2VjcmV0"}})
    assert "c2VjcmV0" not in str(error.value)


def test_volatile_metadata_is_no_change_and_describe_names_the_object():
    before = configmap()
    after = copy.deepcopy(before)
    after["metadata"].update(resourceVersion="9", generation=3, managedFields=[{"manager": "x"}])
    assert not differs(before, after) and object_diff(before, after) == {"before": {}, "after": {}}
    assert describe(NAMESPACE) == "Namespace ns" and describe(before) == "ConfigMap ns/cm"
    assert redacted(before) is before
