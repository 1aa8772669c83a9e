#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
module: caikit_retirement
short_description: Retire Caikit once every model it serves has soaked on vLLM, or bring it back
version_added: 0.1.0
description:
  - With O(state=retired), for each Caikit workload of O(deployments), one after another, it reads the saved cutover
    state of every model the workload serves (ConfigMap C(vllm-cutover-<key>) in O(namespace)) and retires the
    workload only when every one is cut over (status V(cut_over)) for longer than O(soak) seconds and was not rolled
    back since. Otherwise it fails with every reason and changes nothing for that workload.
  - The retirement is noted in each model's state first, with what the O(method) needs to bring the workload back, so
    that M(vllm_pooling.migration.cutover_rollback) refuses to point consumers at a Caikit that does not serve; then the
    workload is retired with the O(method).
  - V(scale_to_zero) scales a plain Caikit Deployment to zero replicas (never deletes it) and keeps its replicas in the
    annotation C(vllm-migration/retired-replicas). A Deployment another controller owns (an operator, a Knative
    Revision) is refused; scale its owner instead.
  - V(kserve_stop) retires a Caikit that a KServe InferenceService serves (OpenShift AI, where the InferenceService owns
    the predictor Deployment and would scale it back) the way the platform stops a model, by setting the annotation
    C(serving.kserve.io/stop) to V(true) on the InferenceService and changing nothing else. KServe then removes the
    predictor's pods. The annotation's previous value (or its absence) is kept in the model states. An InferenceService
    that is already stopped by someone else, or runs in ModelMesh mode, is refused.
  - V(auto) takes the method that retired the workload before (noted in the states), else V(kserve_stop) when an
    InferenceService owns the Deployment or C(inference_service) names one, else V(scale_to_zero).
  - With O(state=serving) it brings each workload back with the method that retired it (the saved replicas and the
    annotations removed; or the stop annotation put back exactly as it was, removed when it was absent) and removes the
    notes from the model states. A workload this collection did not retire is left alone.
  - A second run changes nothing. The C(cutover) role's C(retire_caikit) entry point calls it; docs/cutover.md,
    "Retiring Caikit", says when, and docs/openshift-ai.md what it does on OpenShift AI.
author:
  - vllm_pooling.migration maintainers (@vllm-pooling)
requirements:
  - kubernetes.core (the collection this one depends on) and the C(kubernetes) Python client it needs.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - vllm_pooling.migration.kubernetes
options:
  deployments:
    description:
      - The Caikit workloads, each C({name, namespace, models, inference_service}) where C(name) is its Deployment
        (on OpenShift AI C(<inference service>-predictor)), C(models) lists every catalog key it serves, and the optional
        C(inference_service) names the KServe InferenceService that serves it (needed for a Serverless one, whose
        Deployment a Knative Revision owns). One of C(name) and C(inference_service) is required.
    type: list
    elements: dict
    required: true
  namespace:
    description: Namespace of the cutover state ConfigMaps.
    type: str
    required: true
  soak:
    description: Seconds every model must have run on vLLM since its cutover (O(state=retired)).
    type: int
    default: 604800
  state:
    description: V(retired) retires the workloads; V(serving) brings them back.
    type: str
    choices: [retired, serving]
    default: retired
  method:
    description:
      - How a workload is retired. V(scale_to_zero) scales its Deployment to zero replicas; V(kserve_stop) stops its
        InferenceService through KServe; V(auto) chooses (see above).
    type: str
    choices: [auto, scale_to_zero, kserve_stop]
    default: auto
attributes:
  check_mode:
    support: full
    details: The writes are sent as server-side dry runs; nothing changes.
  diff_mode:
    support: full
    details: One before/after per object that changes.
  platform:
    support: full
    platforms: posix
"""

EXAMPLES = r"""
- name: Retire the Caikit runtime once minilm has run on vLLM for a week
  vllm_pooling.migration.caikit_retirement:
    namespace: rag-prod
    deployments:
      - {name: caikit-runtime, namespace: rag-prod, models: [minilm]}
    soak: 604800

- name: Bring it back
  vllm_pooling.migration.caikit_retirement:
    namespace: rag-prod
    deployments:
      - {name: caikit-runtime, namespace: rag-prod, models: [minilm]}
    state: serving

- name: Stop an OpenShift AI Caikit through KServe (its InferenceService owns caikit-embeddings-predictor)
  vllm_pooling.migration.caikit_retirement:
    namespace: rag-prod
    deployments:
      - {name: caikit-embeddings-predictor, namespace: rag-prod, models: [minilm, bge_small]}

- name: The same for a Serverless InferenceService, named
  vllm_pooling.migration.caikit_retirement:
    namespace: rag-prod
    method: kserve_stop
    deployments:
      - {inference_service: caikit-rerank, namespace: rag-prod, models: [msmarco]}
"""

RETURN = r"""
deployments:
  description:
    - Per workload done, C({name, namespace, models, status, method}).
    - V(retired) adds C(retired_at), and C(replicas) (V(scale_to_zero)) or C(inference_service), C(deployment_mode)
      and C(previous_stop) (V(kserve_stop), the annotation's value before, null when it was absent).
    - V(serving) adds C(brought_back) and C(reason), and C(scaled_back) (V(scale_to_zero)) or C(inference_service)
      (V(kserve_stop)).
  returned: always
  type: list
  elements: dict
log:
  description: Every write, in order, with C(kind), C(namespace), C(name), C(changed) and C(dry_run).
  returned: always
  type: list
  elements: dict
msg:
  description: A summary in words, or why it failed.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vllm_pooling.migration.plugins.module_utils.caikit_retirement import Retirement, describe, where
from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import RETIRE_METHODS
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover import CutoverError
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover_io import Journal, KubeObjects
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover_run import now_utc
from ansible_collections.vllm_pooling.migration.plugins.module_utils.module_args import kubernetes_client, kubernetes_options

ARGUMENT_SPEC = dict(
    deployments=dict(type="list", elements="dict", required=True),
    namespace=dict(type="str", required=True),
    soak=dict(type="int", default=604800),
    state=dict(type="str", choices=["retired", "serving"], default="retired"),
    method=dict(type="str", choices=list(RETIRE_METHODS), default="auto"),
    **kubernetes_options()
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    p = module.params
    if not p["deployments"]:
        module.fail_json(msg="no Caikit to retire: set vllm_migration_caikit_deployments to "
                             "[{name, namespace, models}] (name: the Caikit Deployment; or inference_service)")
    journal = Journal()
    done = []

    def result():
        return journal.result(module._diff, deployments=done)

    kube = KubeObjects(kubernetes_client(module), module.check_mode, journal)
    try:
        retirement = Retirement(kube, p["namespace"], p["method"], now_utc())
    except CutoverError as exc:
        module.fail_json(msg=str(exc), **result())
    for caikit in p["deployments"]:
        try:
            done.append(retirement.retire(caikit, p["soak"]) if p["state"] == "retired" else retirement.undo(caikit))
        except CutoverError as exc:
            module.fail_json(msg=str(exc) if where(caikit) in str(exc) else "Caikit %s: %s" % (describe(caikit), exc),
                             **result())
    if p["state"] == "retired":
        msg = "retired: %s" % "; ".join(
            "%s (%s)" % (where(d), "scaled to zero, replicas kept" if d["method"] == "scale_to_zero" else
                         "InferenceService %s stopped through KServe" % d["inference_service"]) for d in done)
    else:
        msg = "; ".join(d["reason"] for d in done)
    module.exit_json(msg=msg, **result())


if __name__ == "__main__":
    main()
