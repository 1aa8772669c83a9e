# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Scenarios of the report ConfigMap (test_report_configmap.py) and the OpenShift login (test_openshift_login_emulator.py).

``report_configmap`` runs the decide role on result records prepared here with the collection's own record
functions (no servers), on an emulated OpenShift. ``openshift_login`` runs the real playbooks/verify.yml and
cleanup_cluster.yml behind the OAuth stand-in (oauth_standin.py) over HTTPS with a private CA, logging in from
the environment as the AWX credential type injects it.
"""

from __future__ import annotations

import base64
import json

from ansible_collections.vllm_pooling.migration.plugins.module_utils.catalog import resolve_models
from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import COMMON_LABELS
from ansible_collections.vllm_pooling.migration.plugins.module_utils.records import (
    endpoint_record, result_record, verification_plan)
from credentials_scenarios import CANDIDATE_KEY, REFERENCE_TOKEN, TlsStandin
from discovery_scenarios import caikit_answer, vllm_answer
from harness import NAMESPACE, ROOT
from oauth_standin import PASSWORD, USERNAME, OAuthClusterEmulator, private_ca_tls
from scenarios import namespace, scenario

ABSENT_NAMESPACE = "vllm-emu-absent"
FOREIGN_NAMESPACE = "vllm-emu-foreign-report"
WRONG_PASSWORD = "not-the-Pa55word"

DECIDE_PLAYBOOK = """\
---
- name: Decide on prepared results (emulator test)
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Decide and keep the report
      ansible.builtin.include_role:
        name: vllm_pooling.migration.decide
      vars:
        decide_results: "{{ lookup('ansible.builtin.file', emulator_test_results_file) | from_json }}"

    - name: Apply the same report again
      ansible.builtin.include_role:
        name: vllm_pooling.migration.decide
        tasks_from: configmap
      when: emulator_test_reapply | default(false)

    - name: Look up the report ConfigMap as a later job would
      kubernetes.core.k8s_info:
        api_version: v1
        kind: ConfigMap
        namespace: "{{ vllm_migration_namespace }}"
        name: "{{ lookup('vllm_pooling.migration.constant', 'REPORT_CONFIGMAP') }}"
      register: emulator_test_found

    - name: Hand the report read back to the test
      ansible.builtin.copy:
        content: "{{ emulator_test_found.resources | first | vllm_pooling.migration.read_report_configmap | to_json }}"
        dest: "{{ emulator_test_read_file }}"
        mode: "0600"
      check_mode: false
      when: emulator_test_found.resources | length > 0 and emulator_test_read_back | default(true)
"""


def prepared_results(reason_extra=""):
    """Result records as the verify role records them: minilm passes, msmarco fails (no benchmark: performance waived)."""
    results = {}
    for entry in resolve_models({}, ["minilm", "msmarco"]):
        ready = endpoint_record(entry, "ready", url="https://vllm-%s-%s.apps.emulator.test" % (entry["key"], NAMESPACE),
                                platform="openshift", server="vllm-" + entry["key"], namespace=NAMESPACE)
        reference = {"type": "caikit", "url": "https://caikit.apps.emulator.test", "api_key": "reference-secret"}
        passed = entry["key"] == "minilm"
        check = {"passed": passed, "msg": "compared" + reason_extra,
                 "gates": {"cosine": {"passed": passed, "min": 0.9999 if passed else 0.41, "mean": 0.99995 if passed else 0.5,
                                      "p01": 0.9999 if passed else 0.42, "threshold": 0.99, "reason": "cosine"}},
                 "failed_gates": [] if passed else ["score_parity"], "skipped_gates": [], "corpus_size": 20}
        results[entry["key"]] = result_record(entry, ready, reference, plan=verification_plan(entry, ready, reference),
                                              check=check)
    return results


def report_vars(sc, step, **more):
    results_file = sc.workdir / ("results-%s.json" % step)
    results_file.write_text(json.dumps(prepared_results(more.pop("reason_extra", ""))))
    return dict({"vllm_migration_platform": "openshift", "vllm_migration_namespace": NAMESPACE,
                 "vllm_migration_require_performance": False,
                 "vllm_migration_report_dir": str(sc.workdir / ("reports-%s" % step)),
                 "emulator_test_results_file": str(results_file),
                 "emulator_test_read_file": str(sc.workdir / ("read-%s.json" % step))}, **more)


@scenario()
def report_configmap(sc):
    (sc.workdir / "decide.yml").write_text(DECIDE_PLAYBOOK)
    sc.emulator.create("/api/v1/namespaces", namespace(NAMESPACE, dict(COMMON_LABELS)))
    sc.playbook("publish", "decide.yml", report_vars(sc, "publish", emulator_test_reapply=True))
    # A new run makes a new report: in check mode only a dry run, shown as a diff.
    sc.playbook("check", "decide.yml", report_vars(sc, "check"), check=True, extra_args=["--diff"])
    # More than a ConfigMap holds: the files stay, the record is refused with a clear message.
    sc.playbook("too_large", "decide.yml", report_vars(sc, "too_large", reason_extra="x" * (1024 * 1024)))
    sc.playbook("no_namespace", "decide.yml", report_vars(sc, "no_namespace", vllm_migration_namespace=ABSENT_NAMESPACE))
    sc.playbook("no_namespace_check", "decide.yml",
                report_vars(sc, "no_namespace_check", vllm_migration_namespace=ABSENT_NAMESPACE), check=True)
    # A report ConfigMap of the same name that someone else made is left as it is, and not named on the job's page.
    sc.emulator.create("/api/v1/namespaces", namespace(FOREIGN_NAMESPACE, dict(COMMON_LABELS)))
    sc.emulator.create("/api/v1/namespaces/%s/configmaps" % FOREIGN_NAMESPACE, {
        "apiVersion": "v1", "kind": "ConfigMap", "data": {"note": "hand-made"},
        "metadata": {"name": "vllm-migration-report", "namespace": FOREIGN_NAMESPACE, "labels": {"team": "search"}}})
    # (read_report_configmap refuses such a ConfigMap, so a later cutover never takes its report: not read back here)
    sc.playbook("foreign", "decide.yml", report_vars(sc, "foreign", vllm_migration_namespace=FOREIGN_NAMESPACE,
                                                     emulator_test_read_back=False))


def oauth_state(sc):
    status, body = sc.emulator.request("GET", "/_standin/oauth")
    assert status == 200, body
    return body


def login_env(sc, ca=True, **env):
    """The environment of the AWX credential type (API URL, certificate check, username, password) and the CA."""
    sc.env = dict(sc.base_env, K8S_AUTH_HOST=sc.emulator.url, K8S_AUTH_VERIFY_SSL="True", **env)
    if ca:
        sc.env["K8S_AUTH_SSL_CA_CERT"] = sc.emulator.ca_file


def login_vars(sc, step):
    return {"vllm_migration_platform": "openshift", "vllm_migration_namespace": NAMESPACE,
            "vllm_migration_models": ["minilm"], "vllm_migration_report_dir": str(sc.workdir / ("reports-%s" % step))}


@scenario(emulator_class=OAuthClusterEmulator, tls=private_ca_tls)
def openshift_login(sc):
    # The kubeconfig's token stands for an expired one: the stand-in refuses it, only a login gets through.
    sc.base_env = dict(sc.env)
    sc.emulator.create("/api/v1/namespaces", namespace(NAMESPACE, dict(COMMON_LABELS)))
    login_env(sc)
    sc.playbook("no_login", ROOT / "playbooks" / "verify.yml", login_vars(sc, "no_login"))
    sc.record("no_login_oauth", oauth=oauth_state(sc))
    # Certificates are verified: without the private CA the login stops before sending the password.
    login_env(sc, ca=False, VLLM_MIGRATION_OPENSHIFT_USERNAME=USERNAME, VLLM_MIGRATION_OPENSHIFT_PASSWORD=PASSWORD)
    sc.playbook("untrusted", ROOT / "playbooks" / "verify.yml", login_vars(sc, "untrusted"))
    sc.record("untrusted_oauth", oauth=oauth_state(sc))
    login_env(sc, VLLM_MIGRATION_OPENSHIFT_USERNAME=USERNAME, VLLM_MIGRATION_OPENSHIFT_PASSWORD=WRONG_PASSWORD)
    sc.playbook("wrong_password", ROOT / "playbooks" / "verify.yml", login_vars(sc, "wrong_password"))
    sc.record("wrong_password_oauth", oauth=oauth_state(sc))
    login_env(sc, VLLM_MIGRATION_OPENSHIFT_USERNAME=USERNAME, VLLM_MIGRATION_OPENSHIFT_PASSWORD=PASSWORD)
    sc.playbook("verify", ROOT / "playbooks" / "verify.yml", login_vars(sc, "verify"))
    sc.record("verify_oauth", oauth=oauth_state(sc))
    sc.playbook("verify_check", ROOT / "playbooks" / "verify.yml", login_vars(sc, "verify_check"), check=True)
    sc.record("verify_check_oauth", oauth=oauth_state(sc))
    # The checks read a reference's token from a Secret through the same login (the kubeconfig's token is refused).
    sc.emulator.create("/api/v1/namespaces/%s/secrets" % NAMESPACE, {
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": {"name": "caikit-token", "namespace": NAMESPACE},
        "data": {"token": base64.b64encode(REFERENCE_TOKEN.encode()).decode()}})
    with TlsStandin(lambda path, body: vllm_answer(path[len("/vllm"):], body), (CANDIDATE_KEY,)) as candidates, \
            TlsStandin(caikit_answer, (REFERENCE_TOKEN,)) as references:
        sc.playbook("verify_checks", ROOT / "playbooks" / "verify.yml", dict(
            login_vars(sc, "verify_checks"), vllm_migration_api_key=CANDIDATE_KEY, vllm_migration_ca_path=candidates.ca_file,
            vllm_migration_retrieval=False, vllm_migration_client_check=False,
            vllm_migration_endpoints={"minilm": {"status": "ready", "url": candidates.url + "/vllm", "served_name": "minilm",
                                                 "platform": "openshift"}},
            vllm_migration_references={"minilm": {
                "type": "caikit", "url": references.url + "/embeddings", "model": "all-minilm-l6-v2",
                "ca_path": references.ca_file, "api_key_from": {"secret": "%s/caikit-token" % NAMESPACE}}}))
        sc.record("verify_checks_oauth", oauth=oauth_state(sc), reference_requests=list(references.requests))
    sc.playbook("cleanup", ROOT / "playbooks" / "cleanup_cluster.yml", {"vllm_migration_namespace": NAMESPACE})
    sc.record("cleanup_oauth", oauth=oauth_state(sc))
