# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""An in-memory stand-in for kubernetes.core's client (``client.resources.get(api_version=, kind=)`` and the
resource's get, create, patch and delete), for the unit tests of the cutover modules and module_utils.

Patches are RFC 7386 merges, as the API server applies ``application/merge-patch+json``; ``dry_run`` writes
change nothing and answer what would be. Every write is recorded as ``(verb, kind, namespace, name, dry_run)``.
Deployments written get a rolled-out status (``rollout`` ``available``) or a failed one (``deadline_exceeded``).
"""

from __future__ import annotations

import copy

from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover_io import merge_patch


class ApiError(Exception):
    def __init__(self, status, reason, message=""):
        super(ApiError, self).__init__("(%s) %s" % (status, reason))
        self.status, self.reason = status, reason
        self.body = ('{"message": "%s"}' % message).encode() if message else None


class Instance(dict):
    def to_dict(self):
        return copy.deepcopy(dict(self))


class Resource(object):
    def __init__(self, cluster, api_version, kind):
        self.cluster, self.api_version, self.kind = cluster, api_version, kind

    def _key(self, namespace, name):
        return (self.kind, namespace, name)

    def get(self, name=None, namespace=None):
        self.cluster.reads.append((self.kind, namespace, name))
        if (self.kind, namespace) in self.cluster.fail_reads:
            raise ApiError(403, "Forbidden", self.cluster.fail_reads[(self.kind, namespace)])
        found = self.cluster.objects.get(self._key(namespace, name))
        if found is None:
            raise ApiError(404, "Not Found")
        return Instance(copy.deepcopy(found))

    def _admit(self, obj):
        if self.kind == "Deployment":
            replicas = (obj.get("spec") or {}).get("replicas", 1)
            obj["status"] = ({"observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas,
                              "availableReplicas": replicas}
                             if self.cluster.rollout == "available" else
                             {"conditions": [{"type": "Progressing", "status": "False"}]})
        return obj

    def create(self, body=None, namespace=None, dry_run=None):
        key = self._key(namespace, body["metadata"]["name"])
        self.cluster.writes.append(("create", self.kind, namespace, body["metadata"]["name"], bool(dry_run)))
        if self.cluster.fail_writes.get(self.kind):
            raise ApiError(403, "Forbidden", self.cluster.fail_writes[self.kind])
        if key in self.cluster.objects:
            raise ApiError(409, "AlreadyExists")
        obj = self._admit(copy.deepcopy(body))
        obj["metadata"].update(resourceVersion="1", generation=1)
        if not dry_run:
            self.cluster.objects[key] = obj
        return Instance(copy.deepcopy(obj))

    def patch(self, body=None, name=None, namespace=None, content_type=None, dry_run=None):
        assert content_type == "application/merge-patch+json"
        self.cluster.writes.append(("patch", self.kind, namespace, name, bool(dry_run)))
        if self.cluster.fail_writes.get(self.kind):
            raise ApiError(403, "Forbidden", self.cluster.fail_writes[self.kind])
        key = self._key(namespace, name)
        if key not in self.cluster.objects:
            raise ApiError(404, "Not Found")
        obj = self._admit(merge_patch(self.cluster.objects[key], body))
        if not dry_run:
            self.cluster.objects[key] = obj
        return Instance(copy.deepcopy(obj))

    def delete(self, name=None, namespace=None):
        self.cluster.writes.append(("delete", self.kind, namespace, name, False))
        if self.cluster.objects.pop(self._key(namespace, name), None) is None:
            raise ApiError(404, "Not Found")
        return Instance({})


class FakeResources(object):
    def __init__(self, cluster):
        self.cluster = cluster

    def get(self, api_version=None, kind=None):
        if kind in self.cluster.unserved:
            raise ApiError(404, "ResourceNotFoundError", "no %s" % kind)
        return Resource(self.cluster, api_version, kind)


class FakeCluster(object):
    """``FakeCluster(objects)``: objects as dicts; ``.client`` is what kubernetes_client(module) returns."""

    def __init__(self, *objects, **options):
        self.objects = {}
        self.writes = []
        self.reads = []
        self.rollout = options.get("rollout", "available")
        self.unserved = set(options.get("unserved", ()))
        self.fail_writes = {}
        self.fail_reads = {}  # (kind, namespace) -> message: every get there is refused (403)
        for obj in objects:
            self.add(obj)
        self.client = type("Client", (object,), {})()
        self.client.resources = FakeResources(self)

    def add(self, obj):
        obj = copy.deepcopy(obj)
        obj.setdefault("metadata", {}).setdefault("resourceVersion", "1")
        self.objects[(obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"])] = obj

    def obj(self, kind, namespace, name):
        found = self.objects.get((kind, namespace, name))
        if found is None:
            return None
        found = copy.deepcopy(found)
        found["metadata"].pop("resourceVersion", None)
        found["metadata"].pop("generation", None)
        found.pop("status", None)
        return found

    def real_writes(self):
        return [w for w in self.writes if not w[4]]
