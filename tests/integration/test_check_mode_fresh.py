# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""`make run ARGS=--check` on a fresh machine (an AWX execution environment always is one): no cached
venvs, and check mode must say what it would build and start, create nothing, and not fail."""

from __future__ import annotations

from live_servers import run_playbook

ROOT_PLAYBOOK = "playbooks/migrate.yml"


def _tasks(output):
    for play in output["plays"]:
        for task in play["tasks"]:
            yield task["task"]["name"], task["hosts"].get("localhost", {})


def _results(tasks, name):
    """Results of the tasks called `name` (role tasks are named "<role> : <name>")."""
    return [result for task, result in tasks if task == name or task.endswith(" : " + name)]


def test_check_mode_with_no_cached_venvs_reports_what_it_would_build_and_start(tmp_path):
    cache, state, reports = tmp_path / "cache", tmp_path / "state", tmp_path / "reports"
    cache.mkdir()
    rc, output, stderr = run_playbook(ROOT_PLAYBOOK, check=True,
                                      extra_vars={"vllm_migration_state_dir": str(state),
                                                  "vllm_migration_report_dir": str(reports)},
                                      env_extra={"VLLM_MIGRATION_CACHE_DIR": str(cache)})
    failed = ["%s: %s" % (name, result.get("msg")) for name, result in _tasks(output) if result.get("failed")]
    assert rc == 0, "check mode failed: %s\n%s" % (failed, stderr[-3000:])
    assert list(cache.iterdir()) == [], "check mode created %s" % sorted(str(p) for p in cache.rglob("*"))
    assert not state.exists() and not reports.exists()

    tasks = list(_tasks(output))
    would_build = [result["msg"] for result in _results(tasks, "Say which venv the run would build")]
    assert len(would_build) == 2 and all(msg.startswith("Check mode: would build the virtual environment %s/venvs/" % cache)
                                         for msg in would_build), would_build
    assert any("/caikit-nlp-" in msg for msg in would_build) and any("/vllm-cpu-" in msg for msg in would_build)

    # minilm's weights ship in a package the planned vLLM venv installs: it counts as present, so the
    # server is reported as one that would be started, not as a model without weights.
    (started,) = _results(tasks, "Start a vLLM server per model whose weights are present")
    assert [item["item"]["key"] for item in started["results"] if item["changed"]] == ["minilm"]
    (caikit,) = _results(tasks, "Start the Caikit-NLP runtime on 127.0.0.1")
    assert caikit["changed"]
    (shown,) = _results(tasks, "Show the decision")
    assert "minilm: not_verified: check mode: the server would be started" in str(shown["msg"])
