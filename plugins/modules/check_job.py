#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
module: check_job
short_description: Run the verification checks as a Job inside the cluster, where in-cluster URLs answer
version_added: 0.1.0
description:
  - A KServe predictor that is not exposed has only its in-cluster URL
    (C(http://<isvc>-predictor.<namespace>.svc.cluster.local)), which a laptop or an AWX pod outside the cluster
    cannot reach. This module runs the C(verify) role (M(vllm_pooling.migration.embedding_check),
    M(vllm_pooling.migration.score_check) and M(vllm_pooling.migration.client_check)) in a Job in O(namespace),
    against each vLLM server's Service URL (C(service_url) of its endpoint record) and each reference's
    C(internal_url) (else its C(url)), and returns the verification records the role makes on the controller,
    with C(checked_from.location=cluster_job) and the path each check took.
  - Only models with a ready vLLM endpoint and a server reference (C(caikit) or C(openai)) go to the Job; a file
    reference (golden vectors or scores) is checked on the controller. The controller's files do not go along - a
    reference's C(ca_path) (the pod trusts O(ca_configmap)), the corpus file and the scoring venv.
  - The weights gate in the Job compares the weights digests recorded for each side (C(weights_digest) of the endpoint
    and of the reference). Weights on a claim are read in the Job itself - a vLLM server that serves Caikit's
    C(pvc://) folder records the claim (C(weights_claim) of its endpoint record) and discovery records Caikit's folder
    on it (C(weights_claim) of the reference). The pod mounts each such claim read-only under C(/mnt/claims/<claim>),
    with a required pod affinity to the pods the claim is attached beside (C(weights_claim.pods), Caikit's predictor,
    as a ReadWriteOnce claim is attached to one node), and digests both folders there. Claims attached beside pods of
    different labels cannot all be mounted by one pod - those of the labels most models share are, and RV(urls)
    names the models left (C(weights_left)) to check in a run of their own.
  - With O(state=started) it applies, owned by this collection (label
    C(app.kubernetes.io/managed-by=vllm_pooling.migration)), a ServiceAccount, a Role that allows only C(get),
    C(update) and C(patch) of one ConfigMap by C(resourceNames) and its RoleBinding, that result ConfigMap (created
    empty here), a ConfigMap with the parameters (no API key in it), a Secret with the API keys the pod cannot read
    from the vLLM servers' own Secret (only when there are such keys), and the Job.
  - "The Job runs C(ansible-playbook vllm_pooling.migration.run_in_job -e vllm_migration_job_role=verify) in O(image):
    a restricted pod (non-root, every capability dropped, C(RuntimeDefault) seccomp, no privilege escalation,
    read-only root file system), O(resources), C(backoffLimit: 0), C(activeDeadlineSeconds) from the expected
    duration (RV(deadline_seconds)) and C(ttlSecondsAfterFinished) O(ttl)."
  - A Job of that name that is running with the same parameters is left running (RV(outcome=running)); one running
    with other parameters is refused; a finished one is deleted with its pods and started again.
  - With O(state=collected) it reads the Job and the result ConfigMap once - RV(done) is false while the Job runs
    (repeat the task with C(until)/C(retries), as the C(verify) role does); when it succeeded, RV(records) holds each
    model's verification record; when it failed (or its pod cannot start) the task fails with the reason - the Job's
    condition, the pod's state and the last lines of its log - and RV(records) holds an V(error) record for each
    model.
requirements:
  - kubernetes.core (the collection this one depends on) and the C(kubernetes) Python client it needs.
  - In O(image) - ansible-core, kubernetes.core, this collection and its Python requirements (numpy, requests,
    jmespath, kubernetes), as the collection's execution environment (C(execution-environment.yml)) holds them. No
    such image is published.
author:
  - vllm_pooling.migration maintainers (@vllm-pooling)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - vllm_pooling.migration.kubernetes
  - vllm_pooling.migration.cluster_job
options:
  name:
    description:
      - Name of the Job, its ServiceAccount, Role and RoleBinding; the ConfigMaps are C(<name>-parameters) and
        C(<name>-result), the key Secret C(<name>-keys).
    type: str
    default: vllm-migration-checks
  settings:
    description:
      - O(state=started) only. The C(verify) role's options for the run inside the Job (C(verify_models),
        C(verify_catalog), the thresholds, C(verify_timeout), ...), as plain data. Only C(verify_*) options, and not
        those the module sets itself or that name the controller's files (the candidates, references, API keys, the
        client, C(verify_scoring_python), C(verify_corpus_file), C(verify_ca_path)).
    type: dict
    default: {}
  advisory:
    description: Not used by checks (every gate of a check counts); accepted as the other Job module accepts it.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details:
      - O(state=started) sends server-side dry runs and says what it would create (or replace); before the namespace
        exists, what a real run would create. O(state=collected) reads as in a real run; with no Job it returns
        V(not_verified) records.
  platform:
    support: full
    platforms: posix
  diff_mode:
    support: full
notes:
  - The account needs to create and update ServiceAccounts, Roles, RoleBindings (the Role grants no more than it
    holds), ConfigMaps, Secrets and Jobs in O(namespace), to delete Jobs, and to list pods and events and read
    pods/log there.
  - The pod must reach the vLLM Services (their NetworkPolicy admits pods of the namespace) and the references'
    in-cluster URLs (a NetworkPolicy in the reference's namespace may need to admit the migration's namespace; a
    predictor with auth on needs the reference's token, which the Job gets from its key Secret).
seealso:
  - module: vllm_pooling.migration.embedding_check
    description: The embedding check the Job runs through the C(verify) role.
  - module: vllm_pooling.migration.score_check
    description: The reranker check the Job runs through the C(verify) role.
  - module: vllm_pooling.migration.benchmark_job
    description: The same mechanism for the benchmark.
"""

EXAMPLES = r"""
- name: Check a predictor that is not exposed, from inside the cluster
  vllm_pooling.migration.check_job:
    namespace: vllm-migration
    image: registry.example.com/vllm-pooling-migration-ee:0.1.0
    candidates: "{{ vllm_server_endpoints }}"
    references:
      minilm:
        type: caikit
        url: http://caikit-minilm-predictor.rag-prod.svc.cluster.local
        internal_url: http://caikit-minilm-predictor.rag-prod.svc.cluster.local
        model: all-minilm-l6-v2
        api_key_from: {secret: rag-prod/caikit-minilm-sa-token}
    settings:
      verify_models: [minilm]
      verify_catalog: "{{ vllm_migration_catalog }}"
  register: checks_job

- name: Wait for it, one line per 10 seconds
  vllm_pooling.migration.check_job:
    state: collected
    namespace: vllm-migration
  register: checks
  until: checks.done | default(true)
  retries: "{{ (checks_job.deadline_seconds / 10) | round(0, 'ceil') | int + 2 }}"
  delay: 10

- name: Show the verdicts and where each check ran
  ansible.builtin.debug:
    msg: "{{ item.key }}: {{ item.value.status }} ({{ item.value.checked_from.note }})"
  loop: "{{ checks.records | dict2items }}"
"""

RETURN = r"""
outcome:
  description:
    - O(state=started) - V(created), V(replaced), V(running) (the same Job already runs; nothing was started) or
      V(not_started) (no selected model has a ready endpoint and a server reference, so nothing was applied).
  returned: when O(state=started)
  type: str
  sample: created
job:
  description: The Job's name.
  returned: always
  type: str
  sample: vllm-migration-checks
objects:
  description: O(state=started) - per object (C(Kind namespace/name)) what happened to it.
  returned: when O(state=started)
  type: list
  elements: str
  sample: ["Role vllm-migration/vllm-migration-checks: created"]
expected_seconds:
  description: O(state=started) - how long the checks should take at most (the deadline without the margin).
  returned: when O(state=started)
  type: int
  sample: 420
deadline_seconds:
  description: O(state=started) - the Job's C(activeDeadlineSeconds).
  returned: when O(state=started)
  type: int
  sample: 1020
urls:
  description:
    - O(state=started) - per checked model C(candidate_url), C(reference_url) and the C(path) and C(reference_path) they
      take (V(service), V(route), V(ingress), V(network)).
    - For weights on a claim, C(candidate_weights) and C(reference_weights) (the C(pvc://) folder and where the pod
      mounts it), or C(weights_left) (why a claim is not mounted).
  returned: when O(state=started)
  type: dict
  sample: {minilm: {candidate_url: "http://vllm-minilm.vllm-migration.svc:8000", path: service,
                    reference_url: "http://caikit-minilm-predictor.rag-prod.svc.cluster.local", reference_path: service}}
done:
  description: O(state=collected) - whether the Job has finished or, in check mode, was never started.
  returned: when O(state=collected)
  type: bool
state:
  description: O(state=collected) - V(running), V(succeeded), V(failed) or V(not_started) (check mode).
  returned: when O(state=collected)
  type: str
  sample: succeeded
records:
  description:
    - O(state=collected) - the verification record per model key (schema C(vllm_pooling.migration/result/v1)), as the
      C(verify) role makes it, with C(checked_from.location=cluster_job); empty while running; V(error) records when the
      Job failed, V(not_verified) ones in check mode.
  returned: when O(state=collected)
  type: dict
pods:
  description: O(state=collected) - one line per pod of the Job (phase, container state).
  returned: when O(state=collected)
  type: list
  elements: str
log:
  description: O(state=collected) - the last lines of the failed Job's log.
  returned: when the Job failed
  type: list
  elements: str
msg:
  description: What happened, in words; for a failed Job the reason, the pod's state, the last log lines and what to check.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vllm_pooling.migration.plugins.module_utils import check_job, cluster_job
from ansible_collections.vllm_pooling.migration.plugins.module_utils.module_args import kubernetes_client, kubernetes_options

ARGUMENT_SPEC = dict(
    **cluster_job.argument_spec(check_job.NAME),
    **kubernetes_options()
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    cluster_job.run_module(module, check_job.JOB, check_job.JobSpec, check_job.job_parameters, check_job.paths,
                           kubernetes_client)


if __name__ == "__main__":
    main()
