# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""What the servers expose, and to whom (scenarios ``openshift``, ``kubernetes``, ``foreign_objects``, ``auth_proxy``).

vLLM's API key guards only /v1 (and /v2, /inference, /cohere): the Route and the Ingress forward /v1 only, a
NetworkPolicy is there by default, and the authenticating proxy puts every path behind a Kubernetes token.
The emulator proves the objects as sent; that a router honours the path, that the CNI enforces the policy
and that kube-rbac-proxy refuses a call without a token need a real cluster (docs/cluster.md).
"""

from __future__ import annotations

import json

import pytest
import yaml

from guard_scenarios import API_KEY, CLIENTS, INGRESS_CA
from harness import NAMESPACE

SERVERS = {"minilm": "vllm-minilm", "msmarco": "vllm-msmarco"}


def converged_step(sc, name="converge"):
    step = sc.step(name)
    assert step["run"].returncode == 0, step["run"].describe()
    return step


def pod_spec(step, name):
    return step["objects"]["Deployment"][(NAMESPACE, name)]["spec"]["template"]["spec"]


def containers(step, name):
    return {c["name"]: c for c in pod_spec(step, name)["containers"]}


# --- without the proxy: /v1 only, the NetworkPolicy on by default ---

@pytest.mark.parametrize("name", ["vllm-minilm", "vllm-bge-reranker"])
def test_route_forwards_only_v1(openshift, name):
    route = converged_step(openshift)["objects"]["Route"][(NAMESPACE, name)]
    assert route["spec"]["path"] == "/v1"
    assert route["spec"]["tls"]["termination"] == "edge" and route["spec"]["port"] == {"targetPort": "http"}


def test_ingress_forwards_only_v1(kubernetes):
    ingress = converged_step(kubernetes)["objects"]["Ingress"][(NAMESPACE, "vllm-granite")]
    (rule,) = ingress["spec"]["rules"]
    assert [p["path"] for p in rule["http"]["paths"]] == ["/v1"]
    assert rule["http"]["paths"][0]["pathType"] == "Prefix"


def test_network_policy_is_on_by_default_with_routers_monitoring_and_the_namespace(foreign_objects):
    step = converged_step(foreign_objects)
    policy = step["objects"]["NetworkPolicy"][(NAMESPACE, "vllm-minilm")]
    deployment = step["objects"]["Deployment"][(NAMESPACE, "vllm-minilm")]
    assert policy["spec"]["podSelector"] == {"matchLabels": deployment["spec"]["selector"]["matchLabels"]}
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    (rule,) = policy["spec"]["ingress"]
    assert rule["ports"] == [{"port": 8000, "protocol": "TCP"}]
    assert rule["from"] == [
        {"podSelector": {}},
        {"namespaceSelector": {"matchLabels": {"policy-group.network.openshift.io/ingress": ""}}},
        {"namespaceSelector": {"matchLabels": {"network.openshift.io/policy-group": "ingress"}}},
        {"namespaceSelector": {"matchLabels": {"policy-group.network.openshift.io/host-network": ""}}},
        {"namespaceSelector": {"matchLabels": {"network.openshift.io/policy-group": "monitoring"}}},
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "openshift-user-workload-monitoring"}}},
    ]


def test_metrics_are_announced_on_the_service_port_without_a_servicemonitor_kind(openshift):
    service = converged_step(openshift)["objects"]["Service"][(NAMESPACE, "vllm-minilm")]
    assert service["metadata"]["annotations"] == {"prometheus.io/scrape": "true", "prometheus.io/path": "/metrics",
                                                  "prometheus.io/port": "8000", "prometheus.io/scheme": "http"}


# --- with the authenticating proxy ---

@pytest.fixture(scope="module")
def proxied(auth_proxy):
    return converged_step(auth_proxy)


@pytest.mark.parametrize("key", sorted(SERVERS))
def test_vllm_listens_on_localhost_behind_the_proxy(proxied, key):
    found = containers(proxied, SERVERS[key])
    args = found["vllm"]["args"]
    assert args[args.index("--host") + 1] == "127.0.0.1"
    assert "0.0.0.0" not in args
    proxy = found["auth-proxy"]
    assert "--upstream=http://127.0.0.1:8000/" in proxy["args"]
    assert "--secure-listen-address=0.0.0.0:8443" in proxy["args"]
    assert "--ignore-paths=/health,/metrics" in proxy["args"]
    assert proxy["ports"] == [{"name": "https", "containerPort": 8443, "protocol": "TCP"}]


@pytest.mark.parametrize("key", sorted(SERVERS))
def test_service_route_and_policy_point_at_the_proxy(proxied, key):
    name = SERVERS[key]
    objects = proxied["objects"]
    service = objects["Service"][(NAMESPACE, name)]
    assert service["spec"]["ports"] == [{"name": "https", "port": 8443, "targetPort": "https", "protocol": "TCP"}]
    assert service["metadata"]["annotations"]["service.beta.openshift.io/serving-cert-secret-name"] == name + "-proxy-tls"
    route = objects["Route"][(NAMESPACE, name)]
    assert route["spec"]["port"] == {"targetPort": "https"}
    assert route["spec"]["tls"] == {"termination": "reencrypt", "insecureEdgeTerminationPolicy": "Redirect"}
    assert route["spec"]["path"] == "/v1"
    (rule,) = objects["NetworkPolicy"][(NAMESPACE, name)]["spec"]["ingress"]
    assert rule["ports"] == [{"port": 8443, "protocol": "TCP"}]


@pytest.mark.parametrize("key", sorted(SERVERS))
def test_probes_go_through_the_proxys_open_health_path(proxied, key):
    vllm = containers(proxied, SERVERS[key])["vllm"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert vllm[probe]["httpGet"] == {"path": "/health", "port": 8443, "scheme": "HTTPS"}


@pytest.mark.parametrize("key", sorted(SERVERS))
def test_proxy_is_restricted_and_alone_holds_a_token(proxied, key):
    spec = pod_spec(proxied, SERVERS[key])
    found = containers(proxied, SERVERS[key])
    assert spec["automountServiceAccountToken"] is False
    assert spec["serviceAccountName"] == "vllm-auth-proxy"
    proxy = found["auth-proxy"]
    assert proxy["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                        "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]},
                                        "seccompProfile": {"type": "RuntimeDefault"}}
    token_mounts = [m for c in found.values() for m in c.get("volumeMounts", [])
                    if m["mountPath"] == "/var/run/secrets/kubernetes.io/serviceaccount"]
    assert token_mounts == [{"name": "auth-proxy-token", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                             "readOnly": True}]
    assert "auth-proxy-token" not in [m["name"] for m in found["vllm"]["volumeMounts"]]
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["auth-proxy-tls"] == {"name": "auth-proxy-tls", "secret": {"secretName": SERVERS[key] + "-proxy-tls"}}


def test_behind_the_proxy_vllm_gets_no_api_key_and_none_is_stored(proxied):
    for name in SERVERS.values():
        env = {e["name"] for e in containers(proxied, name)["vllm"]["env"]}
        assert "VLLM_API_KEY" not in env
    assert (NAMESPACE, "vllm-api-key") not in proxied["objects"]["Secret"]
    assert API_KEY not in json.dumps([obj for objects in proxied["objects"].values() for obj in objects.values()])


@pytest.fixture(scope="module")
def extra(auth_proxy, proxied):
    return auth_proxy.step("proxy_objects")["extra"]


def test_proxy_authorizes_the_services_proxy_subresource_for_the_named_clients(extra):
    config = extra["configmaps/vllm-minilm-auth-proxy"]["data"]["config.yaml"]
    assert yaml.safe_load(config) == {"authorization": {"resourceAttributes": {
        "namespace": NAMESPACE, "apiVersion": "v1", "resource": "services", "subresource": "proxy", "name": "vllm-minilm"}}}
    role = extra["roles/vllm-minilm-client"]
    assert role["rules"] == [{"apiGroups": [""], "resources": ["services/proxy"], "resourceNames": ["vllm-minilm"],
                              "verbs": ["get", "create"]}]
    binding = extra["rolebindings/vllm-minilm-client"]
    assert binding["subjects"] == CLIENTS
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "vllm-minilm-client"}
    account = extra["serviceaccounts/vllm-auth-proxy"]
    assert account["automountServiceAccountToken"] is False
    assert account["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "vllm_pooling.migration"


def test_servicemonitor_scrapes_the_proxy_port_over_verified_tls(extra, proxied):
    monitor = extra["servicemonitors/vllm-minilm"]
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] == "https" and endpoint["path"] == "/metrics" and endpoint["scheme"] == "https"
    assert endpoint["tlsConfig"] == {"serverName": "vllm-minilm.%s.svc" % NAMESPACE,
                                     "ca": {"configMap": {"name": "openshift-service-ca.crt", "key": "service-ca.crt"}}}
    assert monitor["spec"]["selector"]["matchLabels"]["app.kubernetes.io/instance"] == "vllm-minilm"
    assert "prometheus.io/scrape" not in proxied["objects"]["Service"][(NAMESPACE, "vllm-minilm")]["metadata"]["annotations"]


def test_router_ca_is_written_where_verify_reads_it(auth_proxy, proxied):
    assert auth_proxy.step("ingress_ca")["ca"] == INGRESS_CA


def test_removing_a_model_removes_its_proxy_objects_too(auth_proxy):
    step = converged_step(auth_proxy, "remove_one")
    deleted = {w.path for w in step["writes"] if w.method == "DELETE"}
    for path in ("/configmaps/vllm-msmarco-auth-proxy", "/roles/vllm-msmarco-client", "/rolebindings/vllm-msmarco-client",
                 "/servicemonitors/vllm-msmarco"):
        assert [p for p in deleted if p.endswith(path)], (path, sorted(deleted))
    assert not [p for p in deleted if "minilm" in p]


def test_every_proxy_manifest_validates_against_the_schemas(proxied, extra):
    """The same strict schema check as test_manifests.py, on the proxy's Deployments, Services, Routes and RBAC."""
    from test_manifests import collect, validate
    objects = collect(proxied) + [dict(obj) for path, obj in extra.items() if not path.startswith("servicemonitors/")]
    errors = []
    for obj in objects:
        for key in ("resourceVersion", "uid", "creationTimestamp", "generation"):
            obj.get("metadata", {}).pop(key, None)
        try:
            validate(obj)
        except Exception as exc:  # kubernetes_validate's and jsonschema's errors alike
            errors.append("%s/%s: %s" % (obj["kind"], obj["metadata"]["name"], getattr(exc, "message", exc)))
    assert not errors, "\n".join(errors)
    assert {"Deployment", "Service", "Route", "NetworkPolicy", "ConfigMap", "Role", "RoleBinding",
            "ServiceAccount"} <= {obj["kind"] for obj in objects}
