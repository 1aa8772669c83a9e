# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Scenario of the in-cluster benchmark Job (test_benchmark_job_emulator.py).

The emulator runs no pod, so the test plays the Job: ``play_pod`` reads the Job the module created, resolves its
environment from the Secrets it names (as the kubelet would), materializes its parameters ConfigMap and runs the
container's own command - ``ansible-playbook vllm_pooling.migration.run_in_job`` - here, against two stub
servers on 127.0.0.1 standing for vLLM's Service and the reference's internal URL, writing the result ConfigMap
through the emulated API. Then it writes the Job's status (Complete or Failed), which no controller does here.
"""

from __future__ import annotations

import base64
import json
import subprocess
import threading
import time

from harness import BIN, NAMESPACE, ROOT, PlaybookRun, _json_documents, role_playbook
from scenarios import namespace, scenario
from stub_embeddings import StubEmbeddings

JOB = "vllm-migration-benchmark"
MODULE_NAME = "bench-lifecycle"  # the module steps' Job; the role's is the default JOB
IMAGE = "registry.example.com/vllm-pooling-migration-ee:0.1.0"
VLLM_KEY = "emulator-vllm-key"
REFERENCE_KEY = "emulator-reference-key"
FAILED_LOG = ("PLAY [Benchmark from the Job's parameters and hand the records back] ***\n"
              "fatal: [localhost]: FAILED! => {\"msg\": \"couldn't resolve module/action 'vllm_pooling.migration.serving_benchmark'\"}\n")

# Short levels: one level of 1 s per server on stubs that answer in a millisecond. Window factor 2: the level stays
# valid while a shape's p99 is under 500 ms (at the default 10, a 110 ms hiccup of a busy CI machine made it invalid);
# a slower shape (a 0.9 s p99 of the stub's batches while the other scenarios ran beside it) has the level measured
# again for longer, up to 6 s, as the benchmark does on real servers, instead of leaving it unmeasured.
SETTINGS = {"benchmark_models": ["minilm"], "benchmark_levels": [1], "benchmark_duration": 1, "benchmark_warmup": 0,
            "benchmark_max_duration": 6, "benchmark_window_factor": 2, "benchmark_throughput_ratio": 0.01,
            "benchmark_p95_bound_ms": 10000}

MODULE_PLAYBOOK = """\
---
- name: The benchmark_job module (emulator test)
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Start the benchmark Job
      vllm_pooling.migration.benchmark_job: &start
        namespace: "{{ emulator_namespace }}"
        name: "{{ emulator_job }}"
        image: "{{ emulator_image }}"
        candidates: "{{ emulator_candidates }}"
        references: "{{ emulator_references }}"
        settings: "{{ emulator_settings }}"
      when: "'start' in emulator_steps"

    - name: Start it again
      vllm_pooling.migration.benchmark_job: *start
      when: "'again' in emulator_steps"

    - name: Collect the benchmark Job
      vllm_pooling.migration.benchmark_job:
        state: collected
        namespace: "{{ emulator_namespace }}"
        name: "{{ emulator_job }}"
      ignore_errors: true  # the test reads the failure
      when: "'collect' in emulator_steps"
"""

ROLE_PLAYBOOK = role_playbook("The benchmark role with its Job", "benchmark", "benchmark_results")


def endpoints(vllm):
    """The vLLM endpoint record as the vllm_server role records it; its Service URL is the stub here."""
    return {"minilm": {"status": "ready", "url": "https://vllm-minilm-%s.apps.emulator.test" % NAMESPACE,
                       "served_name": "minilm", "service_url": vllm.url, "api_key_secret": "vllm-api-key",
                       "platform": "openshift", "namespace": NAMESPACE, "server": "vllm-minilm"}}


def seed_servers_namespace(sc):
    """The migration's namespace and the servers' API key Secret, as the namespace and vllm_server roles write them."""
    sc.emulator.create("/api/v1/namespaces", namespace(NAMESPACE, {"app.kubernetes.io/managed-by": "vllm_pooling.migration"}))
    sc.emulator.create("/api/v1/namespaces/%s/secrets" % NAMESPACE, {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "vllm-api-key", "namespace": NAMESPACE, "labels": {
            "app.kubernetes.io/managed-by": "vllm_pooling.migration"}},
        "data": {"api-key": base64.b64encode(VLLM_KEY.encode()).decode()}})


def references(reference):
    return {"minilm": {"type": "openai", "url": "https://caikit.apps.emulator.test", "internal_url": reference.url,
                       "model": "minilm", "api_key": REFERENCE_KEY}}


def module_vars(vllm, reference, steps):
    return {"emulator_namespace": NAMESPACE, "emulator_job": MODULE_NAME, "emulator_image": IMAGE,
            "emulator_candidates": endpoints(vllm), "emulator_references": references(reference),
            "emulator_settings": SETTINGS, "emulator_steps": steps}


def role_vars(sc, step, vllm, reference):
    return {"vllm_migration_namespace": NAMESPACE, "benchmark_platform": "openshift", "benchmark_client": "cluster_job",
            "benchmark_job_image": IMAGE, "benchmark_job_poll": 1, "benchmark_candidates": endpoints(vllm),
            "benchmark_references": references(reference), **SETTINGS,
            "benchmark_chart_dir": str(sc.workdir / ("charts-%s" % step)),
            "emulator_results_file": str(sc.workdir / ("results-%s.json" % step))}


def _get(sc, path):
    status, body = sc.emulator.request("GET", path)
    return body if status == 200 else None


def _secret_value(sc, name, key):
    secret = _get(sc, "/api/v1/namespaces/%s/secrets/%s" % (NAMESPACE, name))
    assert secret is not None, "the Job's pod would not start: Secret %s is missing" % name
    return base64.b64decode(secret["data"][key]).decode()


def play_pod(sc, job_name, step, output_file=None):
    """Run the Job's container command here, as its pod would, and record the run as ``step``."""
    job = _get(sc, "/apis/batch/v1/namespaces/%s/jobs/%s" % (NAMESPACE, job_name))
    (container,) = job["spec"]["template"]["spec"]["containers"]
    env = dict(sc.env)
    for item in container["env"]:
        if "value" in item:
            env[item["name"]] = item["value"]
        else:
            ref = item["valueFrom"]["secretKeyRef"]
            env[item["name"]] = _secret_value(sc, ref["name"], ref["key"])
    # the pod's emptyDir at /tmp is a folder of this scenario here
    home = sc.workdir / ("pod-%s" % step)
    home.mkdir(exist_ok=True)
    env.update(HOME=str(home), ANSIBLE_LOCAL_TEMP=str(home / "ansible"), MPLCONFIGDIR=str(home / "matplotlib"))
    (volume,) = [v for v in job["spec"]["template"]["spec"]["volumes"] if v["name"] == "parameters"]
    configmap = _get(sc, "/api/v1/namespaces/%s/configmaps/%s" % (NAMESPACE, volume["configMap"]["name"]))
    parameters = home / "parameters.json"
    parameters.write_text(_mounted(configmap["data"]["parameters.json"], job, getattr(sc, "claims", {})))
    command = [str(BIN / container["command"][0])] + [
        "vllm_migration_job_parameters_file=%s" % parameters if part.startswith("vllm_migration_job_parameters_file=")
        else part for part in container["command"][1:]]
    if output_file:  # the same playbook outside a cluster: a file instead of the result ConfigMap
        (index,) = [i for i, part in enumerate(command) if part.startswith("vllm_migration_job_result_configmap=")]
        command[index] = "vllm_migration_job_output_file=%s" % output_file
    writes_before = len(sc.emulator.writes())
    proc = subprocess.run(command, cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=600, check=False)
    try:
        output = _json_documents(proc.stdout)
    except ValueError:
        output = {"plays": [], "stats": {}}
    sc.record(step, run=PlaybookRun(proc.returncode, output, proc.stdout, proc.stderr, None), command=command, job=job,
              writes=sc.emulator.writes()[writes_before:], parameters=json.loads(configmap["data"]["parameters.json"]))


def _mounted(text, job, claims):
    """The parameters as the pod reads them: a claim the Job mounts (its volume's mountPath) is the scenario's folder
    of that claim here (``claims``: claim name -> folder), as a kubelet would mount it."""
    spec = job["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    for volume in spec["volumes"]:
        claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
        if claim:
            (mount,) = [m for m in container["volumeMounts"] if m["name"] == volume["name"]]
            text = text.replace('"%s' % mount["mountPath"], '"%s' % claims[claim])
    return text


def set_job_status(sc, job_name, status):
    sc.emulator.patch("/apis/batch/v1/namespaces/%s/jobs/%s" % (NAMESPACE, job_name), {"status": status})


COMPLETE = {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}
FAILED = {"failed": 1, "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                                       "message": "Job has reached the specified backoff limit"}]}


def fail_job(sc, job_name):
    """What a kubelet and the Job controller leave behind a failed run: a failed pod, its log, the Failed condition."""
    pod = "%s-x7k2p" % job_name
    sc.emulator.create("/api/v1/namespaces/%s/pods" % NAMESPACE, {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": pod, "namespace": NAMESPACE,
                                                        "labels": {"job-name": job_name, "batch.kubernetes.io/job-name": job_name}},
        "spec": {"containers": [{"name": "benchmark", "image": IMAGE}]},
        "status": {"phase": "Failed", "containerStatuses": [{"name": "benchmark", "state": {
            "terminated": {"reason": "Error", "exitCode": 2}}}]}})
    sc.emulator.set_options(pod_logs={(NAMESPACE, pod, False): FAILED_LOG})
    set_job_status(sc, job_name, FAILED)


def when_started(sc, job_name, act, timeout=300):
    """A thread that waits for a Job of that name without a status (a new one) and then acts on it."""
    def watch():
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            job = _get(sc, "/apis/batch/v1/namespaces/%s/jobs/%s" % (NAMESPACE, job_name))
            if job is not None and not job.get("status"):
                act()
                return
            time.sleep(0.5)
    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


@scenario(jobs_finish=False)
def benchmark_job(sc):
    (sc.workdir / "module.yml").write_text(MODULE_PLAYBOOK)
    (sc.workdir / "role.yml").write_text(ROLE_PLAYBOOK)
    seed_servers_namespace(sc)
    with StubEmbeddings() as vllm, StubEmbeddings() as reference:
        sc.playbook("check", "module.yml", module_vars(vllm, reference, ["start", "collect"]), check=True,
                    extra_args=["--diff"])
        sc.playbook("start", "module.yml", module_vars(vllm, reference, ["start", "again", "collect"]))
        # the test plays that Job's pod outside a cluster: its command writing a file instead of the ConfigMap
        play_pod(sc, MODULE_NAME, "file", output_file=str(sc.workdir / "results-file.json"))
        # the role: starts its Job, waits (one line per poll) while the test plays the pod (its command as it is,
        # writing the result ConfigMap) and completes the Job, and records what the Job returned
        player = when_started(sc, JOB, lambda: (play_pod(sc, JOB, "role_pod"), set_job_status(sc, JOB, COMPLETE)))
        sc.playbook("role", "role.yml", role_vars(sc, "role", vllm, reference))
        player.join(10)
        sc.record("servers", vllm_auth=sorted(vllm.authorizations), reference_auth=sorted(reference.authorizations),
                  vllm_requests=vllm.requests, reference_requests=reference.requests)
        # the role again: the finished Job is replaced (its records emptied first), and this one fails
        player = when_started(sc, JOB, lambda: fail_job(sc, JOB))
        sc.playbook("role_failed", "role.yml", role_vars(sc, "role_failed", vllm, reference))
        player.join(10)
