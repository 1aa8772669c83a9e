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


def _run(playbook, extra_vars, tmp_path):
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps(dict(extra_vars, vllm_migration_state_dir=str(tmp_path / "state"),
                                     vllm_migration_report_dir=str(tmp_path / "reports"))))
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               VLLM_MIGRATION_CACHE_DIR=str(tmp_path / "cache"), KUBECONFIG=str(tmp_path / "no-kubeconfig"))
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
