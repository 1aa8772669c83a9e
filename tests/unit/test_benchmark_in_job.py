# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""playbooks/run_in_job.yml refuses a parameters file that sets anything but the benchmark role's options (or
an API key), before any request: what the benchmark Job runs cannot be turned into something else through its
ConfigMap. Its real runs, in a file and into the result ConfigMap, are in tests/emulator/test_benchmark_job_emulator.py."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from test_awx import BIN, ROOT  # noqa: E402 - tests/unit is on sys.path under pytest


@pytest.mark.parametrize("parameters, named", [
    ({"benchmark_models": ["minilm"], "ansible_python_interpreter": "/bin/false"}, "ansible_python_interpreter"),
    ({"benchmark_models": ["minilm"], "benchmark_reference_api_keys": {"minilm": "x"}}, "benchmark_reference_api_keys"),
])
def test_a_parameters_file_with_other_variables_is_refused(tmp_path, parameters, named):
    path = tmp_path / "parameters.json"
    path.write_text(json.dumps(parameters))
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([str(BIN / "ansible-playbook"), str(ROOT / "playbooks" / "run_in_job.yml"),
                           "-e", "vllm_migration_job_parameters_file=%s" % path,
                           "-e", "vllm_migration_job_output_file=%s" % (tmp_path / "out.json")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode != 0
    assert "holds %s: it may hold only the benchmark role's options" % named in proc.stdout, proc.stdout[-3000:]
    assert "Benchmark every model of the parameters" not in proc.stdout and not (tmp_path / "out.json").exists()
