# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Where reports go by default: reports/ under the working directory of the ansible-playbook process (on AWX
/runner/project/reports, as docs/awx.md says), the same for the decide and cutover roles and
playbooks/benchmark.yml: not the collection's folder (read-only in an execution environment) and not what
the PWD variable says (unset, or another process's folder, when the job is started by a program)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _render(variables, expressions, cwd, environ):
    """The expressions rendered by ansible-playbook started in cwd, with the given variables as play variables."""
    play = [{"name": "render", "hosts": "localhost", "connection": "local", "gather_facts": False, "vars": variables,
             "tasks": [{"name": "render", "ansible.builtin.debug": {"msg": e}} for e in expressions]}]
    playbook = cwd / "render.yml"
    playbook.write_text(yaml.safe_dump(play))
    env = dict(environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    # -i localhost,: not the repository's local inventory, whose group_vars set vllm_migration_report_dir
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", str(playbook)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return [task["hosts"]["localhost"]["msg"].strip() for task in json.loads(proc.stdout)["plays"][0]["tasks"]]


def _defaults(role):
    return yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text())


def _benchmark_vars():
    (play,) = yaml.safe_load((ROOT / "playbooks" / "benchmark.yml").read_text())
    return play["vars"]


CASES = {
    "decide_report_dir": (lambda: _defaults("decide"), "{{ decide_report_dir }}", ""),
    "cutover_report_path": (lambda: _defaults("cutover"), "{{ cutover_report_path }}", "/latest/report.json"),
    "benchmark run folder": (_benchmark_vars, "{{ __benchmark_run_dir | dirname }}", ""),
}


def test_every_report_default_is_reports_under_the_processs_working_directory(tmp_path):
    """Started by a program from another folder: PWD names that other folder, or is not set at all."""
    cwd = tmp_path / "runner" / "project"
    cwd.mkdir(parents=True)
    for label, environ in (("PWD elsewhere", dict(os.environ, PWD=str(tmp_path / "elsewhere"))),
                           ("PWD unset", {k: v for k, v in os.environ.items() if k != "PWD"})):
        variables = {}
        for case in CASES.values():
            variables.update(case[0]())
        rendered = _render(variables, [case[1] for case in CASES.values()], cwd, environ)
        for name, value, case in zip(CASES, rendered, CASES.values()):
            assert value == "%s/reports%s" % (cwd, case[2]), (label, name, value)


def test_the_default_is_written_in_one_place():
    texts = {"decide": (ROOT / "roles" / "decide" / "defaults" / "main.yml").read_text(),
             "cutover": (ROOT / "roles" / "cutover" / "defaults" / "main.yml").read_text(),
             "benchmark": (ROOT / "playbooks" / "benchmark.yml").read_text()}
    for name, text in texts.items():
        assert "lookup('vllm_pooling.migration.constant', 'report_dir')" in text, name
        assert "PWD" not in text and "playbook_dir" not in text, name
