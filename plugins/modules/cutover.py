#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
module: cutover
short_description: Move the consumers of the decided models to vLLM, with a smoke check and automatic rollback
version_added: 0.1.0
description:
  - Reads the report (O(report_path), or the C(decide) role's report ConfigMap in O(namespace)) and checks the
    evidence of every selected model the decision moves before changing anything. Stale, partial or foreign
    evidence (another model, served name, endpoint or image), a missing or not ready endpoint, or failed or
    skipped gates refuse the whole cutover with every model's problems, and nothing is changed.
  - Then, model after model, it snapshots what consumers see, saves that state (a JSON file in O(state_dir) on the
    local platform, the ConfigMap C(vllm-cutover-<key>) on a cluster) before any change, applies the O(strategy),
    waits for the consumer Deployments to roll out (V(consumer_env)) or moves the Route's weights in steps with a
    gate after each (V(route_weights)), and smoke-checks the URL consumers now call with the probe of
    M(vllm_pooling.migration.endpoint_probe).
  - Any failure after the first write restores the snapshot, saves the state as V(failed) with the reason and
    fails naming the model; the models after it are not touched. A model already cut over the same way on the
    same evidence changes nothing.
  - The C(cutover) role calls it; docs/cutover.md is the runbook. The local platform needs no Kubernetes library.
author:
  - vllm_pooling.migration maintainers (@vllm-pooling)
requirements:
  - requests and numpy (the probe).
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
  strategy:
    description:
      - V(endpoint_record) (a JSON file on V(local), the ConfigMap C(vllm-endpoint-<key>) on a cluster),
        V(consumer_env) (named variables of consumer Deployments) or V(route_weights) (OpenShift Route weight steps).
    type: str
    choices: [endpoint_record, consumer_env, route_weights]
    default: endpoint_record
  models:
    description: Catalog keys to move. Empty moves every model of O(endpoints) the decision allows.
    type: list
    elements: str
    default: []
  endpoints:
    description: Endpoint records of the vLLM servers to move to, per model key (the C(vllm_server) role's C(vllm_server_endpoints)).
    type: dict
    default: {}
  report_source:
    description: V(file) reads O(report_path); V(configmap) reads the report ConfigMap in O(namespace).
    type: str
    choices: [file, configmap]
    default: file
  report_path:
    description: The report.json to act on (O(report_source=file)).
    type: path
  max_report_age:
    description: The oldest report accepted, in seconds.
    type: int
    default: 86400
  namespace:
    description: Namespace of the report, record and state ConfigMaps on a cluster.
    type: str
    default: ''
  record_dir:
    description: Local platform, where consumers read C(<key>.json).
    type: path
  state_dir:
    description: Local platform, where the saved cutover state lives (C(<key>.json)).
    type: path
  endpoint_api_key:
    description: Bearer token of the vLLM endpoints for the smoke check and the gates. Falls back to E(VLLM_API_KEY).
    type: str
  endpoint_validate_certs:
    description: Verify TLS certificates in the smoke check and the gates.
    type: bool
    default: true
  endpoint_ca_path:
    description: CA bundle for the smoke check and the gates (for example the OpenShift ingress CA).
    type: path
  endpoint_timeout:
    description: Seconds to wait for each probe answer.
    type: float
    default: 60
  smoke_requests:
    description: Requests of the smoke check.
    type: int
    default: 8
  smoke_concurrency:
    description: Requests in flight at once during the smoke check.
    type: int
    default: 2
  smoke_max_error_rate:
    description: Largest share of wrong answers the smoke check accepts.
    type: float
    default: 0.0
  smoke_max_p95_ms:
    description: Largest p95 latency the smoke check accepts, in milliseconds.
    type: float
    default: 5000
  consumers:
    description:
      - Strategy V(consumer_env), per model key, the consumer Deployments to repoint; each a name or
        C({name, namespace, container, env, api_key_secret, ca_configmap}) (C(env) maps C(url), C(api) and C(model)
        to variable names, and C(api_key) and C(ca_file) to the variables of the credential and the CA file).
      - C(api_key_secret) (C({name, key}), key V(api-key) by default) names a Secret in the consumer's namespace
        holding vLLM's API key; the variable C(env.api_key) (default V(VLLM_MIGRATION_API_KEY)) gets a
        C(secretKeyRef) to it, never the value.
      - C(ca_configmap) (C({name, key}), key V(ca.crt) by default) names a ConfigMap in the consumer's namespace
        holding the CA bundle that signs vLLM's certificate (on OpenShift the service CA bundle injected into a
        ConfigMap annotated C(service.beta.openshift.io/inject-cabundle), key V(service-ca.crt)); it is mounted
        at C(/etc/vllm-migration/ca/ca.crt), the path C(env.ca_file) (default V(VLLM_MIGRATION_CA_FILE)) gets.
      - A missing Secret, ConfigMap or key is refused before any consumer is changed; the rollback restores the
        variables, the volume and the mount exactly.
    type: dict
    default: {}
  consumer_env_names:
    description: The variable names a consumer gets unless its C(env) names others.
    type: dict
    default: {url: VLLM_MIGRATION_URL, api: VLLM_MIGRATION_API, model: VLLM_MIGRATION_MODEL}
  rollout_timeout:
    description: How long to wait for a consumer Deployment to roll out, in seconds; a failed rollout rolls back.
    type: int
    default: 600
  rollout_poll:
    description: Seconds between two looks at a rollout.
    type: int
    default: 5
  consumer_check_image:
    description:
      - Strategy V(consumer_env), once the consumers rolled out, an image with C(python3) (for example a UBI Python
        image, or the collection's execution environment) for a Job in each consumer's namespace that makes the
        consumer's request to vLLM under the consumer's ServiceAccount, with its variables, API key Secret and CA
        file. A NetworkPolicy that blocks the namespace, an HTTP 401 or an untrusted CA fails the cutover, which
        rolls back. The Job runs restricted and is deleted once read; it is not counted as a change.
      - Empty (the default) skips that check and says so in the log; the smoke check from the controller still runs.
    type: str
    default: ""
  consumer_check_timeout:
    description: Seconds the request of the consumer check may take (its Job may run a minute longer, to start).
    type: int
    default: 60
  routes:
    description:
      - Strategy V(route_weights), per model key, the OpenShift Route C({name, namespace, url}) whose traffic moves to
        the model's vLLM Service (same namespace). C(url) is how the gates reach it when not V(https://<its host>).
    type: dict
    default: {}
  route_steps:
    description: The share of traffic on vLLM at each step, in percent, increasing, ending at 100.
    type: list
    elements: int
    default: [10, 50, 100]
  route_settle:
    description: Seconds to wait after each weight change before its gate.
    type: int
    default: 10
  gate_requests:
    description: Requests of each gate's probe load through the Route.
    type: int
    default: 32
  gate_concurrency:
    description: Requests in flight at once during a gate.
    type: int
    default: 4
  gate_max_error_rate:
    description: Largest share of failed requests a gate accepts.
    type: float
    default: 0.0
  gate_max_p95_ms:
    description: Largest p95 latency a gate accepts, in milliseconds.
    type: float
    default: 1000
attributes:
  check_mode:
    support: full
    details:
      - Nothing is written; cluster writes are sent as server-side dry runs. The smoke check still probes the URL
        consumers would call; no rollout is waited for, the last Route step is dry-run and no gate runs.
  diff_mode:
    support: full
    details: One before/after per object or file that changes.
  platform:
    support: full
    platforms: posix
"""

EXAMPLES = r"""
- name: Cut minilm over on the local platform (an endpoint record file)
  vllm_pooling.migration.cutover:
    platform: local
    models: [minilm]
    endpoints: "{{ vllm_server_endpoints }}"
    report_path: reports/latest/report.json
    record_dir: .vllm-migration/endpoints
    state_dir: .vllm-migration/cutover
  register: cutover

- name: Move the traffic of a Route in steps, on the report ConfigMap's evidence
  vllm_pooling.migration.cutover:
    platform: openshift
    strategy: route_weights
    namespace: rag-prod
    report_source: configmap
    endpoints: "{{ vllm_migration_endpoints }}"
    routes:
      minilm: {name: rag-embeddings}
    route_steps: [10, 50, 100]
"""

RETURN = r"""
outcomes:
  description: Per model key moved, C({status, strategy, record, smoke}) (status V(cut_over)); what the role publishes.
  returned: always
  type: dict
stays:
  description: Per selected model the decision does not move, why it stays where it is.
  returned: always
  type: dict
refused:
  description: Per model, every problem of its evidence when the cutover was refused.
  returned: when refused
  type: dict
log:
  description:
    - What was done, in order, each with C(model) and C(action) (V(write), V(folder), V(plan), V(gate), V(weights),
      V(rollout_wait), V(smoke), V(note), V(cut_over), V(failed)) and its details.
  returned: always
  type: list
  elements: dict
msg:
  description: A summary in words, or why it failed.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import CUTOVER_STRATEGIES, PLATFORMS
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover import CutoverError
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover_io import Journal, KubeObjects, LocalFiles
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover_run import (
    CutoverRun, http_probe, load_report, now_utc, refusal_message, select_models)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.http_endpoint import HAS_REQUESTS, REQUESTS_IMPORT_ERROR
from ansible_collections.vllm_pooling.migration.plugins.module_utils.module_args import (
    fail_without_libraries, kubernetes_client, kubernetes_options)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.vectors import HAS_NUMPY

ARGUMENT_SPEC = dict(
    platform=dict(type="str", choices=list(PLATFORMS), required=True),
    strategy=dict(type="str", choices=list(CUTOVER_STRATEGIES), default="endpoint_record"),
    models=dict(type="list", elements="str", default=[]),
    endpoints=dict(type="dict", default={}),
    report_source=dict(type="str", choices=["file", "configmap"], default="file"),
    report_path=dict(type="path"),
    max_report_age=dict(type="int", default=86400),
    namespace=dict(type="str", default=""),
    record_dir=dict(type="path"),
    state_dir=dict(type="path"),
    endpoint_api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["VLLM_API_KEY"])),
    endpoint_validate_certs=dict(type="bool", default=True),
    endpoint_ca_path=dict(type="path"),
    endpoint_timeout=dict(type="float", default=60.0),
    smoke_requests=dict(type="int", default=8),
    smoke_concurrency=dict(type="int", default=2),
    smoke_max_error_rate=dict(type="float", default=0.0),
    smoke_max_p95_ms=dict(type="float", default=5000.0),
    consumers=dict(type="dict", default={}),
    consumer_env_names=dict(type="dict", default={"url": "VLLM_MIGRATION_URL", "api": "VLLM_MIGRATION_API",
                                                  "model": "VLLM_MIGRATION_MODEL"}),
    rollout_timeout=dict(type="int", default=600),
    rollout_poll=dict(type="int", default=5),
    consumer_check_image=dict(type="str", default=""),
    consumer_check_timeout=dict(type="int", default=60),
    routes=dict(type="dict", default={}),
    route_steps=dict(type="list", elements="int", default=[10, 50, 100]),
    route_settle=dict(type="int", default=10),
    gate_requests=dict(type="int", default=32),
    gate_concurrency=dict(type="int", default=4),
    gate_max_error_rate=dict(type="float", default=0.0),
    gate_max_p95_ms=dict(type="float", default=1000.0),
    **kubernetes_options()
)
LIMITS = ("requests", "concurrency", "max_error_rate", "max_p95_ms")


def settings(params):
    """The strategies' settings (cutover_strategies.Move) from the module's options."""
    names = ("namespace", "record_dir", "state_dir", "consumers", "consumer_env_names", "rollout_timeout",
             "rollout_poll", "consumer_check_image", "consumer_check_timeout", "routes", "route_steps", "route_settle")
    found = {name: params[name] for name in names}
    found["smoke"] = {name: params["smoke_" + name] for name in LIMITS}
    found["gate"] = {name: params["gate_" + name] for name in LIMITS}
    return found


def _missing(params, store):
    if store == "local":
        needed = ["state_dir", "record_dir"] + (["report_path"] if params["report_source"] == "file" else [])
    else:
        needed = ["namespace"] + (["report_path"] if params["report_source"] == "file" else [])
    return [name for name in needed if not params[name]]


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    fail_without_libraries(module, [("requests", HAS_REQUESTS, REQUESTS_IMPORT_ERROR), ("numpy", HAS_NUMPY, None)])
    p = module.params
    store = "local" if p["platform"] == "local" else "cluster"
    if store == "local" and p["report_source"] == "configmap":
        module.fail_json(msg="report_source configmap needs a cluster: on the local platform the report is a file")
    missing = _missing(p, store)
    if missing:
        module.fail_json(msg="cutover on the %s platform needs %s" % (p["platform"], ", ".join(missing)))
    journal = Journal()
    kube = KubeObjects(kubernetes_client(module), module.check_mode, journal) if store == "cluster" else None
    run = CutoverRun(store, settings(p), journal, kube=kube, files=LocalFiles(module.check_mode, journal),
                     probe=http_probe(p["endpoint_api_key"], p["endpoint_validate_certs"], p["endpoint_ca_path"],
                                      p["endpoint_timeout"]),
                     now=now_utc(), check_mode=module.check_mode)
    results, plan = {}, {"stays": {}}

    def done(**extra):
        return journal.result(module._diff, outcomes=results, stays=plan["stays"], **extra)

    try:
        report, digest = load_report(p["report_source"], p["report_path"], kube, p["namespace"])
        plan = select_models(report, p["models"], p["endpoints"], run.now, p["max_report_age"])
    except CutoverError as exc:
        module.fail_json(msg=str(exc), **done())
    if plan["refused"]:
        module.fail_json(msg=refusal_message(plan["refused"]), **done(refused=plan["refused"]))
    for key in plan["movable"]:
        try:
            results[key] = run.cut_over(key, p["strategy"], p["endpoints"][key], report, digest)
        except CutoverError as exc:
            module.fail_json(msg=str(exc), **done())
    moved = ", ".join(plan["movable"]) or "none"
    stays = "; ".join("%s stays: %s" % item for item in plan["stays"].items())
    module.exit_json(msg="cut over with %s: %s%s" % (p["strategy"], moved, (". " + stays) if stays else ""), **done())


if __name__ == "__main__":
    main()
