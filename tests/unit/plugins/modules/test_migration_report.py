# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""migration_report's main(): writes both folders, says nothing was written in check mode, fails with the folder
and what to do when it cannot write."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ansible_collections.vllm_pooling.migration.plugins.modules import migration_report

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "module_utils"))
from test_report_record import outputs  # noqa: E402  (the published records the decide role hands over)


def test_main_writes_the_report_and_returns_its_texts(run_main, tmp_path):
    models, decision = outputs()
    result = run_main(migration_report.main, {"models": models, "decision": decision, "report_dir": str(tmp_path)})
    assert result["changed"] is True and not result.get("failed")
    assert json.loads((tmp_path / "latest" / "report.json").read_text())["decision"]["decision"] == decision["decision"]
    assert (tmp_path / "latest" / "report.md").read_text() == result["markdown"]
    assert result["summary"][0] == "decision: %s" % decision["decision"]


def test_main_in_check_mode_writes_nothing(run_main, tmp_path):
    models, decision = outputs()
    result = run_main(migration_report.main, {"models": models, "decision": decision, "report_dir": str(tmp_path / "r"),
                                              "_ansible_check_mode": True})
    assert not (tmp_path / "r").exists() and result["latest"] == ""
    assert "report: not written (check mode)" in result["summary"]


def test_main_fails_with_the_folder_when_it_cannot_write(run_main, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    models, decision = outputs()
    result = run_main(migration_report.main, {"models": models, "decision": decision, "report_dir": str(blocker)})
    assert result["failed"] is True and str(blocker) in result["msg"] and "writable" in result["msg"]
    assert "Traceback" not in result["msg"]


def test_main_refuses_a_decision_without_its_time(run_main, tmp_path):
    models, decision = outputs()
    result = run_main(migration_report.main, {"models": models, "decision": dict(decision, generated_at=""),
                                              "report_dir": str(tmp_path)})
    assert result["failed"] is True and "generated_at" in result["msg"] and not (tmp_path / "latest").exists()
