#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
module: serving_benchmark
short_description: Benchmark a vLLM pooling endpoint against the server it replaces, and gate on the numbers
version_added: 0.1.0
description:
  - Sends the same workload to a candidate (vLLM, or any server of the OpenAI C(/v1/embeddings) and
    C(/v1/rerank) API) and to a reference (the Caikit-NLP runtime being replaced, or another
    OpenAI-compatible server), one after the other at each load level, alternating which goes first
    so that drift of the machine affects both.
  - "The load generator is asynchronous (aiohttp, one pooled session per server, request bodies encoded
    before timing). Closed loop (O(mode=closed)): O(levels) are concurrencies, each worker sends its next
    request when the previous one is answered. Open loop (O(mode=open)): O(levels) are fixed request rates;
    latency counts from the scheduled start, so queueing shows."
  - "Embedding workload: a mix (O(mix)) of short queries, one ~128-token RAG chunk, one chunk near the
    model's O(max_tokens), and batches of O(batch_size) chunks. Reranker workload: a query with
    O(documents) passages. Every distinct request is sent once to each server before timing (calibration,
    skipped when O(calibration) from an earlier call matches); a server that rejects it or answers with the
    wrong number of results fails the task, since timing it would measure errors."
  - "Per level and server: requests/s, texts/s, tokens/s (prompt tokens as vLLM reports them), latency
    p50/p95/p99/max, errors by class (C(timeout), C(http_4xx), C(http_5xx), C(connection))."
  - "A level counts only when it is valid on both servers: its window is at least O(window_factor) x the p99 of the
    slowest request shape and holds O(min_completions) answers of every shape. A level that is not is measured
    again for longer, up to O(max_duration); if it still is not, it is reported C(valid=false) with C(invalid_reason)
    and excluded. With no valid level the record is V(not_measured), never passed."
  - "The reference is protected: at most O(reference_max_concurrency) requests in flight (4 unless
    O(reference_high_load_allowed)), optionally at most O(reference_max_rate) requests/s, and a stop rule
    (O(reference_stop_error_rate), O(reference_stop_p99_ms)). C(reference_load) says what it received."
  - "Gates: C(throughput_ratio) (candidate texts/s >= O(throughput_ratio) x reference at every valid level where
    both ran without errors; a level where only the candidate had errors fails) and C(latency_p95) (p95 of
    the candidate's single-text requests, rerank requests for a reranker, at the lowest level <= O(p95_bound_ms))."
  - "The record's C(client) says where the load generator ran (O(client_location)) and the path it took to each
    server (C(local), C(service), C(route), C(ingress) or C(network), from the URL and O(platform)). Measured
    through the router (C(route) or C(ingress)) the latency gate keeps its numbers but does not gate
    (C(gating=false), \"measured through the router: not gating\") unless O(p95_gate_through_router) is set; the
    throughput ratio gates either way."
  - The result is the performance record (schema C(vllm_pooling.migration/performance/v1)) that the
    C(decide) role consumes. A gate failure does not fail the task unless O(fail_on_gate) is set.
  - To show progress in long runs, call the module once per level with O(previous_levels) set to the
    C(levels) of the previous call (as the C(benchmark) role does); each call returns the record over all
    levels so far.
author:
  - vllm_pooling.migration maintainers (@vllm-pooling)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - vllm_pooling.migration.endpoint
  - vllm_pooling.migration.endpoint.candidate
  - vllm_pooling.migration.endpoint.reference
  - vllm_pooling.migration.endpoint.candidate_from
  - vllm_pooling.migration.endpoint.reference_from
  - vllm_pooling.migration.kubernetes.checks
options:
  model:
    description:
      - Name of the model being benchmarked (the catalog key), used in messages and the chart.
    type: str
    required: true
  kind:
    description:
      - What the model does; selects the workload (embeddings or query + documents).
    type: str
    choices: [embedding, reranker]
    default: embedding
  max_tokens:
    description:
      - The model's input limit in tokens; near-limit chunks are built from it (80% of it in words).
      - Defaults to 512 when not given.
    type: int
  mode:
    description:
      - V(closed) measures at fixed concurrencies, V(open) at fixed offered request rates.
    type: str
    choices: [closed, open]
    default: closed
  levels:
    description:
      - Concurrencies (O(mode=closed)) or requests per second (O(mode=open)) to measure, in this order.
    type: list
    elements: float
    default: [1, 4, 16, 64]
  duration:
    description:
      - Seconds of measured load per level and server. A level that is not valid (see O(window_factor)) is
        measured again for longer, up to O(max_duration).
    type: float
    default: 10
  max_duration:
    description:
      - Longest measured window per level and server when a level is lengthened because it is not valid; V(0) (or a
        value at or below O(duration)) measures once. A level still not valid is reported with C(valid=false) and
        C(invalid_reason) and excluded from the C(throughput_ratio) gate.
    type: float
    default: 120
  window_factor:
    description:
      - A level is valid for a server when its window is at least this many times the p99 latency of its slowest
        request shape (and O(min_completions) holds), since rates count the requests answered inside the window, which
        estimates a shape's rate only when the window is long against that shape's latency.
    type: float
    default: 10
  min_completions:
    description:
      - A level is valid for a server only when every request shape of the workload has at least this many
        successful answers inside the window.
    type: int
    default: 5
  reference_max_concurrency:
    description:
      - Most requests in flight the reference receives. Closed-loop levels above it are not sent to the reference
        (they are reported and not compared); in O(mode=open) its connection pool is capped to it.
      - Values above 4 need O(reference_high_load_allowed), since the reference is often the production server
        its consumers use.
    type: int
    default: 4
  reference_max_rate:
    description:
      - O(mode=open) only. Levels above this many requests per second are not sent to the reference; V(0) for no cap.
    type: float
    default: 0
  reference_high_load_allowed:
    description:
      - Allow O(reference_max_concurrency) above 4. Set it only when the reference may take that load (a copy, or
        a local server of this collection); the C(benchmark) role sets it on the local platform.
    type: bool
    default: false
  reference_stop_error_rate:
    description:
      - Stop sending the reference a level once more than this share of its answers (after 20) failed; the level is
        reported C(stopped), not compared, and higher levels are not sent to the reference. V(0) turns the rule off.
    type: float
    default: 0.05
  reference_stop_p99_ms:
    description:
      - Stop sending the reference a level once more than 1% of its answers (after 20) took longer than this, in
        milliseconds (its p99 is past the bound); handled as O(reference_stop_error_rate). V(0) turns the rule off.
    type: float
    default: 0
  max_requests:
    description:
      - Stop a level after this many requests per server even before O(duration); V(0) for no limit.
    type: int
    default: 0
  warmup:
    description:
      - Seconds of unmeasured load per level and server before measuring (fills connection pools and caches).
    type: float
    default: 2
  max_connections:
    description:
      - Connection pool size per server in O(mode=open) (in closed loop it is the highest concurrency).
    type: int
    default: 64
  mix:
    description:
      - Embeddings only. Weights of the request shapes per round, keys C(query), C(chunk), C(long_chunk), C(batch).
      - Defaults to C(query=4, chunk=2, long_chunk=1, batch=1).
    type: dict
  batch_size:
    description:
      - Texts per request of the C(batch) shape.
    type: int
    default: 32
  documents:
    description:
      - Rerankers only. Documents per query.
    type: int
    default: 16
  throughput_ratio:
    description:
      - Lowest acceptable candidate/reference ratio of texts per second at any compared level.
    type: float
    default: 0.8
  p95_bound_ms:
    description:
      - Highest acceptable p95 latency of the candidate's single-text requests at the lowest level, in milliseconds.
    type: float
    default: 100
  advisory:
    description:
      - Mark the record advisory, so a failed gate is reported as a warning and does not block the decision
        (the C(benchmark) role sets it on the local platform, where 2 CPU cores do not predict GPU serving).
    type: bool
    default: false
  platform_note:
    description:
      - Sentence for the record and the report about where this was measured and how far it predicts production.
    type: str
    default: ""
  client_location:
    description:
      - Where this module runs, recorded in the record's C(client.location) - V(controller) (the machine that runs
        ansible-playbook) or V(cluster_job) (the benchmark Job inside the cluster, module
        M(vllm_pooling.migration.benchmark_job)).
    type: str
    choices: [controller, cluster_job]
    default: controller
  platform:
    description:
      - Where the servers run; with the URLs it gives the path in C(client.path) and C(client.reference_path) -
        a loopback URL is V(local), a C(*.svc) URL V(service), any other URL V(route) on V(openshift), V(ingress) on
        V(kubernetes) and V(network) on V(local).
    type: str
    choices: [local, openshift, kubernetes]
    default: local
  p95_gate_through_router:
    description:
      - Let the C(latency_p95) gate decide the status also when vLLM was reached through the router (C(client.path)
        V(route) or V(ingress)); by default such a p95 is reported with C(gating=false) and does not gate.
    type: bool
    default: false
  previous_levels:
    description:
      - Levels measured by earlier calls (the C(performance.levels) they returned); the record covers them
        and the levels measured now. A level measured again replaces the earlier one.
    type: list
    elements: dict
    default: []
  calibration:
    description:
      - The C(calibration) returned by an earlier call of the same workload on the same servers.
      - Before its first level each call sends every distinct request once to each server, checks every
        answer and reads the prompt tokens per request (the calibration pass, several seconds for the default
        embedding workload on a CPU). With a matching O(calibration) that pass is skipped and its token counts
        are used. One made for other requests or other servers is ignored, and the pass runs.
      - The C(benchmark) role passes the first level's calibration to the later levels.
    type: dict
    default: {}
  reference_first:
    description:
      - Measure the reference before the candidate at the first level (they alternate from there).
      - The C(benchmark) role sets it on every other level when it calls the module once per level.
    type: bool
    default: false
  chart_path:
    description:
      - Write a PNG chart (texts/s and p95 latency against the level, both servers) to this path.
      - Needs matplotlib on the managed node; without it the task warns and C(chart) is null.
    type: path
  fail_on_gate:
    description:
      - Fail the task when the record's status is V(failed) and it is not advisory.
        Errors reaching a server always fail.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details: In check mode no load is sent and no chart is written; the record is V(not_measured).
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
requirements:
  - aiohttp
  - numpy
  - matplotlib (only for O(chart_path))
notes:
  - On 2 CPU cores the load generator shares the machine with the servers; its own CPU seconds per level
    are reported as C(client_cpu_s) so that can be judged. C(benchmarks/harness_vs_wrk) compares it with wrk.
  - Uses the C(/v1) paths on purpose, since vLLM's C(--api-key) protects only those.
"""

EXAMPLES = r"""
- name: Benchmark vLLM against the Caikit runtime it replaces
  vllm_pooling.migration.serving_benchmark:
    model: minilm
    max_tokens: 256
    candidate_url: https://minilm-vllm.apps.example.com
    candidate_model: minilm
    candidate_api_key: "{{ vllm_api_key }}"
    reference_type: caikit
    reference_url: https://caikit.apps.example.com
    reference_model: all-minilm-l6-v2
    ca_path: /etc/pki/ingress-ca.pem
    chart_path: reports/minilm-benchmark.png
  register: bench

- name: A quick open-loop run at fixed rates, a reranker against another vLLM
  vllm_pooling.migration.serving_benchmark:
    model: msmarco
    kind: reranker
    max_tokens: 512
    candidate_url: http://127.0.0.1:8001
    candidate_model: msmarco
    reference_type: openai
    reference_url: http://127.0.0.1:8002
    mode: open
    levels: [5, 10, 20]
    duration: 20
    reference_max_rate: 10

- name: Sweep a shared Caikit up to concurrency 16, stopping if its p99 passes 5 s or 2% of requests fail
  vllm_pooling.migration.serving_benchmark:
    model: minilm
    candidate_url: https://minilm-vllm.apps.example.com
    candidate_model: minilm
    reference_type: caikit
    reference_url: https://caikit.apps.example.com
    levels: [1, 4, 16]
    reference_max_concurrency: 16
    reference_high_load_allowed: true
    reference_stop_p99_ms: 5000
    reference_stop_error_rate: 0.02
    max_duration: 60

- name: Show the verdict
  ansible.builtin.debug:
    msg: "{{ bench.performance.status }}: {{ bench.performance.reason }}"
"""

RETURN = r"""
performance:
  description:
    - The performance record, schema C(vllm_pooling.migration/performance/v1).
    - C(status) is V(passed), V(failed), V(not_measured) or V(error); C(advisory) true means a failure does not block.
    - C(gates.throughput_ratio) has C(passed), C(reason), C(threshold) and C(levels) (per level C(concurrency),
      C(rate), C(ratio), C(passed) (null when not compared), C(note)); C(gates.latency_p95) has C(passed),
      C(reason), C(bound_ms), C(p95_ms), C(level).
    - C(levels) has per level C(concurrency) (or C(rate)), C(ratio), and C(candidate) and C(reference) statistics
      C(requests), C(succeeded), C(errors) (by class), C(error_count), C(error_samples), C(duration_s),
      C(requests_per_s), C(texts_per_s), C(tokens_per_s), C(latency_ms) (C(p50), C(p95), C(p99), C(mean), C(max)),
      C(single_text_p95_ms), C(by_shape), C(client_cpu_s); C(window_s) (the window the rates count), C(windows_tried_s)
      (every window measured, the last kept), C(completions_by_shape) (successful answers inside the window per
      shape), C(slowest_shape) and C(slowest_p99_ms), C(valid), C(invalid_reason), C(stopped) (why the stop rule
      ended the run, or null), C(not_sent) (why the reference was not sent this level) and C(load) (C(concurrency),
      C(rate), C(requests) including warm-up and lengthened runs, C(seconds)). Per level also C(valid) (both servers)
      and C(invalid_reason).
    - C(reference_load) has C(max_concurrency), C(max_rate), C(requests), C(duration_s) (what the reference received),
      C(not_sent) and C(stopped) (levels), and C(limits) (C(max_concurrency), C(max_rate), C(high_load_allowed),
      C(stop_rule)).
    - C(workload), C(candidate), C(reference), C(chart) (the PNG path or null), C(platform_note).
    - C(client) has C(location), C(path), C(reference_path), C(latency_gating) and C(note) (a sentence on where the
      load generator ran and what the path means for the gates); C(gates.latency_p95.gating) repeats
      C(latency_gating).
  returned: always
  type: dict
  sample:
    schema: vllm_pooling.migration/performance/v1
    status: passed
    advisory: false
    reason: "throughput >= 0.80 x the reference at every compared level (lowest 0.93 at concurrency 1);
      p95 of single-text requests 12.1 ms <= 100 ms at concurrency 1"
    chart: reports/minilm-benchmark.png
levels:
  description: The same as C(performance.levels), for passing to O(previous_levels) of the next call.
  returned: always
  type: list
  elements: dict
calibration:
  description:
    - What the calibration pass found, for passing to O(calibration) of the next call. C(fingerprint) is the
      sha256 of the requests and both servers' identity; C(table) has per distinct request its C(shape), C(texts),
      C(tokens) and C(tokens_reported). Empty in check mode and when the benchmark failed.
  returned: always
  type: dict
"""

import traceback

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark_chart import HAS_MATPLOTLIB
from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark_client import client_record
from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import REFERENCE_SERVERS
from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError
from ansible_collections.vllm_pooling.migration.plugins.module_utils.http_endpoint import base_url_without_api_path
from ansible_collections.vllm_pooling.migration.plugins.module_utils.load_generator import (
    AIOHTTP_IMPORT_ERROR, HAS_AIOHTTP)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.module_args import (
    apply_cluster_credentials, candidate_options, check_options, credential_mutually_exclusive, credential_options,
    endpoint_options, fail_without_libraries, reference_api_key, reference_ca, reference_options, reference_required_if)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.vectors import HAS_NUMPY

if HAS_NUMPY and HAS_AIOHTTP:
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark import (
        Benchmark, failed_record, reference_limits, run_benchmark)
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark_workload import WorkloadError
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.level_validity import ValidityRule
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.load_generator import Target


def _targets(module):
    """The candidate (always the OpenAI API) and the reference; a base URL ending in /v1 is used without it."""
    p = module.params
    urls = []
    for option in ("candidate_url", "reference_url"):
        url, warning = base_url_without_api_path(p[option])
        if warning:
            module.warn("%s: %s" % (option, warning))
        urls.append(url)
    return (Target("candidate", "openai", urls[0], p["candidate_model"], api_key=p["candidate_api_key"],
                   validate_certs=p["validate_certs"], ca_path=p["ca_path"]),
            Target("reference", p["reference_type"], urls[1], p["reference_model"] or p["candidate_model"],
                   api_key=reference_api_key(p), validate_certs=p["validate_certs"],
                   ca_path=reference_ca(p)))  # the reference's own CA where given


def _settings(module):
    p = module.params
    candidate, reference = _targets(module)
    return Benchmark(
        p["model"], candidate, reference, kind=p["kind"], max_tokens=p["max_tokens"], mode=p["mode"], levels=p["levels"],
        duration=p["duration"], warmup=p["warmup"], max_requests=p["max_requests"],
        max_connections=p["max_connections"], timeout=p["timeout"], mix=p["mix"], batch_size=p["batch_size"],
        documents=p["documents"], throughput_ratio=p["throughput_ratio"], p95_bound_ms=p["p95_bound_ms"],
        advisory=p["advisory"], platform_note=p["platform_note"], reference_first=p["reference_first"],
        client=client_record(p["client_location"], p["platform"], candidate.base_url, reference.base_url,
                             p["p95_gate_through_router"]),
        rule=ValidityRule(p["window_factor"], p["min_completions"], p["max_duration"]),
        limits=reference_limits(p["reference_max_concurrency"], p["reference_max_rate"],
                                p["reference_high_load_allowed"], p["reference_stop_error_rate"],
                                p["reference_stop_p99_ms"]))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            model=dict(type="str", required=True),
            kind=dict(type="str", choices=["embedding", "reranker"], default="embedding"),
            max_tokens=dict(type="int", no_log=False),
            mode=dict(type="str", choices=["closed", "open"], default="closed"),
            levels=dict(type="list", elements="float", default=[1, 4, 16, 64]),
            duration=dict(type="float", default=10),
            max_requests=dict(type="int", default=0),
            warmup=dict(type="float", default=2),
            max_connections=dict(type="int", default=64),
            mix=dict(type="dict"),
            batch_size=dict(type="int", default=32),
            documents=dict(type="int", default=16),
            throughput_ratio=dict(type="float", default=0.8),
            p95_bound_ms=dict(type="float", default=100),
            advisory=dict(type="bool", default=False),
            platform_note=dict(type="str", default=""),
            client_location=dict(type="str", choices=["controller", "cluster_job"], default="controller"),
            platform=dict(type="str", choices=["local", "openshift", "kubernetes"], default="local"),
            p95_gate_through_router=dict(type="bool", default=False),
            previous_levels=dict(type="list", elements="dict", default=[]),
            calibration=dict(type="dict", default={}),
            reference_first=dict(type="bool", default=False),
            max_duration=dict(type="float", default=120),
            window_factor=dict(type="float", default=10),
            min_completions=dict(type="int", default=5),
            reference_max_concurrency=dict(type="int", default=4),
            reference_max_rate=dict(type="float", default=0),
            reference_high_load_allowed=dict(type="bool", default=False),
            reference_stop_error_rate=dict(type="float", default=0.05),
            reference_stop_p99_ms=dict(type="float", default=0),
            chart_path=dict(type="path"),
            **candidate_options(), **reference_options(), **check_options(fail_on_gate=False), **endpoint_options(),
            **credential_options()
        ),
        required_if=reference_required_if(),
        mutually_exclusive=credential_mutually_exclusive(),
        supports_check_mode=True,
    )
    fail_without_libraries(module, [("aiohttp", HAS_AIOHTTP, AIOHTTP_IMPORT_ERROR), ("numpy", HAS_NUMPY, None)])
    p = module.params
    if p["reference_type"] not in REFERENCE_SERVERS:
        module.fail_json(msg="model '%s': reference_type=%s is a file, which serves no load; benchmark against a "
                             "server (reference_type %s) at reference_url"
                         % (p["model"], p["reference_type"], " or ".join(REFERENCE_SERVERS)))
    apply_cluster_credentials(module)  # tokens and CAs read from the cluster (*_api_key_from, *_ca_from)
    try:
        settings = _settings(module)
    except CheckError as exc:  # the reference's token variable is not set
        module.fail_json(msg=exc.message, error=exc.as_dict())
    problems = settings.problems()
    if problems:
        module.fail_json(msg="model '%s': %s" % (p["model"], "; ".join(problems)))
    chart_path = p["chart_path"]
    if chart_path and not HAS_MATPLOTLIB:
        module.warn("matplotlib is not installed, so no chart is written to %s" % chart_path)
        chart_path = None

    result = dict(changed=False)
    try:
        record, calibration = run_benchmark(settings, previous_levels=p["previous_levels"], calibration=p["calibration"],
                                            chart_path=chart_path, check_mode=module.check_mode)
    except WorkloadError as exc:
        module.fail_json(msg="model '%s': %s" % (p["model"], exc), **result)
    except CheckError as exc:
        record = failed_record(settings, exc.message)
        module.fail_json(msg=exc.message, error=exc.as_dict(), performance=record, levels=[], calibration={}, **result)
    except Exception as exc:  # a bug of ours must still name model and endpoints
        module.fail_json(msg="model '%s': unexpected error benchmarking %s against %s: %s"
                         % (p["model"], p["candidate_url"], p["reference_url"], exc),
                         exception=traceback.format_exc(), **result)
    result.update(performance=record, levels=record["levels"], calibration=calibration, changed=bool(record["chart"]),
                  msg="model '%s': performance %s: %s" % (p["model"], record["status"], record["reason"]))
    if p["fail_on_gate"] and record["status"] == "failed" and not record["advisory"]:
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
