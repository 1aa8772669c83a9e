#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
module: cutover_rollback
short_description: Restore exactly what consumers saw before the cutover, from the saved state alone
version_added: 0.1.0
description:
  - For each model of O(models), reads the state M(vllm_pooling.migration.cutover) saved before its first change
    (a JSON file in O(state_dir) on the local platform, the ConfigMap C(vllm-cutover-<key>) on a cluster) and
    restores the snapshot in it with the strategy it names (endpoint record, consumer environment, Route weights),
    then saves the state as V(rolled_back).
  - Works after a finished, failed or interrupted cutover; a second run changes nothing. A model without saved
    state is reported (RV(never_cut_over)) and left alone.
  - On a cluster a restore is refused while the model's Caikit is retired (scaled to zero, or its InferenceService
    stopped through KServe, by M(vllm_pooling.migration.caikit_retirement)), because consumers pointed back at it
    would be cut off.
  - The models are rolled back one after another; the first failure stops the run, naming the model.
author:
  - vllm_pooling.migration maintainers (@vllm-pooling)
requirements:
  - On a cluster, kubernetes.core (the collection this one depends on) and the C(kubernetes) Python client it needs.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - vllm_pooling.migration.kubernetes
options:
  platform:
    description: Where the servers and consumers are. V(local) changes files only; the others a cluster.
    type: str
    choices: [local, openshift, kubernetes]
    required: true
  models:
    description: Catalog keys to roll back.
    type: list
    elements: str
    required: true
  namespace:
    description: Namespace of the state ConfigMaps on a cluster.
    type: str
    default: ''
  state_dir:
    description: Local platform, where the saved cutover state lives.
    type: path
  rollout_timeout:
    description: How long to wait for a restored consumer Deployment to roll out, in seconds.
    type: int
    default: 600
  rollout_poll:
    description: Seconds between two looks at a rollout.
    type: int
    default: 5
attributes:
  check_mode:
    support: full
    details: Nothing is written; cluster writes are sent as server-side dry runs and no rollout is waited for.
  diff_mode:
    support: full
    details: One before/after per object or file that changes.
  platform:
    support: full
    platforms: posix
"""

EXAMPLES = r"""
- name: Roll minilm back on a cluster
  vllm_pooling.migration.cutover_rollback:
    platform: openshift
    namespace: rag-prod
    models: [minilm]
  register: rollback
"""

RETURN = r"""
outcomes:
  description: Per model key rolled back, C({status, strategy, rolled_back_at}) (status V(rolled_back)).
  returned: always
  type: dict
never_cut_over:
  description: The models without saved cutover state (nothing to roll back).
  returned: always
  type: list
  elements: str
log:
  description: What was done, in order, each with C(model), C(action) and its details (see M(vllm_pooling.migration.cutover)).
  returned: always
  type: list
  elements: dict
msg:
  description: A summary in words, or why it failed.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import PLATFORMS
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover import CutoverError
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover_io import Journal, KubeObjects, LocalFiles
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover_run import CutoverRun, now_utc
from ansible_collections.vllm_pooling.migration.plugins.module_utils.module_args import kubernetes_client, kubernetes_options

ARGUMENT_SPEC = dict(
    platform=dict(type="str", choices=list(PLATFORMS), required=True),
    models=dict(type="list", elements="str", required=True),
    namespace=dict(type="str", default=""),
    state_dir=dict(type="path"),
    rollout_timeout=dict(type="int", default=600),
    rollout_poll=dict(type="int", default=5),
    **kubernetes_options()
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    p = module.params
    store = "local" if p["platform"] == "local" else "cluster"
    needed = "state_dir" if store == "local" else "namespace"
    if not p[needed]:
        module.fail_json(msg="rollback on the %s platform needs %s" % (p["platform"], needed))
    journal = Journal()
    kube = KubeObjects(kubernetes_client(module), module.check_mode, journal) if store == "cluster" else None
    settings = {name: p[name] for name in ("namespace", "state_dir", "rollout_timeout", "rollout_poll")}
    run = CutoverRun(store, settings, journal, kube=kube, files=LocalFiles(module.check_mode, journal), now=now_utc(),
                     check_mode=module.check_mode)
    results, never = {}, []

    def done():
        return journal.result(module._diff, outcomes=results, never_cut_over=never)

    for key in p["models"]:
        try:
            result = run.roll_back(key)
        except CutoverError as exc:
            module.fail_json(msg="rollback of %s: %s" % (key, exc) if key not in str(exc) else str(exc), **done())
        if result is None:
            never.append(key)
        else:
            results[key] = result
    msg = "rolled back: %s" % (", ".join(results) or "none")
    if never:
        msg += "; never cut over here (no saved state, nothing to roll back): %s" % ", ".join(never)
    module.exit_json(msg=msg, **done())


if __name__ == "__main__":
    main()
