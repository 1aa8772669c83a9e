# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The checks of the molecule scenario ``emulator`` (molecule/emulator/tasks/check_server.yml, what its
verify step runs) pass on the objects the roles really sent in the ``openshift`` scenario, and fail on
each of them broken the way a role change could break it: one ansible-playbook run, one host per case.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess

import pytest

from harness import BIN, NAMESPACE, ROOT, _json_documents

CHECKS = ROOT / "molecule" / "emulator" / "tasks" / "check_server.yml"
KINDS = ("Deployment", "Service", "NetworkPolicy", "Route")
KEY = "minilm"
COMMON = {
    "check_key": KEY, "check_model": "sentence-transformers/all-MiniLM-L6-v2", "check_served_name": "minilm",
    "check_claim": "vllm-model-cache", "check_hf_home": "/models/hf",
    "check_owner_labels": {"app.kubernetes.io/managed-by": "vllm_pooling.migration",
                           "app.kubernetes.io/part-of": "vllm-migration",
                           "app.kubernetes.io/component": "vllm-server", "vllm-migration/model": KEY},
}


def _pod(objects):
    return objects["Deployment"][0]["spec"]["template"]["spec"]


def _vllm(objects):
    return _pod(objects)["containers"][0]


def _drop_flag(objects, flag):
    args = _vllm(objects)["args"]
    del args[args.index(flag):args.index(flag) + 2]


def _set_flag(objects, flag, value):
    args = _vllm(objects)["args"]
    args[args.index(flag) + 1] = value


def _set_env(objects, name, value):
    for variable in _vllm(objects)["env"]:
        if variable["name"] == name:
            variable["value"] = value


# case -> (how it breaks the objects, the check task that must fail)
SECURITY = "Check every container's restricted security context"
POD = "Check the pod's restricted security context"
SERVING = "Check the model, the served name and the runner"
CACHE = "Check that the model comes from the model cache, offline"
OBJECTS = "Check that there is one object of each kind, with the ownership labels"
SELECTION = "Check that the Service and the NetworkPolicy select the server's pods, and only named peers may connect"
ROUTE = "Check that the Route exposes /v1 only, over TLS, to the server's Service"
BROKEN = {
    "privilege_escalation": (lambda o: _vllm(o)["securityContext"].update(allowPrivilegeEscalation=True), SECURITY),
    "capabilities_kept": (lambda o: _vllm(o)["securityContext"].pop("capabilities"), SECURITY),
    "capability_added": (lambda o: _vllm(o)["securityContext"]["capabilities"].update(add=["NET_RAW"]), SECURITY),
    "seccomp_unconfined": (lambda o: _vllm(o)["securityContext"].update(seccompProfile={"type": "Unconfined"}), SECURITY),
    "privileged": (lambda o: _vllm(o)["securityContext"].update(privileged=True), SECURITY),
    "root_allowed": (lambda o: _pod(o)["securityContext"].pop("runAsNonRoot"), POD),
    "user_pinned": (lambda o: _pod(o)["securityContext"].update(runAsUser=0), POD),
    "runner_missing": (lambda o: _drop_flag(o, "--runner"), SERVING),
    "runner_generate": (lambda o: _set_flag(o, "--runner", "generate"), SERVING),
    "served_name_changed": (lambda o: _set_flag(o, "--served-model-name", "all-MiniLM-L6-v2"), SERVING),
    "model_changed": (lambda o: _vllm(o)["args"].__setitem__(0, "sentence-transformers/all-mpnet-base-v2"), SERVING),
    "online": (lambda o: _set_env(o, "HF_HUB_OFFLINE", "0"), CACHE),
    "cache_not_mounted": (lambda o: _pod(o).update(volumes=[v for v in _pod(o)["volumes"]
                                                            if "persistentVolumeClaim" not in v]), CACHE),
    "owner_label_missing": (lambda o: o["Deployment"][0]["metadata"]["labels"].pop("app.kubernetes.io/managed-by"),
                            OBJECTS),
    "network_policy_missing": (lambda o: o.update(NetworkPolicy=[]), OBJECTS),
    "network_policy_open": (lambda o: o["NetworkPolicy"][0]["spec"]["ingress"][0].pop("from"), SELECTION),
    "network_policy_elsewhere": (lambda o: o["NetworkPolicy"][0]["spec"]["podSelector"].update(matchLabels={"app": "x"}),
                                 SELECTION),
    "route_path_root": (lambda o: o["Route"][0]["spec"].update(path="/"), ROUTE),
    "route_plain_http": (lambda o: o["Route"][0]["spec"].pop("tls"), ROUTE),
}


@pytest.fixture(scope="module")
def checked(openshift, tmp_path_factory):
    """{case: (failed task or None, its message)} from one run of the checks, one host per case."""
    step = openshift.step("converge")
    assert step["run"].returncode == 0, step["run"].describe()
    intact = {kind: [obj for (ns, _name), obj in sorted(step["objects"][kind].items())
                     if ns == NAMESPACE and obj["metadata"].get("labels", {}).get("vllm-migration/model") == KEY]
              for kind in KINDS}
    hosts = {"intact": {"check_objects": intact}}
    for case, (breaks, _task) in BROKEN.items():
        objects = copy.deepcopy(intact)
        breaks(objects)
        hosts[case] = {"check_objects": objects}
    workdir = tmp_path_factory.mktemp("molecule_verify")
    inventory = workdir / "inventory.json"
    inventory.write_text(json.dumps({"all": {"hosts": {case: dict(host_vars, ansible_connection="local")
                                                       for case, host_vars in hosts.items()},
                                             "vars": COMMON}}))
    playbook = workdir / "check.yml"
    playbook.write_text("- name: Run the checks of molecule/emulator/verify.yml\n  hosts: all\n  gather_facts: false\n"
                        "  tasks:\n    - name: Checks\n      ansible.builtin.include_tasks: %s\n" % CHECKS)
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_NOCOLOR="1", ANSIBLE_FORKS="25",
               ANSIBLE_LOCAL_TEMP=str(workdir), PATH=str(BIN) + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(inventory), str(playbook)], cwd=str(ROOT),
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    output = _json_documents(proc.stdout)
    failures = {case: (None, "") for case in hosts}
    for play in output["plays"]:
        for task in play["tasks"]:
            for case, result in task["hosts"].items():
                if result.get("failed") and failures[case][0] is None:
                    messages = [r.get("msg", "") for r in result.get("results", [])] + [result.get("msg", "")]
                    failures[case] = (task["task"]["name"], " ".join(m for m in messages if m))
    assert set(output["stats"]) == set(hosts), proc.stderr[-2000:]
    return failures


def test_the_checks_pass_on_what_the_roles_send(checked):
    assert checked["intact"] == (None, "")


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_the_checks_fail_on_a_broken_object(checked, case):
    task, message = checked[case]
    assert task == BROKEN[case][1], (task, message)
