# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Playbook-level settings that are wrong say so by name, before anything talks to a cluster or a server:
a mistyped platform, a model selection given as a string, a catalog entry with a field of the wrong type."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils.catalog import CatalogError, resolve_models

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize("overrides,selected,words", [
    ({}, "minilm", ["vllm_migration_models", "list", "'minilm'"]),
    ({"minilm": {"max_tokens": "lots"}}, ["minilm"], ["vllm_migration_catalog", "'minilm'", "max_tokens", "'lots'"]),
    ({"minilm": {"dimension": -3}}, ["minilm"], ["vllm_migration_catalog", "'minilm'", "dimension", "-3"]),
    ({"minilm": {"normalized": "perhaps"}}, ["minilm"], ["'minilm'", "normalized", "perhaps"]),
    ({"x": {"model": 5, "kind": "embedding"}}, ["x"], ["'x'", "model", "string"]),
])
def test_catalog_errors_name_the_setting_the_model_and_the_field(overrides, selected, words):
    with pytest.raises(CatalogError) as raised:
        resolve_models(overrides, selected)
    assert all(word in str(raised.value) for word in words), str(raised.value)


def test_catalog_numbers_as_digit_strings_are_read_as_numbers():
    """An inventory or -e value that is a number in a string (max_tokens: "512") still works."""
    (entry,) = resolve_models({"minilm": {"max_tokens": "512", "normalized": "true"}}, ["minilm"])
    assert entry["max_tokens"] == 512 and entry["normalized"] is True


def _run(playbook, extra_vars, tmp_path, **environ):
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps(dict(extra_vars, vllm_migration_state_dir=str(tmp_path / "state"),
                                     vllm_migration_report_dir=str(tmp_path / "reports"))))
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               VLLM_MIGRATION_CACHE_DIR=str(tmp_path / "cache"), KUBECONFIG=str(tmp_path / "no-kubeconfig"), **environ)
    return subprocess.run([str(BIN / "ansible-playbook"), playbook, "--check", "-e", "@%s" % extra], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def _playbooks_reading(variable):
    return sorted("playbooks/" + p.name for p in (ROOT / "playbooks").glob("*.yml") if variable in p.read_text())


@pytest.mark.parametrize("playbook", _playbooks_reading("vllm_migration_platform"))
def test_a_mistyped_platform_is_refused_by_name_before_any_task(playbook, tmp_path):
    proc = _run(playbook, {"vllm_migration_platform": "opnshift"}, tmp_path)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "vllm_migration_platform" in out and "opnshift" in out and "local, openshift, kubernetes" in out, out[-3000:]
    assert "kube-config" not in out and "API client" not in out
    assert re.search(r"\bok=[01]\b", out), "tasks ran before the settings were checked: " + out[-2000:]


def test_a_model_selection_given_as_a_string_is_refused_by_name(tmp_path):
    proc = _run("playbooks/migrate.yml", {"vllm_migration_models": "minilm"}, tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "vllm_migration_models" in out and "m, i, n" not in out, out[-3000:]
    assert re.search(r"\bok=[01]\b", out), "tasks ran before the settings were checked: " + out[-2000:]


def test_a_catalog_field_of_the_wrong_type_is_refused_naming_the_model(tmp_path):
    proc = _run("playbooks/migrate.yml", {"vllm_migration_catalog": {"minilm": {"max_tokens": "lots"}}}, tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    assert "vllm_migration_catalog" in out and "'minilm'" in out and "max_tokens" in out and "lots" in out, out[-3000:]
    assert re.search(r"\bok=[01]\b", out), "tasks ran before the settings were checked: " + out[-2000:]


DISCOVERY_TASK = "Find the Caikit InferenceServices and ask their runtimes for their models"


@pytest.mark.parametrize("given,wanted", [
    ("rag-prod,team-b", ["rag-prod", "team-b"]),  # an AWX survey's text answer
    (["rag-prod"], ["rag-prod"]),
    ("", []),  # a survey answer left blank: every namespace
    (None, []),  # not given
])
def test_discovery_namespaces_pass_the_settings_check_and_reach_the_module_as_a_list(given, wanted, tmp_path):
    """The settings check accepts what the module's list option converts, and the module gets the list: without
    a kubeconfig it stops at its client, after its options were converted (the result's invocation shows them)."""
    extra = {} if given is None else {"vllm_migration_discover_namespaces": given}
    proc = _run("playbooks/discover.yml", extra, tmp_path, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    results = {task["task"]["name"]: task["hosts"]["localhost"] for play in json.loads(proc.stdout)["plays"]
               for task in play["tasks"]}
    (check,) = [result for name, result in results.items() if name.startswith("Check the playbook settings")]
    assert not check.get("failed"), check
    discovery = results[DISCOVERY_TASK]
    assert discovery["invocation"]["module_args"]["namespaces"] == wanted, discovery


def test_discovery_namespaces_of_a_type_no_list_holds_are_refused_by_name_before_any_task(tmp_path):
    proc = _run("playbooks/discover.yml", {"vllm_migration_discover_namespaces": {"rag-prod": "team-b"}}, tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "vllm_migration_discover_namespaces" in out and "convert to list" in out, out[-3000:]
    assert "kube-config" not in out and re.search(r"\bok=0\b", out), (
        "tasks ran before the settings were checked: " + out[-2000:])
