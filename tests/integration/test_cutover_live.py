"""The local cutover cycle on the real vLLM and Caikit servers of the core fleet (docs/cutover.md):
migrate.yml -e vllm_migration_cutover=true flips the minilm endpoint record only when its gates pass,
refuses stale or foreign evidence, rolls back by itself when the smoke check fails, and rollback.yml
restores the record byte for byte. Every run finds the fleet's servers running (same state folder)."""

from __future__ import annotations

import hashlib
import json
import time

import pytest

from live_servers import ROOT, run_playbook

# Whitespace and key order a consumer's own tooling wrote: the rollback must give back these exact bytes.
SEED = '{"backend": "caikit",  "url": "http://caikit.rag.svc:8080", "api": "caikit",\n "model": "minilm"}\n'
# The benchmark has its own tests (test_benchmark_live.py): here performance is waived, and the report says so.
NO_BENCHMARK = {"vllm_migration_benchmark": False, "vllm_migration_require_performance": False}


@pytest.fixture(scope="module")
def cycle(local_servers, tmp_path_factory):
    folder = tmp_path_factory.mktemp("cutover")
    records, reports = folder / "endpoints", folder / "reports"
    records.mkdir()
    (records / "minilm.json").write_text(SEED)
    extra = dict(local_servers["extra_vars"], **NO_BENCHMARK)
    extra.update({"vllm_migration_endpoint_record_dir": str(records), "vllm_migration_report_dir": str(reports),
                  "vllm_migration_stop_servers": False})
    return {"extra": extra, "records": records, "reports": reports, "servers": local_servers,
            "state": local_servers["state_dir"] / "cutover"}


def _run(cycle, playbook, check=False, **extra):
    if playbook == "cutover.yml" and "endpoints" in cycle:
        # as an AWX node after migrate.yml: the endpoints it published, so the servers are not looked up again
        extra = dict(extra, vllm_migration_endpoints=cycle["endpoints"])
    return run_playbook(ROOT / "playbooks" / playbook, extra_vars=dict(cycle["extra"], **extra), check=check)


def _record(cycle):
    return (cycle["records"] / "minilm.json").read_text()


def _failure(output):
    return " ".join(str(result.get("msg", "")) for play in output["plays"] for task in play["tasks"]
                    for result in task["hosts"].values() if result.get("failed"))


def test_a_failed_gate_moves_nothing(cycle):
    # granite has no weights here, so it is not verified: keep_caikit, and the minilm record stays as it was
    # although minilm itself passed
    rc, output, stderr = _run(cycle, "migrate.yml", vllm_migration_models=["minilm", "granite"],
                              vllm_migration_cutover=True)
    assert rc == 0, stderr[-2000:]
    assert output["global_custom_stats"]["vllm_migration_decision"]["decision"] == "keep_caikit"
    assert _record(cycle) == SEED
    assert not (cycle["state"] / "minilm.json").exists()


def test_passing_gates_flip_the_record_to_vllm(cycle):
    rc, output, stderr = _run(cycle, "migrate.yml", vllm_migration_models=["minilm"], vllm_migration_cutover=True)
    assert rc == 0, stderr[-2000:]
    assert output["global_custom_stats"]["vllm_migration_decision"]["decision"] == "migrate"
    report_text = (cycle["reports"] / "latest" / "report.json").read_text()
    record = json.loads(_record(cycle))
    assert record["backend"] == "vllm" and record["api"] == "openai"
    assert record["url"] == cycle["servers"].require("minilm")
    assert record["report_digest"] == "sha256:" + hashlib.sha256(report_text.encode()).hexdigest()
    assert record["decided_at"] == json.loads(report_text)["decision"]["generated_at"]
    state = json.loads((cycle["state"] / "minilm.json").read_text())
    assert state["status"] == "cut_over" and state["strategy"] == "endpoint_record"
    assert state["previous"]["exists"] is True
    assert output["global_custom_stats"]["vllm_migration_cutover"]["minilm"]["status"] == "cut_over"
    cycle["endpoints"] = output["global_custom_stats"]["vllm_migration_endpoints"]
    assert cycle["endpoints"]["minilm"]["url"] == record["url"]


def test_a_second_cutover_changes_nothing(cycle):
    before = _record(cycle)
    # without published endpoints cutover.yml finds the running server itself, and starts nothing
    rc, output, stderr = run_playbook(ROOT / "playbooks" / "cutover.yml",
                                      extra_vars=dict(cycle["extra"], vllm_migration_models=["minilm"]))
    assert rc == 0, stderr[-2000:]
    assert output["stats"]["localhost"]["changed"] == 0, [
        task["task"]["name"] for play in output["plays"] for task in play["tasks"]
        if any(r.get("changed") for r in task["hosts"].values())]
    assert _record(cycle) == before


def test_stale_evidence_is_refused(cycle):
    before = _record(cycle)
    time.sleep(2)
    rc, output, _stderr = _run(cycle, "cutover.yml", vllm_migration_models=["minilm"],
                               vllm_migration_cutover_max_report_age=1)
    assert rc != 0
    assert "Cutover refused, nothing was changed" in _failure(output) and "stale" in _failure(output)
    assert _record(cycle) == before


def test_evidence_for_another_endpoint_or_model_is_refused(cycle):
    report = json.loads((cycle["reports"] / "latest" / "report.json").read_text())
    report["models"]["minilm"]["candidate"]["url"] = "http://127.0.0.1:1"
    foreign = cycle["reports"] / "foreign.json"
    foreign.write_text(json.dumps(report))
    before = _record(cycle)
    rc, output, _stderr = _run(cycle, "cutover.yml", vllm_migration_models=["minilm"], cutover_report_path=str(foreign))
    assert rc != 0 and "the report was made for endpoint 'http://127.0.0.1:1'" in _failure(output)
    rc, output, _stderr = _run(cycle, "cutover.yml", vllm_migration_cutover_models=["minilm_cls"])
    assert rc == 0  # the latest report decided on minilm alone: minilm_cls is not moved, and says why
    assert _record(cycle) == before


def test_rollback_restores_the_record_byte_for_byte_and_twice_changes_nothing(cycle):
    rc, output, stderr = _run(cycle, "rollback.yml", vllm_migration_models=["minilm"])
    assert rc == 0, stderr[-2000:]
    assert _record(cycle) == SEED
    assert json.loads((cycle["state"] / "minilm.json").read_text())["status"] == "rolled_back"
    rc, output, stderr = _run(cycle, "rollback.yml", vllm_migration_models=["minilm"])
    assert rc == 0 and output["stats"]["localhost"]["changed"] == 0
    assert _record(cycle) == SEED


def test_check_mode_changes_nothing(cycle):
    rc, output, stderr = _run(cycle, "cutover.yml", check=True, vllm_migration_models=["minilm"])
    assert rc == 0, stderr[-2000:]
    assert output["stats"]["localhost"]["changed"] > 0  # it says what it would change
    assert _record(cycle) == SEED


def test_a_failed_smoke_check_rolls_back_by_itself(cycle):
    # a p95 bound no real server meets makes the smoke check fail after the record was written
    rc, output, _stderr = _run(cycle, "cutover.yml", vllm_migration_models=["minilm"], cutover_smoke_max_p95_ms=0.001)
    assert rc != 0
    assert "failed and was rolled back to the previous state" in _failure(output)
    assert _record(cycle) == SEED
    state = json.loads((cycle["state"] / "minilm.json").read_text())
    assert state["status"] == "failed" and "p95" in state["reason"]
