#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
module: benchmark_job
short_description: Run the benchmark as a Job inside the cluster, next to the vLLM servers, and collect its records
version_added: 0.1.0
description:
  - On a cluster the benchmark belongs inside it - measured from a laptop or an AWX pod through the router, vLLM's
    p95 latency is the network's and the router's as much as the server's. This module runs the C(benchmark) role
    (M(vllm_pooling.migration.serving_benchmark), level by level) in a Job in O(namespace), against each vLLM server's
    in-cluster Service URL (C(service_url) of its endpoint record) and each reference's C(internal_url) (else its
    C(url)).
  - With O(state=started) it applies, in one call and owned by this collection (label
    C(app.kubernetes.io/managed-by=vllm_pooling.migration), as M(vllm_pooling.migration.owned_object) does) - a
    ServiceAccount, a Role that allows only C(get), C(update) and C(patch) of one ConfigMap by C(resourceNames) and
    its RoleBinding, that result ConfigMap (created empty here, so the Role needs no C(create)), a ConfigMap with
    the benchmark parameters (no API key in it), a Secret with the API keys the pod cannot read from the vLLM
    servers' own Secret (only when there are such keys), and the Job.
  - "The Job runs C(ansible-playbook vllm_pooling.migration.run_in_job) in O(image): a restricted pod (non-root,
    every capability dropped, C(RuntimeDefault) seccomp, no privilege escalation, read-only root file system),
    O(resources), C(backoffLimit: 0), C(activeDeadlineSeconds) from the expected duration (RV(deadline_seconds)) and
    C(ttlSecondsAfterFinished) O(ttl). It writes the performance records into the result ConfigMap."
  - A Job of that name that is running with the same parameters is left running (RV(outcome=running), nothing is
    changed); one running with other parameters is refused (two benchmarks would load the servers at once); a
    finished one is deleted with its pods and started again, its result ConfigMap emptied first.
  - With O(state=collected) it reads the Job and the result ConfigMap once - RV(done) is false while the Job runs
    (repeat the task with C(until)/C(retries), one C(FAILED - RETRYING) line per poll, as the C(benchmark) role does);
    when it succeeded, RV(records) holds the performance record of each model, as M(vllm_pooling.migration.serving_benchmark)
    returns it; when it failed (or its pod cannot start - an image that cannot be pulled, a container that cannot be
    configured, a pod the Job controller may not create) the task fails with the reason - the Job's condition, the
    pod's state and the last lines of its log - and RV(records) holds an V(error) record for each model.
requirements:
  - kubernetes.core (the collection this one depends on) and the C(kubernetes) Python client it needs.
  - In O(image) - ansible-core, kubernetes.core, this collection and its Python requirements (numpy, aiohttp,
    requests, kubernetes), as the collection's execution environment (C(execution-environment.yml)) holds them. No
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
    default: vllm-migration-benchmark
  settings:
    description:
      - O(state=started) only. The C(benchmark) role's options for the run inside the Job (C(benchmark_models),
        C(benchmark_catalog), C(benchmark_levels), C(benchmark_duration), the gates, ...), as plain data. Only
        C(benchmark_*) options, and not those the module sets itself (the candidates, references, API keys, client
        and platform).
    type: dict
    default: {}
  advisory:
    description: O(state=collected) only. Whether the V(error) records of a failed Job are advisory.
    type: bool
    default: false
  chart_dir:
    description:
      - O(state=collected) only. Folder where a PNG chart per model (C(<key>-benchmark.png)) is drawn from the records
        the Job returned; C(chart) of each record then names it. Needs matplotlib here; without it the task warns.
    type: path
attributes:
  check_mode:
    support: full
    details:
      - O(state=started) sends server-side dry runs and says what it would create (or replace); before the namespace
        exists, what a real run would create. O(state=collected) reads as in a real run; with no Job it returns
        V(not_measured) records.
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
    URLs (a NetworkPolicy in the reference's namespace may need to admit the migration's namespace).
seealso:
  - module: vllm_pooling.migration.serving_benchmark
    description: The benchmark the Job runs, level by level, through the C(benchmark) role.
  - module: vllm_pooling.migration.owned_object
    description: How the objects are applied and owned.
"""

EXAMPLES = r"""
- name: Start the benchmark Job next to the vLLM servers
  vllm_pooling.migration.benchmark_job:
    namespace: vllm-migration
    image: registry.example.com/vllm-pooling-migration-ee:0.1.0
    candidates: "{{ vllm_server_endpoints }}"
    references:
      minilm:
        type: caikit
        url: https://caikit-embeddings-rag-prod.apps.cluster.example.com
        internal_url: http://caikit-embeddings-predictor.rag-prod.svc.cluster.local
        model: all-minilm-l6-v2
    settings:
      benchmark_models: [minilm]
      benchmark_levels: [1, 4, 16]
  register: bench_job

- name: Wait for it, one line per minute
  vllm_pooling.migration.benchmark_job:
    state: collected
    namespace: vllm-migration
    chart_dir: reports/charts
  register: bench
  until: bench.done | default(true)
  retries: "{{ (bench_job.deadline_seconds / 60) | round(0, 'ceil') | int + 2 }}"
  delay: 60

- name: Show the verdicts
  ansible.builtin.debug:
    msg: "{{ item.key }}: {{ item.value.status }} ({{ item.value.client.note }})"
  loop: "{{ bench.records | dict2items }}"
"""

RETURN = r"""
outcome:
  description:
    - O(state=started) - V(created), V(replaced) (a finished Job of that name was deleted and started again), V(running)
      (the same Job already runs; nothing was started) or V(not_started) (no selected model has a ready endpoint and
      a server reference, so nothing was applied). In check mode what a real run would do.
  returned: when O(state=started)
  type: str
  sample: created
job:
  description: The Job's name.
  returned: always
  type: str
  sample: vllm-migration-benchmark
objects:
  description: O(state=started) - per object (C(Kind namespace/name)) what happened to it (C(created), C(updated), C(unchanged)).
  returned: when O(state=started)
  type: list
  elements: str
  sample: ["ServiceAccount vllm-migration/vllm-migration-benchmark: created"]
expected_seconds:
  description: O(state=started) - how long the benchmark should take at most (the deadline without the margin).
  returned: when O(state=started)
  type: int
  sample: 4104
deadline_seconds:
  description: O(state=started) - the Job's C(activeDeadlineSeconds).
  returned: when O(state=started)
  type: int
  sample: 4704
urls:
  description:
    - O(state=started) - per measured model C(candidate_url), C(reference_url) and the C(path) and C(reference_path) they
      take (V(service), V(route), V(ingress), V(network)).
  returned: when O(state=started)
  type: dict
  sample: {minilm: {candidate_url: "http://vllm-minilm.vllm-migration.svc:8000", path: service,
                    reference_url: "http://caikit-embeddings-predictor.rag-prod.svc.cluster.local", reference_path: service}}
done:
  description: O(state=collected) - whether the Job has finished (succeeded or failed) or, in check mode, was never started.
  returned: when O(state=collected)
  type: bool
state:
  description: O(state=collected) - V(running), V(succeeded), V(failed) or V(not_started) (check mode).
  returned: when O(state=collected)
  type: str
  sample: succeeded
records:
  description:
    - O(state=collected) - the performance record per model key (schema C(vllm_pooling.migration/performance/v1)), as
      M(vllm_pooling.migration.serving_benchmark) returns it, with C(client.location=cluster_job); empty while running;
      V(error) records when the Job failed, V(not_measured) ones in check mode.
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

import copy
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vllm_pooling.migration.plugins.module_utils import benchmark_job, cluster_job
from ansible_collections.vllm_pooling.migration.plugins.module_utils.module_args import kubernetes_client, kubernetes_options

ARGUMENT_SPEC = dict(
    chart_dir=dict(type="path"),
    **cluster_job.argument_spec(benchmark_job.NAME),
    **kubernetes_options()
)


def _charts(module, records, chart_dir):
    """Draw each measured record's chart into ``chart_dir`` (its ``chart`` names the file); warn instead of failing."""
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark_chart import HAS_MATPLOTLIB
    if not HAS_MATPLOTLIB:
        module.warn("matplotlib is not installed, so no chart is drawn into %s" % chart_dir)
        return records
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark_chart import render_chart
    drawn = copy.deepcopy(records)
    for key, record in sorted(drawn.items()):
        if not record.get("levels"):
            continue
        try:
            os.makedirs(chart_dir, exist_ok=True)
            record["chart"] = render_chart(key, record, os.path.join(chart_dir, "%s-benchmark.png" % key))
        except Exception as exc:  # pylint: disable=broad-exception-caught  # a chart is a picture, not a verdict
            module.warn("model '%s': no chart drawn into %s: %s" % (key, chart_dir, exc))
    return drawn


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)

    def charts(result):
        if module.params["chart_dir"] and not module.check_mode:
            result["records"] = _charts(module, result["records"], module.params["chart_dir"])
            result["changed"] = any(r.get("chart") for r in result["records"].values())
        return result

    cluster_job.run_module(module, benchmark_job.BENCHMARK, benchmark_job.JobSpec, benchmark_job.job_parameters,
                           benchmark_job.paths, kubernetes_client, on_collected=charts)


if __name__ == "__main__":
    main()
