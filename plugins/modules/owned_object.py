#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
module: owned_object
short_description: Create or update a Kubernetes object only when this collection owns it; use someone else's as it is
version_added: 0.1.0
description:
  - Looks the object up first. An object that does not exist is created; one labelled
    C(app.kubernetes.io/managed-by=vllm_pooling.migration) (created by this collection) is updated; one of that name
    that someone else made is used as it is (RV(action=foreign)), never labelled, changed or deleted, so that a
    cleanup never removes it either.
  - Writes are server-side apply with the collection's field manager C(vllm-pooling-migration) and C(force_conflicts),
    as C(kubernetes.core.k8s) with its C(server_side_apply) option, so fields the collection set and no
    longer sets are removed, and the API server merges, defaults and validates.
  - The labels C(app.kubernetes.io/managed-by=vllm_pooling.migration) and C(app.kubernetes.io/part-of=vllm-migration)
    are added to every object it writes (plus O(labels)); cleanup selects by them.
  - In check mode the write is a server dry run (C(dryRun=All)). When the object's namespace does not exist yet (the
    namespace role would create it in a real run) the API server refuses even a dry run there, so the module reports
    the object as RV(action=created) without sending it.
  - A Secret's values never appear in the result or the diff (its keys do).
author:
  - vllm_pooling.migration maintainers (@vllm-pooling)
requirements:
  - kubernetes.core (the collection this one depends on) and the C(kubernetes) Python client it needs.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - vllm_pooling.migration.kubernetes
options:
  definition:
    description:
      - The object to apply (apiVersion, kind, metadata.name, metadata.namespace for a namespaced kind), or a list
        of objects applied in order. A list returns RV(results), one entry per object.
    type: raw
    required: true
  labels:
    description: Labels added to every object (besides the collection's own, which always win).
    type: dict
    default: {}
  on_foreign:
    description:
      - What an object of that name that this collection did not create means. V(use) reports it (RV(action=foreign))
        and goes on; V(fail) fails the task naming it (for objects the collection cannot work with unless they
        are its own, such as a Job it would replace).
    type: str
    choices: [use, fail]
    default: use
attributes:
  check_mode:
    support: full
    details: A server dry run; before the namespace exists, a report of what would be created.
  diff_mode:
    support: full
  platform:
    support: full
    platforms: posix
notes:
  - Never deletes anything. A second run with the same definition reports C(changed=false).
"""

EXAMPLES = r"""
- name: Create the model cache claim, or use someone else's as it is
  vllm_pooling.migration.owned_object:
    definition:
      apiVersion: v1
      kind: PersistentVolumeClaim
      metadata:
        name: vllm-model-cache
        namespace: vllm-migration
      spec:
        accessModes: [ReadWriteOnce]
        resources:
          requests:
            storage: 50Gi
    labels:
      app.kubernetes.io/component: model-cache
  register: claim

- name: Say when the claim is someone else's
  ansible.builtin.debug:
    msg: "{{ claim.msg }}"
  when: claim.action == 'foreign'

- name: Apply a server's Deployment and Service together
  vllm_pooling.migration.owned_object:
    definition:
      - "{{ lookup('ansible.builtin.template', 'deployment.yml.j2') | from_yaml }}"
      - "{{ lookup('ansible.builtin.template', 'service.yml.j2') | from_yaml }}"
  register: server
"""

RETURN = r"""
action:
  description:
    - For one object, what happened to it. V(created), V(updated), V(unchanged) (this collection's, already as
      defined) or V(foreign) (someone else's, used as it is). In check mode, what a real run would do.
  returned: when O(definition) is one object
  type: str
  sample: created
object:
  description:
    - For one object, the object as it is after the task (as the dry run answered in check mode; the definition
      itself when its namespace does not exist yet), or the foreign object as found. Secret values are hidden.
  returned: when O(definition) is one object
  type: dict
  sample: {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "vllm-model-cache"}}
msg:
  description: What happened, in words (for V(foreign) objects, that they are used as they are).
  returned: always
  type: str
  sample: PersistentVolumeClaim vllm-migration/vllm-model-cache created
results:
  description: For a list O(definition), one entry per object with RV(action), RV(object), C(changed), RV(msg) and C(diff).
  returned: when O(definition) is a list
  type: list
  elements: dict
  sample: [{"action": "unchanged", "changed": false, "msg": "Service vllm-migration/vllm-minilm is up to date",
            "object": {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "vllm-minilm"}}}]
"""

import base64

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vllm_pooling.migration.plugins.module_utils.module_args import kubernetes_client, kubernetes_options
from ansible_collections.vllm_pooling.migration.plugins.module_utils.owned_object import OwnedObjectError, OwnedObjects, describe

ARGUMENT_SPEC = dict(
    definition=dict(type="raw", required=True),
    labels=dict(type="dict", default={}),
    on_foreign=dict(type="str", choices=["use", "fail"], default="use"),
    **kubernetes_options()
)


def _name(definition):
    try:
        return describe(definition)
    except Exception:  # pylint: disable=broad-exception-caught  # not an object at all
        return "the definition"


def _secret_values(definitions):
    """The values of the Secrets' data (as given and decoded) and stringData, to be masked like no_log options."""
    values = set()
    for obj in definitions:
        if isinstance(obj, dict) and obj.get("kind") == "Secret":
            for value in (obj.get("data") or {}).values():
                values.add(str(value))
                try:
                    values.add(base64.b64decode(str(value), validate=True).decode("utf-8"))
                except (ValueError, UnicodeDecodeError):
                    pass
            values.update(str(value) for value in (obj.get("stringData") or {}).values())
    return {value for value in values if value}


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    definition = module.params["definition"]
    module.no_log_values.update(_secret_values(definition if isinstance(definition, list) else [definition]))
    client = kubernetes_client(module)
    objects = OwnedObjects(client, check_mode=module.check_mode, on_foreign=module.params["on_foreign"],
                           labels=module.params["labels"])
    results = []
    for one in definition if isinstance(definition, list) else [definition]:
        try:
            results.append(objects.apply(one))
        except OwnedObjectError as exc:
            module.fail_json(msg=str(exc), results=results)
        except Exception as exc:  # pylint: disable=broad-exception-caught  # never a traceback: name the object
            module.fail_json(msg="could not apply %s: %s" % (_name(one), exc), results=results)
    changed = any(r["changed"] for r in results)
    if not isinstance(definition, list):
        (result,) = results
        module.exit_json(**result)
    module.exit_json(changed=changed, results=results, msg="; ".join(r["msg"] for r in results),
                     diff=[r["diff"] for r in results if "diff" in r])


if __name__ == "__main__":
    main()
