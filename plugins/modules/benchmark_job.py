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
  - "The Job runs C(ansible-playbook vllm_pooling.migration.benchmark_in_job) in O(image): a restricted pod (non-root,
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
  name:
    description:
      - Name of the Job, its ServiceAccount, Role and RoleBinding; the ConfigMaps are C(<name>-parameters) and
        C(<name>-result), the key Secret C(<name>-keys).
    type: str
    default: vllm-migration-benchmark
  image:
    description:
      - O(state=started) only. The image the Job runs - ansible-core, kubernetes.core, this collection and numpy,
        aiohttp, requests and kubernetes (build the execution environment of C(execution-environment.yml)).
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
        internal_url}).
        The Job calls C(internal_url) when given (for a KServe predictor
        C(http://<isvc>-predictor.<namespace>.svc.cluster.local)), else C(url).
      - A reference's key is its C(api_key), else the token its C(api_key_from) names, read from the cluster as the
        checks read it (a Secret's key, a ServiceAccount's TokenRequest or the login's own token), else the value of
        the controller's environment variable C(api_key_env) (an empty one fails the task, naming it). Keys go into
        the Job's key Secret, never into the parameters.
    type: dict
    default: {}
  settings:
    description:
      - O(state=started) only. The C(benchmark) role's options for the run inside the Job (C(benchmark_models),
        C(benchmark_catalog), C(benchmark_levels), C(benchmark_duration), the gates, ...), as plain data. Only
        C(benchmark_*) options, and not those the module sets itself (the candidates, references, API keys, client
        and platform).
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
      - O(state=started) only. C(activeDeadlineSeconds) of the Job; V(0) computes it - RV(expected_seconds) (the pod's
        start, then per measured model the calibration and every level on both servers at the longest window a level
        may be lengthened to) plus O(deadline_margin).
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
      - O(state=started) only. A ConfigMap in O(namespace) with the CA bundle the Job verifies TLS with (mounted read-only,
        the benchmark's C(ca_path)); for example C(openshift-service-ca.crt) (key C(service-ca.crt)) when the
        servers sit behind the authenticating proxy. It replaces the system CAs for every URL the Job calls.
    type: str
    default: ''
  ca_key:
    description: O(state=started) only. The key of O(ca_configmap).
    type: str
    default: ca-bundle.crt
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

from ansible_collections.vllm_pooling.migration.plugins.module_utils import benchmark_job, cluster_credentials
from ansible_collections.vllm_pooling.migration.plugins.module_utils.module_args import kubernetes_client, kubernetes_options
from ansible_collections.vllm_pooling.migration.plugins.module_utils.owned_object import OwnedObjectError

ARGUMENT_SPEC = dict(
    state=dict(type="str", choices=["started", "collected"], default="started"),
    namespace=dict(type="str", required=True),
    name=dict(type="str", default=benchmark_job.NAME),
    image=dict(type="str", default=""),
    candidates=dict(type="dict", default={}),
    references=dict(type="dict", default={}),
    settings=dict(type="dict", default={}),
    platform=dict(type="str", choices=["openshift", "kubernetes"], default="openshift"),
    candidate_api_key=dict(type="str", no_log=True),
    api_key_secret_key=dict(type="str", default="api-key", no_log=False),
    resources=dict(type="dict", default={"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "2Gi"}}),
    ttl=dict(type="int", default=86400),
    deadline=dict(type="int", default=0),
    deadline_margin=dict(type="int", default=600),
    image_pull_secrets=dict(type="list", elements="str", default=[], no_log=False),
    run_as_user=dict(type="int", default=0),
    ca_configmap=dict(type="str", default=""),
    ca_key=dict(type="str", default="ca-bundle.crt", no_log=False),
    advisory=dict(type="bool", default=False),
    chart_dir=dict(type="path"),
    **kubernetes_options()
)


def _api_key_secret(candidates, models):
    """The one Secret the selected servers read their API key from ('' when none does)."""
    secrets = sorted({(endpoint or {}).get("api_key_secret") for key, endpoint in (candidates or {}).items()
                      if (models is None or key in models) and (endpoint or {}).get("api_key_secret")})
    if len(secrets) > 1:
        raise benchmark_job.JobError("the selected vLLM servers read their API key from different Secrets (%s); the "
                                     "benchmark Job reads one: benchmark them in separate runs" % ", ".join(secrets))
    return secrets[0] if secrets else ""


def _token_reader(module, client):
    """``read_token(key, spec)`` for the references' ``api_key_from``: the token from the cluster, hidden from the
    output, read once per model; a token that cannot be read is a JobError naming the reference and the fix."""
    read = {}

    def read_token(key, spec):
        if key not in read:
            try:
                token = cluster_credentials.resolve_token(client, spec, cluster_credentials.endpoint_name("reference", key))
            except cluster_credentials.CredentialError as exc:
                raise benchmark_job.JobError(str(exc)) from None
            module.no_log_values.add(token)
            read[key] = token
        return read[key]
    return read_token


def _spec(p, read_token=None):
    parameters, reference_keys = benchmark_job.job_parameters(p["candidates"], p["references"], p["settings"],
                                                              p["platform"], read_token)
    models = parameters.get("benchmark_models")
    return benchmark_job.JobSpec(
        p["namespace"], p["image"], parameters, name=p["name"], reference_keys=reference_keys,
        candidate_api_key=p["candidate_api_key"],
        api_key_secret=_api_key_secret(p["candidates"], models if isinstance(models, list) else None),
        api_key_secret_key=p["api_key_secret_key"], resources=p["resources"], ttl=p["ttl"], deadline=p["deadline"],
        deadline_margin=p["deadline_margin"], image_pull_secrets=p["image_pull_secrets"], run_as_user=p["run_as_user"],
        ca_configmap=p["ca_configmap"], ca_key=p["ca_key"])


def _started(module, cluster, read_token=None):
    spec = _spec(module.params, read_token)
    outcome = benchmark_job.start(cluster, spec)
    return dict(changed=outcome["changed"], outcome=outcome["action"], job=spec.names["job"],
                objects=benchmark_job.describe_objects(outcome["results"]), expected_seconds=spec.expected,
                deadline_seconds=spec.deadline, urls=benchmark_job.paths(spec.parameters), msg=outcome["msg"],
                diff=[r["diff"] for r in outcome["results"] if "diff" in r])


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


def _collected(module, cluster):
    p = module.params
    outcome = benchmark_job.collect(cluster, p["name"], p["advisory"])
    result = dict(changed=False, job=p["name"], done=outcome["done"], state=outcome["state"],
                  records=outcome["records"], pods=outcome["pods"], msg=outcome["msg"])
    if outcome["state"] == benchmark_job.FAILED:
        module.fail_json(log=outcome["log"], **result)
    if outcome["state"] == benchmark_job.SUCCEEDED and p["chart_dir"] and not module.check_mode:
        result["records"] = _charts(module, outcome["records"], p["chart_dir"])
        result["changed"] = any(r.get("chart") for r in result["records"].values())
    return result


def _hide_reference_keys(module):
    """The references' tokens, given or read from the controller's environment (api_key_env), never in the output.
    A variable that is not set hides nothing here; job_references fails on it, naming it."""
    for key, reference in (module.params["references"] or {}).items():
        try:
            api_key = benchmark_job.reference_key(key, reference) if isinstance(reference, dict) else None
        except benchmark_job.JobError:
            api_key = None
        if api_key:
            module.no_log_values.add(str(api_key))


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    p = module.params
    _hide_reference_keys(module)
    where = "benchmark Job %s in namespace %s" % (p["name"], p["namespace"])
    try:
        client = kubernetes_client(module)
        cluster = benchmark_job.JobCluster(client, p["namespace"], check_mode=module.check_mode)
        result = (_started(module, cluster, _token_reader(module, client)) if p["state"] == "started"
                  else _collected(module, cluster))
    except (benchmark_job.JobError, OwnedObjectError) as exc:
        module.fail_json(msg="%s: %s" % (where, exc), job=p["name"])
    except Exception as exc:  # pylint: disable=broad-exception-caught  # never a traceback: name the Job
        module.fail_json(msg="%s: unexpected error: %s" % (where, exc), job=p["name"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
