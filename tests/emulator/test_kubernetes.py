# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# Apache License 2.0 (see LICENSE)
"""The roles on an emulated plain Kubernetes API (no Route kind): Ingress, a CPU image, a pinned user,
and a cleanup that keeps a namespace holding someone else's object (scenario ``kubernetes``)."""

from __future__ import annotations

import json

import pytest

from harness import NAMESPACE

NAME = "vllm-granite"


@pytest.fixture(scope="module")
def converged(kubernetes):
    step = kubernetes.step("converge")
    assert step["run"].returncode == 0, step["run"].describe()
    return step


def test_an_ingress_without_authentication_in_front_of_v1_is_refused_before_any_server_object(kubernetes):
    step = kubernetes.step("refused")
    failed = [(name, result["msg"]) for name, result in step["run"].tasks() if result.get("failed")]
    assert step["run"].returncode != 0 and [name for name, _msg in failed] == ["Refuse to publish /v1 without authentication"]
    assert "/v1 would have no authentication in front of it" in failed[0][1] and "vllm_server_auth_proxy" in failed[0][1]
    written = {write.path for write in step["writes"] if not write.dry_run}
    assert not [path for path in written if "/deployments" in path or "/ingresses" in path or "/services" in path], written


def test_allowed_explicitly_it_is_published_with_a_warning(converged):
    warnings = [result["msg"] for name, result in converged["run"].tasks()
                if name == "Warn that /v1 is published without authentication" and not result.get("skipped")]
    assert len(warnings) == 1 and warnings[0].startswith("WARNING: the servers of %s are published" % NAMESPACE)


def test_no_route_kind_is_used(converged):
    assert "Route" not in converged["objects"]


def test_ingress_serves_the_host_with_tls(converged):
    ingress = converged["objects"]["Ingress"][(NAMESPACE, NAME)]
    host = "%s-%s.apps.example.com" % (NAME, NAMESPACE)
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"] == [{"hosts": [host], "secretName": "vllm-tls"}]
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == host
    assert rule["http"]["paths"] == [{"path": "/v1", "pathType": "Prefix",
                                      "backend": {"service": {"name": NAME, "port": {"name": "http"}}}}]
    assert converged["run"].endpoints["granite"]["url"] == "https://" + host
    assert converged["run"].endpoints["granite"]["status"] == "ready"


def test_cpu_server_requests_no_gpu_and_no_gpu_toleration(converged):
    deployment = converged["objects"]["Deployment"][(NAMESPACE, NAME)]
    pod = deployment["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    assert "nvidia.com/gpu" not in json.dumps(c["resources"])
    assert "tolerations" not in pod
    assert c["image"] == "registry.example.com/vllm/vllm-cpu:v0.32.0"


def test_plain_kubernetes_pins_a_non_root_user_and_fs_group(converged):
    """The vLLM image's user is root: runAsNonRoot alone would be refused by the kubelet there."""
    pod = converged["objects"]["Deployment"][(NAMESPACE, NAME)]["spec"]["template"]["spec"]
    assert pod["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"},
                                      "runAsUser": 1001, "fsGroup": 1001}


def test_network_policy_admits_the_ingress_controller_namespace(converged):
    policy = converged["objects"]["NetworkPolicy"][(NAMESPACE, NAME)]
    (rule,) = policy["spec"]["ingress"]
    assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}} in rule["from"]


def test_no_api_key_means_no_key_in_the_server(converged):
    (c,) = converged["objects"]["Deployment"][(NAMESPACE, NAME)]["spec"]["template"]["spec"]["containers"]
    assert "VLLM_API_KEY" not in {e["name"] for e in c["env"]}
    assert not [key for key in converged["objects"]["Secret"] if key[0] == NAMESPACE]


def test_cleanup_keeps_a_namespace_that_holds_someone_elses_object(kubernetes):
    step = kubernetes.step("cleanup")
    assert step["run"].returncode == 0, step["run"].describe()
    objects = step["objects"]
    assert (None, NAMESPACE) in objects["Namespace"]
    assert (NAMESPACE, "rag-settings") in objects["ConfigMap"]
    for kind in ("Deployment", "Service", "Ingress", "NetworkPolicy", "PersistentVolumeClaim"):
        assert not [key for key in objects[kind] if key[0] == NAMESPACE], kind
    messages = [str(result.get("msg")) for name, result in step["run"].tasks() if name == "Show which namespaces go"
                for result in result.get("results", [result])]
    assert any("stays, it holds objects this collection did not create" in m for m in messages), messages
