# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""migration_report's main(): writes both folders, says nothing was written in check mode, fails with the folder
and what to do when it cannot write."""

from __future__ import annotations

import json

from ansible_collections.vllm_pooling.migration.plugins.module_utils.decision import decide
from ansible_collections.vllm_pooling.migration.plugins.modules import migration_report

# (test_report_record's richer records are not imported: that module loads the filter plugins, and a controller-side
# import makes every module's warnings go to the controller's display instead of the result)


def outputs():
    """``(vllm_migration, vllm_migration_decision)`` of one passed embedding model, as the decide role publishes them."""
    models = {"minilm": {"key": "minilm", "kind": "embedding", "status": "passed", "model": "m",
                         "performance": {"status": "passed", "advisory": False, "reason": "ok"}}}
    record = decide(models)
    decision = {key: record[key] for key in ("decision", "reasons", "passed_models", "blocked_models", "performance_required")}
    decision.update(warnings=record["warnings"], platform="local", generated_at="2026-11-24T08:00:00Z")
    models["minilm"]["verdict"] = {"ok": True, "blocking": []}
    return models, decision


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
