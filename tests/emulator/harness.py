# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The machinery of the emulator tests: a *scenario* is a fresh ``ClusterEmulator`` and a sequence of
real ``ansible-playbook`` runs on it, recorded step by step (the playbook's JSON output, the
``vllm_server_endpoints`` fact, the write requests the emulator saw, and a snapshot of its objects
taken right after the step). Scenarios run in background threads, several at once; tests wait for
the step they look at and assert on its record. See conftest.py for why.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kube_emulator import RunningEmulator

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BIN = Path(sys.executable).parent

NAMESPACE = "vllm-emu"
MANAGED_BY = "app.kubernetes.io/managed-by=vllm_pooling.migration"

# Kinds a snapshot lists, cluster-wide: (API path prefix, plural).
SNAPSHOT_KINDS = {
    "Namespace": "/api/v1/namespaces",
    "ResourceQuota": "/api/v1/resourcequotas",
    "PersistentVolumeClaim": "/api/v1/persistentvolumeclaims",
    "Secret": "/api/v1/secrets",
    "ServiceAccount": "/api/v1/serviceaccounts",
    "Role": "/apis/rbac.authorization.k8s.io/v1/roles",
    "RoleBinding": "/apis/rbac.authorization.k8s.io/v1/rolebindings",
    "ConfigMap": "/api/v1/configmaps",
    "Service": "/api/v1/services",
    "Pod": "/api/v1/pods",
    "Deployment": "/apis/apps/v1/deployments",
    "Job": "/apis/batch/v1/jobs",
    "Ingress": "/apis/networking.k8s.io/v1/ingresses",
    "NetworkPolicy": "/apis/networking.k8s.io/v1/networkpolicies",
    "Route": "/apis/route.openshift.io/v1/routes",
    "InferenceService": "/apis/serving.kserve.io/v1beta1/inferenceservices",
    "ServingRuntime": "/apis/serving.kserve.io/v1alpha1/servingruntimes",
}

# Runs the three roles in the order playbooks/provision.yml would on a cluster.
PROVISION_PLAYBOOK = """\
---
- name: Provision the cluster objects (emulator test)
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Namespace
      ansible.builtin.include_role:
        name: vllm_pooling.migration.namespace
      when: emulator_test_roles is not defined or 'namespace' in emulator_test_roles
    - name: Model cache
      ansible.builtin.include_role:
        name: vllm_pooling.migration.model_cache
      when: emulator_test_roles is not defined or 'model_cache' in emulator_test_roles
    - name: vLLM servers
      ansible.builtin.include_role:
        name: vllm_pooling.migration.vllm_server
    - name: Hand the endpoints to the test
      ansible.builtin.copy:
        content: "{{ vllm_server_endpoints | to_nice_json }}"
        dest: "{{ emulator_test_endpoints_file }}"
        mode: "0600"
      check_mode: false
      changed_when: false
"""

REMOVE_PLAYBOOK = """\
---
- name: Remove some models' servers (emulator test)
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Remove
      ansible.builtin.include_role:
        name: vllm_pooling.migration.vllm_server
        tasks_from: cluster_remove
"""


class PlaybookRun:
    """One ansible-playbook run: return code, JSON callback output, stderr, the endpoints fact."""

    def __init__(self, returncode, output, stdout, stderr, endpoints):
        self.returncode = returncode
        self.output = output
        self.stdout = stdout
        self.stderr = stderr
        self.endpoints = endpoints

    @property
    def stats(self):
        return self.output.get("stats", {}).get("localhost", {})

    def tasks(self):
        """(task name, host result) for every task of every play, in order."""
        for play in self.output.get("plays", []):
            for task in play.get("tasks", []):
                result = task.get("hosts", {}).get("localhost")
                if result is not None:  # names without the "namespace.collection.role : " prefix
                    yield task["task"]["name"].split(" : ", 1)[-1], result

    def changed_tasks(self):
        return [name for name, result in self.tasks() if result.get("changed")]

    def describe(self):
        failed = [(name, result.get("msg")) for name, result in self.tasks() if result.get("failed")]
        return "rc=%s stats=%s failed=%s\nstderr: %s\nstdout tail: %s" % (
            self.returncode, self.stats, failed, self.stderr[-2000:], self.stdout[-1500:])


def _json_documents(text):
    """The JSON callback prints one document per playbook: keep the plays, the last stats."""
    decoder = json.JSONDecoder()
    merged, index = {"plays": []}, 0
    while True:
        start = text.find("{", index)
        if start < 0:
            break
        document, index = decoder.raw_decode(text, start)
        merged["plays"] += document.get("plays", [])
        merged["stats"] = document.get("stats", merged.get("stats"))
    if "stats" not in merged:
        raise ValueError("no JSON document in the output")
    return merged


class Scenario:
    """A fresh emulator and a sequence of playbook runs on it, recorded step by step."""

    def __init__(self, name, workdir, **emulator_options):
        self.name = name
        self.workdir = Path(workdir)
        self.emulator = RunningEmulator(**emulator_options)
        self.steps = {}
        self._events = {}
        self._lock = threading.Lock()
        self.error = None

    # --- used by scenario functions (background thread) ---

    def start(self):
        self.emulator.start()
        kubeconfig = self.workdir / "kubeconfig"
        kubeconfig.write_text(json.dumps(self.emulator.kubeconfig()))
        (self.workdir / "provision.yml").write_text(PROVISION_PLAYBOOK)
        (self.workdir / "remove.yml").write_text(REMOVE_PLAYBOOK)
        (self.workdir / "tmp").mkdir(exist_ok=True)
        self.env = dict(
            os.environ,
            KUBECONFIG=str(kubeconfig),
            ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
            ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
            ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_LOCAL_TEMP=str(self.workdir / "tmp"),
            # The kubernetes client caches API discovery per server URL under the temp dir; emulators
            # of other scenarios may reuse a port with other kinds, so each scenario has its own.
            TMPDIR=str(self.workdir / "tmp"),
            PATH=str(BIN) + os.pathsep + os.environ.get("PATH", ""),
        )

    def inventory(self, name, variables):
        path = self.workdir / ("inventory-%s.yml" % name)
        path.write_text(json.dumps({"all": {
            "hosts": {"localhost": {"ansible_connection": "local",
                                    "ansible_python_interpreter": sys.executable}},
            "vars": variables}}))
        return path

    def playbook(self, step, playbook, variables, check=False, extra_args=()):
        endpoints_file = self.workdir / ("endpoints-%s.json" % step)
        # Scenarios about other things expose servers without an API key: allowed here unless a scenario says
        # otherwise (the kubernetes scenario's step "refused" proves the refusal the role makes by default).
        variables = dict({"vllm_server_allow_unauthenticated": True}, **variables)
        variables["emulator_test_endpoints_file"] = str(endpoints_file)
        inventory = self.inventory(step, variables)
        playbook = self.workdir / playbook if not os.path.isabs(str(playbook)) else playbook
        cmd = [str(BIN / "ansible-playbook"), "-i", str(inventory), str(playbook)] + list(extra_args)
        if check:
            cmd.append("--check")
        writes_before, seen_before = len(self.emulator.writes()), len(self.emulator.seen())
        proc = subprocess.run(cmd, cwd=str(ROOT), env=self.env, capture_output=True, text=True, timeout=600, check=False)
        try:
            output = _json_documents(proc.stdout)
        except ValueError:
            output = {"plays": [], "stats": {}}
        endpoints = json.loads(endpoints_file.read_text()) if endpoints_file.exists() else None
        run = PlaybookRun(proc.returncode, output, proc.stdout, proc.stderr, endpoints)
        self.record(step, run=run, writes=self.emulator.writes()[writes_before:],
                    requests=self.emulator.seen()[seen_before:])
        return run

    def snapshot(self):
        """Every object of SNAPSHOT_KINDS, cluster-wide, as {kind: {(namespace, name): object}}."""
        snapshot = {}
        for kind, path in SNAPSHOT_KINDS.items():
            status, body = self.emulator.request("GET", path)
            if status == 404:  # a kind this emulator does not serve (Route on plain Kubernetes, KServe's kinds)
                continue
            assert status == 200, "listing %s answered %s: %s" % (path, status, body)
            snapshot[kind] = {(o["metadata"].get("namespace"), o["metadata"]["name"]): o for o in body["items"]}
        return snapshot

    def record(self, step, **data):
        data.setdefault("objects", self.snapshot())
        with self._lock:
            self.steps[step] = data
            self._event(step).set()

    def _event(self, step):
        return self._events.setdefault(step, threading.Event())

    def fail(self, error):
        self.error = error
        with self._lock:
            for event in list(self._events.values()):
                event.set()

    # --- used by tests (main thread) ---

    def step(self, name, timeout=900):
        with self._lock:
            event = self._event(name)
        if not event.wait(timeout):
            raise AssertionError("scenario %s: step %s did not finish within %s s" % (self.name, name, timeout))
        if name not in self.steps:
            raise AssertionError("scenario %s stopped before step %s: %s" % (self.name, name, self.error))
        return self.steps[name]

    def finish(self):
        with self._lock:
            for event in self._events.values():
                event.set()
        self.emulator.stop()


class ScenarioPool:
    """Runs the scenarios in threads, several at once (each step is a subprocess, so threads suffice)."""

    def __init__(self, registry, workdir, workers):
        self.registry = registry
        self.workdir = Path(workdir)
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scenario")
        self.started = {}

    def start(self, name):
        if name not in self.started:
            fn, options = self.registry[name]
            workdir = self.workdir / name
            workdir.mkdir(parents=True, exist_ok=True)
            sc = Scenario(name, workdir, **options)
            self.started[name] = sc
            self.executor.submit(self._run, fn, sc)
        return self.started[name]

    @staticmethod
    def _run(fn, sc):
        try:
            sc.start()
            fn(sc)
        except BaseException:  # recorded for the tests of this scenario, which then fail with it
            sc.fail(traceback.format_exc())
        finally:
            sc.finish()

    def close(self):
        self.executor.shutdown(wait=True)


def role_playbook(title, role, results):
    """A playbook that runs one role of the collection, then writes its ``results`` variable as JSON to the file
    ``emulator_results_file`` names, for the test to read."""
    return """\
---
- name: %s (emulator test)
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Run the role
      ansible.builtin.include_role:
        name: vllm_pooling.migration.%s

    - name: Hand the records to the test
      ansible.builtin.copy:
        content: "{{ %s | to_nice_json }}"
        dest: "{{ emulator_results_file }}"
        mode: "0600"
      check_mode: false
""" % (title, role, results)


def pod_labels(model):
    """The labels the role gives a server's pods (its Deployment's pod template)."""
    return {"app.kubernetes.io/managed-by": "vllm_pooling.migration", "app.kubernetes.io/part-of": "vllm-migration",
            "app.kubernetes.io/component": "vllm-server", "app.kubernetes.io/name": "vllm",
            "app.kubernetes.io/instance": "vllm-" + model.replace("_", "-"), "vllm-migration/model": model}
