#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
module: namespace_inventory
short_description: List every object of every namespaced kind in some namespaces (metadata only)
version_added: 0.1.0
description:
  - Asks the API which namespaced kinds it serves (discovery), then lists the objects of each kind in each
    namespace, and returns their C(apiVersion), C(kind) and C(metadata) (without C(managedFields)), never
    their C(spec), C(status) or Secret C(data).
  - Listed are the preferred version of every namespaced kind that supports C(list), built-in or custom.
    Not listed are Events (records about objects), Endpoints and EndpointSlices (they follow a Service), and
    the read-only views served for every namespace (C(metrics.k8s.io), C(packages.operators.coreos.com)).
  - A kind that cannot be listed (for example forbidden to the account) is returned in RV(unlisted) with the
    API's answer instead of failing the task, so that a caller can refuse to judge a namespace it could not
    fully see.
  - Used by C(playbooks/cleanup_cluster.yml) to decide whether a namespace holds anything this collection did
    not create, with the C(vllm_pooling.migration.cleanup_plan) filter.
  - One process lists everything; discovery is cached by the Kubernetes client as for every
    C(kubernetes.core) module.
author:
  - vllm_pooling.migration maintainers (@vllm-pooling)
requirements:
  - kubernetes.core (the collection this one depends on) and the C(kubernetes) Python client it needs.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - vllm_pooling.migration.kubernetes
options:
  namespaces:
    description: The namespaces whose objects are listed. A namespace that does not exist lists as empty.
    type: list
    elements: str
    required: true
attributes:
  check_mode:
    support: full
    details: The module only reads.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
"""

EXAMPLES = r"""
- name: List what the migration's namespace holds
  vllm_pooling.migration.namespace_inventory:
    namespaces: [vllm-migration]
  register: inventory

- name: Work out what a cleanup deletes
  ansible.builtin.set_fact:
    plan: >-
      {{ inventory.objects | vllm_pooling.migration.cleanup_plan(namespace_lookups.results, true, true,
                                                                  inventory.unlisted) }}
"""

RETURN = r"""
objects:
  description: Every object found, reduced to C(apiVersion), C(kind) and C(metadata) (no C(managedFields)).
  returned: always
  type: list
  elements: dict
  sample: [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "rag-settings", "namespace": "vllm-migration"}}]
listed:
  description: The kinds listed, as C({api_version, kind}).
  returned: always
  type: list
  elements: dict
  sample: [{"api_version": "apps/v1", "kind": "Deployment"}]
skipped:
  description: Namespaced kinds deliberately not listed (events, endpoints, per-namespace views).
  returned: always
  type: list
  elements: dict
  sample: [{"api_version": "v1", "kind": "Event"}]
unlisted:
  description: Kinds whose listing failed, per namespace, with the API's answer.
  returned: always
  type: list
  elements: dict
  sample: [{"namespace": "vllm-migration", "api_version": "example.com/v1", "kind": "Widget", "reason": "403 Forbidden"}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vllm_pooling.migration.plugins.module_utils.module_args import kubernetes_client, kubernetes_options
from ansible_collections.vllm_pooling.migration.plugins.module_utils.ownership import listable_kinds, object_metadata

ARGUMENT_SPEC = dict(namespaces=dict(type="list", elements="str", required=True), **kubernetes_options())


def _discovered(client):
    """The API's resources as plain dicts for listable_kinds (sub-resource lists left out)."""
    found = []
    for entry in list(client.resources):
        resource = entry[0] if isinstance(entry, (list, tuple)) else entry
        if not hasattr(resource, "verbs") or type(resource).__name__ == "ResourceList":
            continue
        found.append({"api_version": resource.group_version, "kind": resource.kind, "namespaced": resource.namespaced,
                      "verbs": list(resource.verbs or []), "preferred": getattr(resource, "preferred", True),
                      "resource": resource})
    return found


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    client = kubernetes_client(module)
    try:
        resources = _discovered(client)
    except Exception as exc:  # any failure to reach the API: a task failure naming it, not a traceback
        module.fail_json(msg="could not read the API's kinds (discovery): %s" % exc)
    listed, skipped = listable_kinds(resources)
    by_key = {(r["api_version"], r["kind"]): r["resource"] for r in resources}
    objects, unlisted = [], []
    for namespace in module.params["namespaces"]:
        for kind in listed:
            try:
                answer = by_key[(kind["api_version"], kind["kind"])].get(namespace=namespace)
            except Exception as exc:  # forbidden, gone, a broken aggregated API: recorded, judged by the caller
                reason = "%s %s" % (getattr(exc, "status", ""), getattr(exc, "reason", "") or exc)
                unlisted.append(dict(kind, namespace=namespace, reason=reason.strip()))
                continue
            for item in (answer.to_dict() if hasattr(answer, "to_dict") else answer).get("items") or []:
                item.setdefault("apiVersion", kind["api_version"])
                item.setdefault("kind", kind["kind"])
                objects.append(object_metadata(item))
    module.exit_json(changed=False, objects=objects, listed=listed, skipped=skipped, unlisted=unlisted)


if __name__ == "__main__":
    main()
