# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""roles/caikit_server/files/caikit_bootstrap.py in check mode (nothing imported or made): which folders it would
make, and which the runtime loads - every model folder of the models dir, which the role's restart rule follows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "roles" / "caikit_server" / "files" / "caikit_bootstrap.py"


def bootstrap_check(models_dir, models, weights):
    proc = subprocess.run([sys.executable, str(SCRIPT), "--check", str(models_dir)], capture_output=True, text=True,
                          input=json.dumps({"models": models, "weights": weights}), check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def entry(key, model_id, kind="embedding"):
    return {"key": key, "caikit_model_id": model_id, "kind": kind}


def test_the_loaded_folders_are_every_folder_of_the_dir_not_only_the_selected_ones(tmp_path):
    for name in ("minilm", "bert_ce"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.yml").write_text("module_class: x\n")
    (tmp_path / "half-made").mkdir()  # no config.yml: not a model folder, the runtime skips it
    found = bootstrap_check(tmp_path, [entry("minilm", "minilm"), entry("xlmr", "xlmr_ce", "reranker")],
                            {"minilm": "/w/minilm", "xlmr": "/w/xlmr"})
    assert found == {"made": ["xlmr_ce"], "present": ["minilm"], "loaded": ["bert_ce", "minilm", "xlmr_ce"]}
    # a smaller selection leaves what the runtime loads, and so its fingerprint, as it is
    fewer = bootstrap_check(tmp_path, [entry("minilm", "minilm")], {"minilm": "/w/minilm"})
    assert fewer["loaded"] == ["bert_ce", "minilm"] and fewer["made"] == []


def test_variants_of_one_model_id_make_one_folder(tmp_path):
    found = bootstrap_check(tmp_path / "new", [entry("minilm", "minilm"), entry("minilm_cls", "minilm")],
                            {"minilm": "/w/a", "minilm_cls": "/w/b"})
    assert found == {"made": ["minilm"], "present": [], "loaded": ["minilm"]}
