#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
module: server_rollout
short_description: Wait for vLLM server Deployments to roll out, stop early when waiting cannot help, and diagnose the rest
version_added: 0.1.0
description:
  - Reads the Deployment of each server in O(servers) every O(poll) seconds, for at most O(wait_timeout) seconds,
    until none is rolling out. A Deployment is rolled out when every replica is updated and available (the test of
    C(kubernetes.core.k8s_info)'s wait for a Deployment); it has failed when its controller reports
    C(ProgressDeadlineExceeded) or a C(ReplicaFailure).
  - At every read the pods and events of the servers still rolling out are judged, and a server whose state cannot
    heal by waiting is V(hopeless) at once instead of at the progress deadline - a container in C(CrashLoopBackOff)
    after O(hopeless_restarts) restarts, an image that cannot be pulled (unless the registry answered with a network
    or throttling error), a container that cannot be configured or that the NVIDIA container hook refuses, pod
    creation refused by a quota or by admission, or a pod no node can take for reasons that do not change by
    themselves (node selector or affinity, taints, a volume in another zone).
  - A server still rolling out when O(wait_timeout) is up is V(timed_out) and listed in RV(waiting). For a long wait
    with visible progress, repeat the task with C(until) and C(retries) (one C(FAILED - RETRYING) line per call; end
    the loop on the last attempt through C(until), see the examples) and call it once more with O(wait_timeout=0) to
    diagnose; each call reads every server again, since the arguments of a retried task do not change.
  - With O(diagnose), every server that did not roll out gets the classification of
    M(vllm_pooling.migration.server_diagnosis) (cause, hint, evidence, summary) from its pods, the events about them,
    their ReplicaSets and the Deployment, and the previous and current log of each pod's C(vllm) container.
  - With O(urls), RV(endpoints) holds the endpoint records the C(vllm_pooling.migration.vllm_server) role outputs in
    C(vllm_server_endpoints) (O(servers) must then be C(vllm_pooling.migration.server_plan) items).
  - With O(urls), a rolled-out server whose model folder an init container C(model-copy) copies from a data
    connection (the C(storage) of its C(vllm_pooling.migration.server_plan) item) has that container's log read from
    its newest ready pod - the result of M(vllm_pooling.migration.caikit_weights) there holds the weights digest of
    what vLLM serves. Its endpoint record gets C(weights_digest) and C(weights_source), or C(weights_note) instead of
    the digest when the log cannot be read or holds none (the rollout does not fail for it).
  - With O(urls), a rolled-out server that reads its model folder from a claim (C(model_claim), on either target) gets
    C(weights_claim) (C(claim), C(path) and C(pods), the labels of the pods the claim is attached beside),
    C(weights_source) (the C(pvc://) folder) and C(weights_note) - only a pod can read a claim, and the check Job of
    M(vllm_pooling.migration.check_job) mounts it and digests it.
  - The module only reads the cluster and never fails because a server did not roll out; it fails when the API
    cannot be read (naming the namespace and what was read).
author:
  - vllm_pooling.migration maintainers (@vllm-pooling)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - vllm_pooling.migration.kubernetes
requirements:
  - kubernetes.core (the collection this one depends on) and the C(kubernetes) Python client it needs.
options:
  namespace:
    description: Namespace of the Deployments.
    type: str
    required: true
  servers:
    description:
      - The servers, each a dict with C(key) (the model's catalog key, label C(vllm-migration/model) of its pods) and
        C(name) (its Deployment, label C(app.kubernetes.io/instance) of its pods). Other keys are kept for
        RV(endpoints); the items of the C(vllm_pooling.migration.server_plan) filter fit as they are.
      - A server with C(target=inferenceservice) is a KServe InferenceService named C(name); its C(deployment) (the
        predictor Deployment KServe makes, C(<name>-predictor)) is waited for, its C(container) is the one whose log
        is read, and the InferenceService's status adds KServe's verdict (C(InvalidSpec) or C(BlockedByFailedLoad)
        fail it at once) and its URLs, which RV(endpoints) then use.
    type: list
    elements: dict
    required: true
  wait_timeout:
    description:
      - Seconds this call waits at most. V(0) reads once and reports the servers still rolling out V(timed_out).
    type: int
    default: 60
  poll:
    description: Seconds between reads (at least 1).
    type: int
    default: 10
  hopeless_restarts:
    description: Restarts in C(CrashLoopBackOff) after which a server is V(hopeless).
    type: int
    default: 3
  diagnose:
    description: Diagnose the servers that did not roll out (reads their pods, events and container logs).
    type: bool
    default: true
  log_tail_lines:
    description: Log lines read per container for a diagnosis.
    type: int
    default: 300
  not_awaited:
    description:
      - When set, nothing is read - every server is reported V(not_awaited) with this reason, and its endpoint record
        is V(not_verified) (check mode before anything was deployed, a run that does not wait).
    type: str
    default: ''
  urls:
    description:
      - The URL verification uses per model key (the C(vllm_pooling.migration.server_url) filter). Given, the result
        holds RV(endpoints).
    type: dict
    default: {}
  api_key_secret:
    description: Name of the Secret holding the servers' API key, for RV(endpoints) (empty without one).
    type: str
    default: ''
  platform:
    description: The platform recorded in RV(endpoints).
    type: str
    choices: [openshift, kubernetes]
    default: openshift
  proxy_port:
    description:
      - The authenticating proxy's port when the servers sit behind it (their Service offers only that https port),
        for the C(service_url) of RV(endpoints); V(0) for the plain C(http) port 8000.
    type: int
    default: 0
attributes:
  check_mode:
    support: full
    details: The module only reads the cluster; in check mode it waits as in a real run (use O(not_awaited) when the
      objects were only dry-run).
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
notes:
  - The account needs C(get) on deployments, C(list) on pods and events, and C(get) on pods/log in O(namespace);
    C(get) on inferenceservices for servers planned as InferenceServices.
seealso:
  - module: vllm_pooling.migration.server_diagnosis
    description: The classification alone, on pods, events and logs gathered by other means.
"""

EXAMPLES = r"""
- name: Wait up to 5 minutes for one server, and diagnose it if it does not roll out
  vllm_pooling.migration.server_rollout:
    namespace: vllm-migration
    servers:
      - {key: minilm, name: vllm-minilm}
    wait_timeout: 300
  register: minilm_rollout

# servers: a play variable, e.g. [{key: minilm, name: vllm-minilm}, {key: bge_reranker, name: vllm-bge-reranker}]
- name: Wait up to 10 minutes for several servers, showing one line per minute
  vllm_pooling.migration.server_rollout:
    namespace: vllm-migration
    servers: "{{ servers }}"
    wait_timeout: 60
    diagnose: false
  register: rollout
  # The 10th call ends the loop through until: retries that run out would mark the task failed.
  until: rollout.waiting | default([]) | length == 0 or rollout.attempts | default(1) >= 10
  retries: 9
  delay: 0

- name: Classify them, with the cause of each that did not roll out
  vllm_pooling.migration.server_rollout:
    namespace: vllm-migration
    servers: "{{ servers }}"
    wait_timeout: 0
  register: verdict

- name: Show why
  ansible.builtin.debug:
    msg: "{{ verdict.servers[item].diagnosis.msg }}"
  loop: "{{ verdict.not_ready }}"
"""

RETURN = r"""
servers:
  description:
    - Per model key, C(name) (the Deployment), C(state) - V(rolled_out), V(failed) (the Deployment controller gave
      up), V(hopeless) (stopped waiting early), V(timed_out) (still rolling out when the wait ended) or
      V(not_awaited) - and C(reason) (the controller's condition, what made the server hopeless, or the wait that
      ended).
    - With O(diagnose), a server that did not roll out also has C(diagnosis) - C(cause), C(hint), C(evidence) and
      C(summary) as M(vllm_pooling.migration.server_diagnosis) returns them (the summary of a V(hopeless) server
      says why the wait stopped early), C(msg), and C(logs_read) (C(pod), C(previous), C(found) per log read).
  returned: always
  type: dict
  sample:
    minilm: {name: vllm-minilm, state: rolled_out, reason: ""}
    msmarco:
      name: vllm-msmarco
      state: hopeless
      reason: "vllm-msmarco-7f9b8c6d5-q4w7z/vllm restarted 5 times and waits in CrashLoopBackOff (limit 3)"
      diagnosis: {cause: model_not_cached, hint: "...", evidence: ["..."], summary: "...", msg: "...", logs_read: []}
ready:
  description: The model keys whose Deployment rolled out.
  returned: always
  type: list
  elements: str
  sample: [minilm]
not_ready:
  description: The model keys that did not roll out (V(failed), V(hopeless) or V(timed_out)).
  returned: always
  type: list
  elements: str
  sample: [msmarco]
waiting:
  description: The model keys still rolling out when this call ended (V(timed_out)), to wait for again.
  returned: always
  type: list
  elements: str
  sample: []
endpoints:
  description:
    - Per model key the endpoint record (C(vllm_pooling.migration.cluster_endpoint)) - V(ready), V(load_failed) with
      the diagnosis, or V(not_verified) with O(not_awaited) as its reason. C(url) is what the controller calls,
      C(service_url) the server's in-cluster Service URL (what the in-cluster benchmark Job calls).
    - A rolled-out server whose files the init container C(model-copy) copied from a data connection also has
      C(weights_source) (the S3 prefix and the data connection's Secret) and C(weights_digest) (C(sha256:...), the
      weights digest that container logged), or C(weights_note) (why the digest is unknown) instead of the digest.
    - A rolled-out server that reads its files from a claim has C(weights_claim) (C(claim), C(path), C(pods)),
      C(weights_source) (C(pvc://claim/path)) and C(weights_note) (the check Job digests them).
  returned: when O(urls) is given
  type: dict
msg:
  description: How many servers are in which state, naming those that did not roll out and why.
  returned: always
  type: str
  sample: "2 server(s) in namespace vllm-migration: 1 rolled out, 1 hopeless: msmarco (... CrashLoopBackOff (limit 3))"
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vllm_pooling.migration.plugins.module_utils import rollout
from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import INFERENCE_SERVICE_API
from ansible_collections.vllm_pooling.migration.plugins.module_utils.module_args import kubernetes_client, kubernetes_options

ARGUMENT_SPEC = dict(
    namespace=dict(type="str", required=True),
    servers=dict(type="list", elements="dict", required=True),
    wait_timeout=dict(type="int", default=60),
    poll=dict(type="int", default=10),
    hopeless_restarts=dict(type="int", default=3),
    diagnose=dict(type="bool", default=True),
    log_tail_lines=dict(type="int", default=300),
    not_awaited=dict(type="str", default=""),
    urls=dict(type="dict", default={}),
    api_key_secret=dict(type="str", default="", no_log=False),
    platform=dict(type="str", default="openshift", choices=["openshift", "kubernetes"]),
    proxy_port=dict(type="int", default=0),
    **kubernetes_options()
)

# Where the API's refusal of a read is explained.
ACCESS_HINT = "the account needs get on deployments, list on pods and events and get on pods/log there"


def _plain(answer):
    return answer.to_dict() if hasattr(answer, "to_dict") else answer


def _why(exc):
    status = getattr(exc, "status", None)
    reason = getattr(exc, "reason", None) or str(exc)
    return ("%s %s" % (status, reason) if status else reason).strip()


class ClusterReader(object):
    """rollout.py's reader on kubernetes.core's client, in one namespace."""

    def __init__(self, client, namespace):
        self.namespace = namespace
        self._client, self._inference_services = client, None
        try:
            self._deployments = client.resource("Deployment", "apps/v1")
            self._pods = client.resource("Pod", "v1")
            self._events = client.resource("Event", "v1")
        except Exception as exc:  # pylint: disable=broad-exception-caught  # discovery failed: API unreachable
            raise rollout.RolloutError("could not read the API's kinds (discovery): %s" % _why(exc),
                                       getattr(exc, "status", None)) from None

    def _read(self, what, call):
        try:
            return call()
        except Exception as exc:  # pylint: disable=broad-exception-caught  # any API failure names the read
            raise rollout.RolloutError("could not read %s in namespace %s (%s)" % (what, self.namespace, _why(exc)),
                                       getattr(exc, "status", None)) from None

    def _get(self, what, resource, name):
        def get():
            try:
                return _plain(resource().get(name=name, namespace=self.namespace))
            except Exception as exc:  # pylint: disable=broad-exception-caught
                if getattr(exc, "status", None) == 404:
                    return None  # not created yet: still rolling out
                raise
        return self._read("%s %s" % (what, name), get)

    def deployment(self, name):
        return self._get("Deployment", lambda: self._deployments, name)

    def inference_service(self, name):
        """The InferenceService (KServe's kind is looked up only for servers planned as InferenceServices)."""
        def resource():
            if self._inference_services is None:
                self._inference_services = self._client.resource("InferenceService", INFERENCE_SERVICE_API)
            return self._inference_services
        return self._get("InferenceService", resource, name)

    def pods(self, label_selector):
        answer = self._read("the pods (%s)" % label_selector,
                            lambda: self._pods.get(namespace=self.namespace, label_selector=label_selector))
        return _plain(answer).get("items") or []

    def events(self):
        return _plain(self._read("the events", lambda: self._events.get(namespace=self.namespace))).get("items") or []

    def log(self, pod, container, previous, tail_lines):
        """The log as kubernetes.core.k8s_log reads it; None when the API has none (a container that never
        started answers 400) or refuses it: a missing log is evidence too, not a failure."""
        query = {"container": container, "tailLines": tail_lines}
        if previous:
            query["previous"] = True
        try:
            response = self._pods.log.get(name=pod, namespace=self.namespace, serialize=False, query_params=query)
        except Exception:  # pylint: disable=broad-exception-caught
            return None
        data = getattr(response, "data", response)
        return data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data or "")


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    p = module.params
    try:
        servers = rollout.check_servers(p["servers"])
        weights = {}
        if p["not_awaited"]:
            verdicts, diagnoses = rollout.not_awaited(servers, p["not_awaited"]), {}
        else:
            reader = ClusterReader(kubernetes_client(module), p["namespace"])
            verdicts = rollout.wait(reader, servers, p["wait_timeout"], p["poll"], p["hopeless_restarts"])
            diagnoses = (rollout.diagnose_all(reader, p["namespace"], servers, verdicts, p["log_tail_lines"])
                         if p["diagnose"] else {})
            if p["urls"]:  # what the servers serve, for their endpoint records
                weights = rollout.served_weights(reader, servers, verdicts)
        result = dict(changed=False, msg=rollout.summary(p["namespace"], verdicts))
        if p["urls"]:
            result["endpoints"] = rollout.endpoints(servers, verdicts, diagnoses, p["urls"], p["namespace"],
                                                    p["api_key_secret"], p["platform"], p["proxy_port"], weights)
    except rollout.RolloutError as exc:
        module.fail_json(msg="waiting for the vLLM servers in namespace %s: %s%s" % (
            p["namespace"], exc, "; " + ACCESS_HINT if exc.status in rollout.FATAL_STATUSES else ""))
    for key, diagnosis in diagnoses.items():
        verdicts[key]["diagnosis"] = diagnosis
    states = {key: verdict["state"] for key, verdict in verdicts.items()}
    result.update(
        servers=verdicts,
        ready=[key for key, state in states.items() if state == rollout.ROLLED_OUT],
        not_ready=[key for key, state in states.items() if state in (rollout.FAILED, rollout.HOPELESS, rollout.TIMED_OUT)],
        waiting=[key for key, state in states.items() if state == rollout.TIMED_OUT],
    )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
