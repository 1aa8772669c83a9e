# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations


class ModuleDocFragment(object):
    # The options every in-cluster Job module has (benchmark_job, check_job; cluster_job.argument_spec()).
    DOCUMENTATION = r"""
options:
  state:
    description:
      - V(started) applies the objects and starts the Job (or leaves the same Job running); V(collected) reads its
        outcome.
    type: str
    choices: [started, collected]
    default: started
  namespace:
    description: The migration's namespace, where the vLLM servers run.
    type: str
    required: true
  image:
    description:
      - O(state=started) only. The image the Job runs - ansible-core, kubernetes.core, this collection and its Python
        requirements (build the execution environment of C(execution-environment.yml)). No such image is published.
    type: str
    default: ''
  candidates:
    description:
      - O(state=started) only. The vLLM endpoint records per model key (the C(vllm_server) role's
        C(vllm_server_endpoints)). The Job calls each ready one at its C(service_url); one without it is refused.
    type: dict
    default: {}
  references:
    description:
      - O(state=started) only. The reference per model key, C({type, url, model, api_key, api_key_from, api_key_env,
        internal_url}). The Job calls C(internal_url) when given (for a KServe predictor
        C(http://<isvc>-predictor.<namespace>.svc.cluster.local)), else C(url).
      - A reference's key is its C(api_key), else the token its C(api_key_from) names, read from the cluster as the
        checks read it (a Secret's key, a ServiceAccount's TokenRequest or the login's own token), else the value of
        the controller's environment variable C(api_key_env) (an empty one fails the task, naming it). Keys go into
        the Job's key Secret, never into the parameters.
    type: dict
    default: {}
  platform:
    description: O(state=started) only. The cluster platform, recorded in the records and deciding each path's name.
    type: str
    choices: [openshift, kubernetes]
    default: openshift
  candidate_api_key:
    description:
      - O(state=started) only. vLLM's API key, for servers whose endpoint records name no C(api_key_secret) (for example
        the Kubernetes token in front of the authenticating proxy); it goes into the Job's key Secret. With an
        C(api_key_secret) the pod reads the key from that Secret and this value is not written anywhere.
    type: str
  api_key_secret_key:
    description: O(state=started) only. The key of the vLLM servers' API key Secret.
    type: str
    default: api-key
  resources:
    description: O(state=started) only. The Job container's resources.
    type: dict
    default: {requests: {cpu: '1', memory: 1Gi}, limits: {cpu: '2', memory: 2Gi}}
  ttl:
    description: O(state=started) only. Seconds Kubernetes keeps the finished Job and its pod (C(ttlSecondsAfterFinished)).
    type: int
    default: 86400
  deadline:
    description:
      - O(state=started) only. C(activeDeadlineSeconds) of the Job; V(0) computes it - RV(expected_seconds) plus
        O(deadline_margin).
    type: int
    default: 0
  deadline_margin:
    description: O(state=started) only. Seconds added to RV(expected_seconds) for the computed deadline.
    type: int
    default: 600
  image_pull_secrets:
    description: O(state=started) only. Secrets to pull O(image) with.
    type: list
    elements: str
    default: []
  run_as_user:
    description:
      - O(state=started) only. C(runAsUser) and C(fsGroup) of the pod; V(0) sets neither (OpenShift assigns them from the
        namespace's range, and pinning one outside it is refused). The image must then run as a non-root user.
    type: int
    default: 0
  ca_configmap:
    description:
      - O(state=started) only. A ConfigMap in O(namespace) with the CA bundle the Job verifies TLS with (mounted
        read-only); for example C(openshift-service-ca.crt) (key C(service-ca.crt)) when the servers sit behind the
        authenticating proxy. It replaces the system CAs for every URL the Job calls.
    type: str
    default: ''
  ca_key:
    description: O(state=started) only. The key of O(ca_configmap).
    type: str
    default: ca-bundle.crt
  tolerations:
    description:
      - O(state=started) only. Tolerations of the pod, for example those of Caikit's predictor pods when the check Job
        must run beside them (a ReadWriteOnce claim it mounts, on a tainted GPU node).
    type: list
    elements: dict
    default: []
"""
