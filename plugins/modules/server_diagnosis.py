#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
module: server_diagnosis
short_description: Name the reason a vLLM server pod did not become ready
version_added: 0.1.0
description:
  - "Classifies why a vLLM Deployment's pod did not become ready from what the cluster shows: the pods'
    status, the events about them and the container logs. It fails with a named cause and a hint
    instead of a bare timeout."
  - "Causes: V(model_not_cached), V(unsupported_architecture), V(cuda_driver), V(cuda_oom),
    V(missing_sentence_transformers_config) (from log lines; V(cuda_driver) also from the NVIDIA container
    hook's refusal in the container status), V(image_pull), V(unschedulable), V(quota_exceeded),
    V(admission_refused), V(volume_mount), V(oom_killed), V(probe_failure), V(crash_loop) (from the pod
    status and the events of the pods and their ReplicaSet), and V(unknown) when nothing matches."
  - "Precedence, first match wins: V(image_pull), V(unschedulable), V(quota_exceeded) and
    V(admission_refused) (only when no pod exists), V(volume_mount), V(cuda_driver) from the container
    status, V(oom_killed), the log causes from error lines (model not in the cache, architecture, driver,
    CUDA out of memory, sentence-transformers configuration), V(probe_failure), log causes seen only in
    warning lines, V(crash_loop), V(unknown). A specific log cause therefore beats a generic crash loop."
  - "Hints name the real pod, Deployment and namespace in the commands they suggest."
  - The module only reads its arguments; gather them with M(kubernetes.core.k8s_info) and
    M(kubernetes.core.k8s_log) (see the examples).
author:
  - vllm_pooling.migration maintainers (@vllm-pooling)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
options:
  model:
    description:
      - Name of the model whose server is diagnosed (the catalog key), used in the message.
    type: str
    required: true
  namespace:
    description:
      - Namespace of the server, used in the message and the hint's commands. Defaults to the namespace of the first pod.
    type: str
  deployment:
    description:
      - Name of the server's Deployment, used in the hint's commands.
      - Given, events about ReplicaSets and Deployments other than this one's are left out.
    type: str
  early_stop:
    description:
      - Why the rollout wait ended before the progress deadline (the C(reason) of a V(hopeless) server in
        M(vllm_pooling.migration.server_rollout)'s result); added to the summary and the message.
    type: str
    default: ''
  pods:
    description:
      - The server's pods as M(kubernetes.core.k8s_info) returns them for kind C(Pod) (the C(resources) of its result).
    type: list
    elements: dict
    default: []
  events:
    description:
      - Events of the namespace as M(kubernetes.core.k8s_info) returns them for kind C(Event).
      - Events about other pods are left out; events about other kinds (the ReplicaSet, the Deployment)
        are kept as evidence.
    type: list
    elements: dict
    default: []
  logs:
    description:
      - Logs of the vLLM container, the previous container's log (C(oc logs --previous)) followed
        by the current one's.
    type: str
    default: ''
  fail_on_gate:
    description:
      - Fail the task with a message naming the model, the namespace, the cause and the hint.
      - Set to V(false) to only return the diagnosis.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    details: The module only reads its arguments.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
notes:
  - The pods and events passed in appear in the task's invocation at high verbosity; avoid pod specs
    that carry secrets as plain environment values.
seealso:
  - module: vllm_pooling.migration.server_rollout
    description: Waits for the Deployments and gathers the pods, events and logs itself, with the same classification.
"""

EXAMPLES = r"""
- name: Wait for the vLLM server to become ready
  kubernetes.core.k8s_info:
    kind: Deployment
    name: minilm-vllm
    namespace: vllm-migration
    wait: true
    wait_condition:
      type: Available
      status: "True"
    wait_timeout: 900
  register: deployment
  ignore_errors: true

- name: Read the server's pods
  kubernetes.core.k8s_info:
    kind: Pod
    namespace: vllm-migration
    label_selectors:
      - app.kubernetes.io/instance=minilm-vllm
  register: server_pods
  when: deployment is failed

- name: Read the namespace's events
  kubernetes.core.k8s_info:
    kind: Event
    namespace: vllm-migration
  register: server_events
  when: deployment is failed

- name: Read the previous container's log
  kubernetes.core.k8s_log:
    namespace: vllm-migration
    name: "{{ server_pods.resources[0].metadata.name }}"
    container: vllm
    previous: true
  register: previous_log
  ignore_errors: true
  when: deployment is failed and server_pods.resources | length > 0

- name: Fail with the reason instead of a timeout
  vllm_pooling.migration.server_diagnosis:
    model: minilm
    namespace: vllm-migration
    deployment: minilm-vllm
    pods: "{{ server_pods.resources }}"
    events: "{{ server_events.resources }}"
    logs: "{{ previous_log.log | default('') }}"
  when: deployment is failed

- name: Only record the diagnosis, for the report
  vllm_pooling.migration.server_diagnosis:
    model: minilm
    pods: "{{ server_pods.resources }}"
    events: "{{ server_events.resources }}"
    fail_on_gate: false
  register: diagnosis
  when: deployment is failed
"""

RETURN = r"""
cause:
  description: The named cause.
  returned: always
  type: str
  sample: cuda_oom
hint:
  description: What to do about the cause.
  returned: always
  type: str
  sample: "vLLM ran out of GPU memory or could not reserve its share: lower --max-model-len ..."
evidence:
  description: Short strings that led to the cause, such as the matching log line, event message or waiting reason.
  returned: always
  type: list
  elements: str
  sample: ["log: torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 978.00 MiB.",
           "minilm-vllm-7c9d5f8b6-h7d2k/vllm: last terminated Error (exit code 1), 4 restarts"]
summary:
  description: One sentence naming the pods and what went wrong, followed by O(early_stop) when given.
  returned: always
  type: str
  sample: "pod minilm-vllm-7c9d5f8b6-h7d2k: vLLM ran out of GPU memory while starting."
msg:
  description: The message naming the model, the namespace, the cause, the summary and the hint.
  returned: always
  type: str
  sample: "model 'minilm' in namespace 'vllm-migration': the vLLM server did not become ready (cuda_oom): pod ... Hint: ..."
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vllm_pooling.migration.plugins.module_utils.diagnosis import (
    classify, early_stop_summary, failure_message)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.module_args import check_options


ARGUMENT_SPEC = dict(
    model=dict(type="str", required=True),
    namespace=dict(type="str"),
    deployment=dict(type="str"),
    early_stop=dict(type="str", default=""),
    pods=dict(type="list", elements="dict", default=[]),
    events=dict(type="list", elements="dict", default=[]),
    logs=dict(type="str", default=""),
    **check_options()
)


def _namespace(params):
    if params["namespace"]:
        return params["namespace"]
    for pod in params["pods"]:
        metadata = pod.get("metadata") if isinstance(pod, dict) else None
        if isinstance(metadata, dict) and metadata.get("namespace"):
            return metadata["namespace"]
    return None


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    p = module.params
    namespace = _namespace(p)
    diagnosis = classify(p["pods"], p["events"], p["logs"], namespace, p["deployment"])
    diagnosis["summary"] = early_stop_summary(diagnosis["summary"], p["early_stop"])
    result = dict(changed=False, msg=failure_message(p["model"], namespace, diagnosis), **diagnosis)
    if p["fail_on_gate"]:
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
