# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Who an object in the cluster belongs to, and what a namespace holds.

The collection takes over only objects that carry its managed-by label, never labels or changes one
it did not create, and deletes a namespace only when nothing of anyone else is left in it. These are
the plain functions behind that: whether a looked-up object is absent, ours or someone else's; which
objects the cluster itself puts into every namespace; and which of the kinds the API serves are
listed to judge a namespace's contents (every namespaced kind that can be listed, minus records and
views that are not anyone's objects).
"""

from __future__ import annotations

from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import MANAGED_BY, MANAGED_BY_LABEL

ABSENT, OURS, FOREIGN = "absent", "ours", "foreign"

# Objects the cluster puts into every namespace (Kubernetes, OpenShift, and operators installed for all
# namespaces): they never keep a namespace alive. By kind, the names; then annotations and labels that
# mark objects controllers copy or generate.
AUTOMATIC_NAMES = {
    "ConfigMap": ("kube-root-ca.crt", "openshift-service-ca.crt",
                  # OpenShift Pipelines injects its CA bundles into every namespace
                  "config-service-cabundle", "config-trusted-cabundle"),
    "ServiceAccount": ("default", "builder", "deployer", "pipeline"),
    "RoleBinding": ("system:image-pullers", "system:image-builders", "system:deployers",
                    "openshift-pipelines-edit", "pipelines-scc-rolebinding"),
}
AUTOMATIC_ANNOTATIONS = ("kubernetes.io/service-account.name",
                         "openshift.io/internal-registry-auth-token.service-account")
# OLM copies the ClusterServiceVersion of an operator installed for all namespaces into every namespace.
AUTOMATIC_LABELS = ("olm.copiedFrom",)

# Kinds that are not listed to judge a namespace: records about objects (Events), objects that follow
# a Service (Endpoints, EndpointSlices), and read-only views served for every namespace (pod metrics,
# OLM's catalog of packages). By API group, or by (group/version, kind).
SKIPPED_GROUPS = ("metrics.k8s.io", "packages.operators.coreos.com")
SKIPPED_KINDS = (("v1", "Event"), ("events.k8s.io/v1", "Event"), ("v1", "Endpoints"),
                 ("discovery.k8s.io/v1", "EndpointSlice"))

# Controllers first when deleting, so that nothing re-creates what goes after them; claims last.
DELETE_ORDER = ("Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job", "ReplicaSet")


def _metadata(obj):
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    return metadata if isinstance(metadata, dict) else {}


def is_ours(obj):
    """Whether the object carries this collection's managed-by label."""
    return (_metadata(obj).get("labels") or {}).get(MANAGED_BY_LABEL) == MANAGED_BY


def is_automatic(obj):
    """Whether the cluster (or an operator for all namespaces) put the object into the namespace."""
    metadata = _metadata(obj)
    return (metadata.get("name") in AUTOMATIC_NAMES.get(obj.get("kind"), ())
            or any(key in (metadata.get("annotations") or {}) for key in AUTOMATIC_ANNOTATIONS)
            or any(key in (metadata.get("labels") or {}) for key in AUTOMATIC_LABELS))


def object_owner(found):
    """``absent``, ``ours`` or ``foreign`` for a looked-up object.

    ``found`` is a ``kubernetes.core.k8s_info`` result (its ``resources``), a list of objects, an object,
    or None. Ours means labelled managed-by this collection: only then may the collection apply its
    settings to it, label it or delete it. Any other existing object is used as it is.
    """
    if isinstance(found, dict) and "resources" in found:
        found = found.get("resources")
    if isinstance(found, (list, tuple)):
        found = found[0] if found else None
    if not isinstance(found, dict) or not found:
        return ABSENT
    return OURS if is_ours(found) else FOREIGN


def object_metadata(obj):
    """The object reduced to apiVersion, kind and metadata (without managedFields): enough to name, judge
    and delete it, and no Secret data or spec in a registered result."""
    metadata = dict(_metadata(obj))
    metadata.pop("managedFields", None)
    return {"apiVersion": obj.get("apiVersion", ""), "kind": obj.get("kind", ""), "metadata": metadata}


def listable_kinds(resources):
    """Split the API's namespaced resources into those listed to judge a namespace and those skipped.

    ``resources``: dicts ``{api_version, kind, namespaced, verbs, preferred}`` as discovery gives them.
    Listed: namespaced, with the ``list`` verb, not skipped by SKIPPED_GROUPS or SKIPPED_KINDS, each kind once: in
    the preferred version of its group, or, for a kind that version does not serve (KServe's ServingRuntime is only
    in serving.kserve.io/v1alpha1 beside the preferred v1beta1), in one version that serves it.
    Returns ``(listed, skipped)``, each a sorted list of ``{api_version, kind}``; create-only kinds (reviews,
    bindings) are in neither.
    """
    chosen = {}  # (group, kind) -> (preferred, api_version)
    for resource in resources or []:
        if not isinstance(resource, dict) or not resource.get("namespaced"):
            continue
        if "list" not in (resource.get("verbs") or []):
            continue
        api_version, kind = resource.get("api_version", ""), resource.get("kind", "")
        group = api_version.split("/")[0] if "/" in api_version else ""
        candidate = (resource.get("preferred") is not False, api_version)
        if (group, kind) not in chosen or candidate > chosen[(group, kind)]:
            chosen[(group, kind)] = candidate
    listed, skipped = set(), set()
    for (group, kind), (_preferred, api_version) in chosen.items():
        key = (api_version, kind)
        if group in SKIPPED_GROUPS or key in SKIPPED_KINDS:
            skipped.add(key)
        else:
            listed.add(key)
    return _kind_dicts(listed), _kind_dicts(skipped)


def _kind_dicts(keys):
    return [{"api_version": api_version, "kind": kind} for api_version, kind in sorted(keys)]


def follows_a_listed_owner(obj, listed):
    """Whether the object has an owner among ``listed`` (by uid, else by kind and name): it goes with that
    owner and is judged through it."""
    owners = [o for o in _metadata(obj).get("ownerReferences") or [] if isinstance(o, dict)]
    uids = {_metadata(o).get("uid") for o in listed if _metadata(o).get("uid")}
    # an owner listed without a uid (or a reference without one) can only be matched by kind and name
    names = {(o.get("kind"), _metadata(o).get("name")) for o in listed if not _metadata(o).get("uid")}
    return any((owner.get("uid") and owner["uid"] in uids)
               or ((not owner.get("uid") or names) and (owner.get("kind"), owner.get("name")) in names)
               for owner in owners)


def delete_rank(obj):
    """Sort key of a deletion: controllers first, claims last, then by kind and name."""
    kind = obj.get("kind", "")
    rank = DELETE_ORDER.index(kind) if kind in DELETE_ORDER else (
        len(DELETE_ORDER) + 1 if kind == "PersistentVolumeClaim" else len(DELETE_ORDER))
    return (rank, kind, _metadata(obj).get("namespace") or "", _metadata(obj).get("name") or "")
