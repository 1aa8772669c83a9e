# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# Apache License 2.0 (see LICENSE)
"""Every object the roles send validates against the Kubernetes OpenAPI schemas (kubernetes-validate,
strict: unknown fields are errors) and, for Routes, against our own schema of route.openshift.io/v1
(schemas/route.openshift.io-v1-route.ours.schema.json).

The objects are what the roles really sent through kubernetes.core to the emulator in the
``openshift`` and ``kubernetes`` scenarios (the rendered templates, not a copy of them), minus
what the emulator's controllers added (status, metadata.generation, the namespace name label).
Schema validity is not admission: see docs/cluster.md.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils import consumer_check
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover_cluster import (
    CA_MOUNT_PATH, CA_VOLUME, consumer_list)
from cutover_scenarios import CHECK_IMAGE, WORKER, WORKER_CONSUMER
from harness import NAMESPACE

# OpenShift 4.20 runs Kubernetes 1.33; the schemas of that release are the closest the package ships.
KUBERNETES_VERSION = "1.33.0"
ROUTE_SCHEMA = json.loads((Path(__file__).parent / "schemas" / "route.openshift.io-v1-route.ours.schema.json").read_text())

EXPECTED_KINDS = {
    "openshift": {"Namespace", "ResourceQuota", "PersistentVolumeClaim", "Secret", "Job", "Deployment", "Service",
                  "Route", "NetworkPolicy"},
    "kubernetes": {"Namespace", "PersistentVolumeClaim", "Deployment", "Service", "Ingress", "NetworkPolicy"},
}


def sent(obj):
    """The object as the role sent it: without what the emulated controllers and admission added."""
    obj = copy.deepcopy(obj)
    obj.pop("status", None)
    obj["metadata"].pop("generation", None)
    if obj["kind"] == "Namespace":
        obj["metadata"]["labels"].pop("kubernetes.io/metadata.name", None)
    return obj


def collect(step):
    return [sent(obj) for kind, objects in step["objects"].items() for key, obj in objects.items()
            if key[0] == NAMESPACE or (kind == "Namespace" and key[1] == NAMESPACE)]


def validate(obj):
    if obj["kind"] == "Route":
        jsonschema.Draft202012Validator(ROUTE_SCHEMA).validate(obj)
    else:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


@pytest.fixture(scope="module")
def manifests(openshift, kubernetes):
    found = {}
    for name, sc in (("openshift", openshift), ("kubernetes", kubernetes)):
        step = sc.step("converge")
        assert step["run"].returncode == 0, step["run"].describe()
        found[name] = collect(step)
    return found


@pytest.mark.parametrize("platform", sorted(EXPECTED_KINDS))
def test_every_kind_the_platform_needs_was_sent(manifests, platform):
    assert {obj["kind"] for obj in manifests[platform]} == EXPECTED_KINDS[platform]


@pytest.mark.parametrize("platform", sorted(EXPECTED_KINDS))
def test_every_manifest_validates(manifests, platform):
    errors = []
    for obj in manifests[platform]:
        try:
            validate(obj)
        except (jsonschema.ValidationError, kubernetes_validate.ValidationError) as exc:
            errors.append("%s/%s: %s at %s" % (obj["kind"], obj["metadata"]["name"], exc.message, list(exc.absolute_path)))
    assert not errors, "\n".join(errors)


BENCHMARK_JOB_KINDS = {"ServiceAccount", "Role", "RoleBinding", "ConfigMap", "Secret", "Job"}


def test_the_benchmark_jobs_manifests_validate(benchmark_job):
    """What the benchmark_job module sent (scenario benchmark_job, step start), against the same schemas."""
    step = benchmark_job.step("start")
    assert step["run"].returncode == 0, step["run"].describe()
    sent_objects = [sent(obj) for kind, objects in step["objects"].items() for (namespace, name), obj in objects.items()
                    if namespace == NAMESPACE and name.startswith("bench-lifecycle")]
    assert {obj["kind"] for obj in sent_objects} == BENCHMARK_JOB_KINDS
    errors = []
    for obj in sent_objects:
        try:
            validate(obj)
        except kubernetes_validate.ValidationError as exc:
            errors.append("%s/%s: %s at %s" % (obj["kind"], obj["metadata"]["name"], exc.message, list(exc.absolute_path)))
    assert not errors, "\n".join(errors)
    job = next(obj for obj in sent_objects if obj["kind"] == "Job")
    broken = copy.deepcopy(job)
    broken["spec"]["template"]["spec"]["containers"][0]["securityContext"]["capabilities"]["dropped"] = ["ALL"]
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(broken)


def test_the_consumer_check_job_validates():
    """The Job consumer_env runs in a consumer's namespace (module_utils/consumer_check.py), against the same schemas."""
    (consumer,) = consumer_list([WORKER_CONSUMER], "minilm", NAMESPACE)
    deployment = copy.deepcopy(WORKER)
    deployment["spec"]["template"]["spec"]["volumes"].append(
        {"name": CA_VOLUME, "configMap": {"name": "vllm-service-ca", "items": [{"key": "service-ca.crt", "path": "ca.crt"}]}})
    deployment["spec"]["template"]["spec"]["containers"][0]["volumeMounts"].append(
        {"name": CA_VOLUME, "mountPath": CA_MOUNT_PATH, "readOnly": True})
    job = consumer_check.check_job("minilm", consumer, deployment, {"url": "https://v", "served_name": "minilm"},
                                   CHECK_IMAGE)
    validate(job)
    assert job["spec"]["template"]["spec"]["volumes"][0]["name"] == CA_VOLUME
    broken = copy.deepcopy(job)
    broken["spec"]["template"]["spec"]["containers"][0]["comand"] = ["python3"]
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(broken)


# The validators must be able to fail: the same manifests with one defect each are rejected.

def test_strict_kubernetes_schema_rejects_an_unknown_field(manifests):
    deployment = next(o for o in manifests["openshift"] if o["kind"] == "Deployment")
    broken = copy.deepcopy(deployment)
    broken["spec"]["template"]["spec"]["containers"][0]["startupProbes"] = broken["spec"]["template"]["spec"]["containers"][0].pop("startupProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(broken)


@pytest.mark.parametrize("defect", [
    ("tls", {"termination": "terminate"}),
    ("to", {"kind": "Service", "name": "x", "weight": 257}),
    ("alternateBackends", [{"kind": "Service", "name": "b%d" % i} for i in range(4)]),
    ("port", {"target": 8000}),
    ("wildcardPolicy", "All"),
    ("hostname", "x.example.com"),
])
def test_our_route_schema_rejects_what_openshift_rejects(manifests, defect):
    route = next(o for o in manifests["openshift"] if o["kind"] == "Route")
    broken = copy.deepcopy(route)
    broken["spec"][defect[0]] = defect[1]
    with pytest.raises(jsonschema.ValidationError):
        validate(broken)


def test_our_route_schema_accepts_a_traffic_split(manifests):
    route = next(o for o in manifests["openshift"] if o["kind"] == "Route")
    split = copy.deepcopy(route)
    split["spec"]["to"]["weight"] = 90
    split["spec"]["alternateBackends"] = [{"kind": "Service", "name": "caikit", "weight": 10}]
    validate(split)
