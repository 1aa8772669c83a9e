"""The main job with a reranker selected, as a user runs it: playbooks/migrate.yml on the local platform with
all-MiniLM-L6-v2 plus a generated cross-encoder from the catalog (fleet_rerank.py), against the real vLLM CPU
servers and the real Caikit-NLP runtime of the core and rerank fleets (found running, not started again).

- a reranker that matches Caikit and the model's own scores: decision migrate, both models in report.md/.json,
  every gate with its numbers, and a benchmark of both;
- the same reranker declared with the wrong activation in the catalog (a real user's mistake): score_parity
  fails with its numbers, the decision is hybrid;
- a run that fails after verification leaves no reports/latest/ of an earlier run behind.
"""

from __future__ import annotations

import json

import pytest

from live_servers import ROOT, run_playbook

pytestmark = pytest.mark.timeout(1800)
FLEETS = ["core", "rerank"]
MODELS = ["minilm", "xlmr_ce"]
NO_BENCHMARK = {"vllm_migration_benchmark": False, "vllm_migration_require_performance": False}


@pytest.fixture(scope="module")
def job(local_servers, tmp_path_factory):
    local_servers.require("xlmr_ce")  # skips, with the reason, when the rerank fleet was left out
    reports = tmp_path_factory.mktemp("reranker-reports")
    # Caikit's CrossEncoderModule truncates over-long pairs silently where vLLM answers HTTP 400, so by default
    # long_input fails for every reranker against Caikit (test_score_check_live.py); its reason tells the user to
    # compare truncated pairs, as here
    extra = dict(local_servers["extra_vars"], vllm_migration_models=MODELS, vllm_migration_report_dir=str(reports),
                 vllm_migration_stop_servers=False, verify_truncate_long_inputs=True)
    return {"extra": extra, "reports": reports, "catalog": local_servers["extra_vars"]["vllm_migration_catalog"]}


def _migrate(job, **extra):
    return run_playbook(ROOT / "playbooks" / "migrate.yml", extra_vars=dict(job["extra"], **extra))


def _latest(job):
    folder = job["reports"] / "latest"
    return json.loads((folder / "report.json").read_text()), (folder / "report.md").read_text()


def _gate_row(markdown, model, gate):
    section = markdown.split("### %s: " % model, 1)[1].split("\n### ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| %s |" % gate)][0]


def test_a_reranker_that_matches_caikit_migrates_with_a_complete_report(job):
    # one short benchmark level: the performance section of both kinds is rendered, at a small cost. This test is
    # about the reranker's path through the report, so the level's validity rule is lenient (window >= 2 x p99, as
    # the benchmark module's plumbing tests use); test_benchmark_live.py measures under the default rule.
    rc, output, stderr = _migrate(job, benchmark_levels=[1], benchmark_duration=6, benchmark_warmup=1,
                                  benchmark_window_factor=2, benchmark_max_duration=30)
    assert rc == 0, stderr[-3000:]
    decision = output["global_custom_stats"]["vllm_migration_decision"]
    report, markdown = _latest(job)
    assert decision["decision"] == "migrate", (decision["reasons"], markdown)
    assert sorted(report["models"]) == MODELS and report["decision"]["decision"] == "migrate"
    reranker = report["models"]["xlmr_ce"]
    assert reranker["kind"] == "reranker" and reranker["status"] == "passed"
    assert reranker["check"] == "score_check"
    # the third opinion ran (the Caikit venv's transformers) and agrees
    assert reranker["gates"]["model_agreement"]["status"] == "passed"
    for key in MODELS:
        assert report["models"][key]["performance"]["status"] in ("passed", "failed"), report["models"][key]["performance"]
        assert "### %s: passed" % key in markdown
        assert "| %s (%s) |" % (key, job["catalog"].get(key, {}).get("model", "sentence-transformers/all-MiniLM-L6-v2")) in markdown
    # every gate of both checks is a row of report.md, with its own numbers
    for key in MODELS:
        for gate in report["models"][key]["gates"]:
            assert _gate_row(markdown, key, gate)
    parity = reranker["gates"]["score_parity"]
    assert "| pass | max deviation %s, mean %s;" % (parity["max"], parity["mean"]) in _gate_row(markdown, "xlmr_ce", "score_parity")
    cosine = report["models"]["minilm"]["gates"]["cosine"]
    assert "min %s, mean %s, p01 %s" % (cosine["min"], cosine["mean"], cosine["p01"]) in _gate_row(markdown, "minilm", "cosine")
    assert markdown.count("| concurrency | server |") == 2
    # both sides serve the same weights: the folder each vLLM server was started from and the Caikit runtime's own
    # model folder, compared tensor by tensor, and the report says where each side's weights came from
    for key in MODELS:
        model = report["models"][key]
        assert model["gates"]["weights"]["status"] == "passed", model["gates"]["weights"]
        provenance = model["provenance"]
        assert provenance["candidate"]["weights_digest"] == provenance["reference"]["weights_digest"]
        assert provenance["reference"]["weights_path"].endswith("/caikit-models/%s/artifacts" % model["reference"]["model"])
        section = markdown.split("### %s: " % key, 1)[1].split("\n### ", 1)[0]
        assert "- Weights: the same tensors on both sides (%s); vLLM from %s, the reference from %s" % (
            provenance["candidate"]["weights_digest"], provenance["candidate"]["root"],
            provenance["reference"]["weights_path"]) in section
    job["first_report_folder"] = sorted(p for p in job["reports"].iterdir() if p.name != "latest")[-1]


def test_a_reranker_failing_a_gate_gives_hybrid_and_the_report_names_the_gate(job):
    # the catalog says vLLM returns raw logits, but this model's server applies the sigmoid: the scores are
    # converted twice, so their scale is wrong while the order holds (the kind of mistake score_parity is for)
    catalog = dict(job["catalog"], xlmr_ce=dict(job["catalog"]["xlmr_ce"], score_activation="identity"))
    rc, output, stderr = _migrate(job, vllm_migration_catalog=catalog, **NO_BENCHMARK)
    assert rc == 0, stderr[-3000:]
    decision = output["global_custom_stats"]["vllm_migration_decision"]
    report, markdown = _latest(job)
    assert decision["decision"] == "hybrid", decision["reasons"]
    assert decision["passed_models"] == ["minilm"] and decision["blocked_models"] == ["xlmr_ce"]
    reranker = report["models"]["xlmr_ce"]
    assert reranker["status"] == "failed" and "score_parity" in reranker["failed_gates"]
    assert reranker["gates"]["ranking"]["passed"] is True
    assert "- **Decision: `hybrid`**" in markdown and "xlmr_ce: failed gates: score_parity" in markdown
    parity = reranker["gates"]["score_parity"]
    row = _gate_row(markdown, "xlmr_ce", "score_parity")
    assert "| **FAIL** | max deviation %s, mean %s;" % (parity["max"], parity["mean"]) in row
    assert "Worst score deviations of score_parity:" in markdown
    summary = output["global_custom_stats"]["vllm_migration_summary"]
    assert any(line.startswith("minilm: passed, ndcg@10 vLLM") and line.endswith("work (to vLLM)") for line in summary), \
        summary


def test_a_run_that_fails_after_verification_leaves_no_stale_latest_report(job):
    assert (job["reports"] / "latest" / "report.json").exists()
    earlier = job["first_report_folder"]
    # decide refuses this value in its argument validation: verification ran, no report can be written
    rc, _output, _stderr = _migrate(job, vllm_migration_models=["minilm"], vllm_migration_benchmark=False,
                                    vllm_migration_require_performance="perhaps")
    assert rc != 0
    assert not (job["reports"] / "latest").exists()
    # nothing measured earlier is lost: each report also has its own timestamped folder
    assert json.loads((earlier / "report.json").read_text())["decision"]["decision"] == "migrate"
