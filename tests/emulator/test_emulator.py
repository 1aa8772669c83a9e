# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# Apache License 2.0 (see LICENSE)
"""The emulator's own additions (kube_emulator.ClusterEmulator), checked directly over HTTP: the
other tests rely on them, so they must behave like the API server they stand in for."""

from __future__ import annotations

import pytest

from kube_emulator import field_selector_matches, label_selector_matches


@pytest.mark.parametrize("selector,labels,expected", [
    ("a=b", {"a": "b"}, True),
    ("a==b", {"a": "c"}, False),
    ("a!=b", {}, True),
    ("a!=b", {"a": "b"}, False),
    ("a", {"a": ""}, True),
    ("!a", {"a": "x"}, False),
    ("a in (x, y),b", {"a": "y", "b": "1"}, True),
    ("a in (x,y)", {"a": "z"}, False),
    ("a notin (x,y)", {}, True),
    ("app.kubernetes.io/managed-by=vllm_pooling.migration,vllm-migration/model=minilm",
     {"app.kubernetes.io/managed-by": "vllm_pooling.migration", "vllm-migration/model": "minilm"}, True),
    ("", {"a": "b"}, True),
])
def test_label_selectors(selector, labels, expected):
    assert label_selector_matches(selector, labels) is expected


def test_field_selectors():
    event = {"involvedObject": {"kind": "Pod", "name": "p1"}}
    assert field_selector_matches("involvedObject.name=p1", event)
    assert not field_selector_matches("involvedObject.name=p2", event)
    assert field_selector_matches("involvedObject.kind!=Deployment", event)


def test_namespaces_are_cluster_scoped_and_listable_by_label(emulator):
    assert emulator.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                  "metadata": {"name": "a", "labels": {"team": "x"}}})
    emulator.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b"}})
    assert emulator.get("/api/v1/namespaces/a")["metadata"]["labels"] == {"team": "x", "kubernetes.io/metadata.name": "a"}
    assert [n["metadata"]["name"] for n in emulator.list("/api/v1/namespaces", "team=x")] == ["a"]
    assert emulator.request("DELETE", "/api/v1/namespaces/b")[0] == 200
    assert emulator.get("/api/v1/namespaces/b") is None


def test_creates_need_an_existing_namespace_and_dry_run_stores_nothing(emulator):
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n"}}
    assert emulator.request("POST", "/api/v1/namespaces/n/configmaps", cm)[0] == 404
    emulator.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}})
    status, body = emulator.request("POST", "/api/v1/namespaces/n/configmaps?dryRun=All", cm)
    assert status == 201 and body["metadata"]["name"] == "c"
    assert emulator.list("/api/v1/namespaces/n/configmaps") == []
    emulator.create("/api/v1/namespaces/n/configmaps", cm)
    assert emulator.request("POST", "/api/v1/namespaces/n/configmaps?dryRun=All", cm)[0] == 409
    status, body = emulator.request("PATCH", "/api/v1/namespaces/n/configmaps/c?dryRun=All", {"data": {"k": "v"}})
    assert status == 200 and body["data"] == {"k": "v"}
    assert "data" not in emulator.get("/api/v1/namespaces/n/configmaps/c")
    assert emulator.request("DELETE", "/api/v1/namespaces/n/configmaps/c?dryRun=All")[0] == 200
    assert emulator.get("/api/v1/namespaces/n/configmaps/c") is not None
    assert [w.dry_run for w in emulator.writes()] == [False, False, True, False, True, True, True]


def test_routes_get_a_generated_host_and_logs_answer_like_the_api(emulator):
    emulator.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}})
    route = emulator.create("/apis/route.openshift.io/v1/namespaces/n/routes", {
        "apiVersion": "route.openshift.io/v1", "kind": "Route", "metadata": {"name": "r", "namespace": "n"},
        "spec": {"to": {"kind": "Service", "name": "s"}}})
    assert route["spec"]["host"] == "r-n.apps.emulator.test"
    emulator.set_options(pod_logs={("n", "p", False): "hello\n"})
    assert emulator.read_text("/api/v1/namespaces/n/pods/p/log?container=vllm") == (200, "hello\n")
    status, text = emulator.read_text("/api/v1/namespaces/n/pods/p/log?container=vllm&previous=true")
    assert status == 400 and "not found" in text


def test_server_side_apply_creates_then_merges(emulator):
    headers_path = "/api/v1/namespaces/n"
    apply = "application/apply-patch+yaml"
    status, body = emulator.request("PATCH", headers_path + "?fieldManager=t&force=true",
                                    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}}, apply)
    assert status == 200 and emulator.get(headers_path)["metadata"]["name"] == "n"
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n"}, "data": {"a": "1"}}
    emulator.request("PATCH", "/api/v1/namespaces/n/configmaps/c?fieldManager=t&dryRun=All", cm, apply)
    assert emulator.get("/api/v1/namespaces/n/configmaps/c") is None
    emulator.request("PATCH", "/api/v1/namespaces/n/configmaps/c?fieldManager=t", cm, apply)
    emulator.request("PATCH", "/api/v1/namespaces/n/configmaps/c?fieldManager=t", dict(cm, data={"b": "2"}), apply)
    # A plain merge, not server-side apply's field ownership: "a" stays (a real API server would drop it).
    assert emulator.get("/api/v1/namespaces/n/configmaps/c")["data"] == {"a": "1", "b": "2"}
    assert [(w.method, w.created) for w in emulator.writes()] == [("PATCH", True), ("PATCH", True), ("PATCH", True),
                                                                  ("PATCH", False)]
