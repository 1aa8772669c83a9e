"""embedding_check through Ansible against the real vLLM CPU servers and the real Caikit runtime."""

from __future__ import annotations

import json
import socket

import pytest

from live_servers import ROOT, run_module, run_playbook

pytestmark = pytest.mark.timeout(1800)


def check_args(servers, candidate="vllm", **overrides):
    args = {
        "model": "minilm",
        "candidate_url": servers[candidate],
        "candidate_model": "minilm_cls" if candidate == "vllm_cls" else "minilm",
        "reference_type": "caikit",
        "reference_url": servers["caikit"],
        "reference_model": "minilm",
        "expected_dimension": 384,
        "max_tokens": 256,
        # the labelled-retrieval gate (11 s a check) runs where a test asserts it: the correct deployment
        # here, test_retrieval_live.py, the zoo's harmless variants and the verify role's report
        "check_retrieval": False,
    }
    args.update(overrides)
    return args


def test_correct_deployment_passes_every_gate(local_servers):
    result = run_module("embedding_check", check_args(local_servers, check_retrieval=True))
    assert not result.get("failed"), result.get("msg")
    assert result["passed"] is True and result["failed_gates"] == []
    assert set(result["gates"]) == {"served", "served_config", "input_lengths", "dimension", "cosine", "norms",
                                    "batch", "distinct_outputs", "tokens", "long_input", "retrieval"}
    assert all(gate["status"] == "passed" for gate in result["gates"].values()) and result["skipped_gates"] == []
    assert result["gates"]["cosine"]["min"] >= 0.99
    assert result["gates"]["cosine"]["texts"] == result["corpus_size"] >= 20
    assert result["gates"]["norms"]["reference_normalized"] is True
    # RAG passages up to just under the limit, sized by the server's own count; token counts agree per text
    assert [p["target"] for p in result["gates"]["input_lengths"]["passages"]] == [64, 128, 252]
    assert 248 <= result["gates"]["input_lengths"]["longest_tokens"] <= 252
    assert result["gates"]["tokens"]["texts"] == result["corpus_size"]
    # a real model's vectors differ from text to text on both sides, however close two texts are
    distinct = result["gates"]["distinct_outputs"]
    assert distinct["candidate"]["judged"] and distinct["reference"]["judged"] and not distinct["reference_collapsed"]
    assert result["gates"]["served_config"]["max_model_len"] == 256
    # Caikit and vLLM both reject input over MiniLM's 256 tokens by default, and truncate alike when asked.
    cases = result["gates"]["long_input"]["cases"]
    assert [(c["mode"], c["reference"], c["candidate"]) for c in cases] == [
        ("default", "rejected", "rejected")] * 2 + [("truncate", "embedded", "embedded")] * 2
    provenance = result["provenance"]
    assert provenance["candidate"]["version"] and provenance["candidate"]["max_model_len"] == 256
    # no folder given to this check: the weights are not compared (null, never guessed; the zoo and the main jobs
    # compare them)
    assert provenance["reference"] == {"type": "caikit", "version": provenance["reference"]["version"], "model": "minilm",
                                       "weights_digest": None, "weights_path": None}
    assert provenance["candidate"]["weights_digest"] is None
    assert provenance["reference"]["version"].startswith("caikit-nlp ") and len(provenance["corpus_sha256"]) == 64
    assert provenance["thresholds"] == {"cosine_threshold": 0.99, "norm_tolerance": 0.01, "batch_threshold": 0.9999}
    assert result["changed"] is False


def test_wrong_pooling_is_caught_by_the_cosine_gate(local_servers):
    result = run_module("embedding_check", check_args(local_servers, candidate="vllm_cls"))
    assert result["failed"] is True
    assert result["passed"] is False
    assert "cosine" in result["failed_gates"]
    cosine = result["gates"]["cosine"]
    assert cosine["min"] < 0.9 and cosine["below_threshold"] == cosine["texts"]
    # the deployment "works": same dimension, served, normalized, consistent - only parity catches it
    for gate in ("served", "served_config", "input_lengths", "dimension", "norms", "batch", "distinct_outputs",
                 "tokens"):
        assert result["gates"][gate]["passed"], gate
    assert "minilm" in result["msg"] and local_servers["vllm_cls"] in result["msg"] and "cosine" in result["msg"]


def test_truncation_to_one_token_collapses_every_text_and_fails_distinct_outputs(local_servers):
    """What consumers sending truncate_prompt_tokens=1 get: one vector for every text (a pooling over one token)."""
    result = run_module("embedding_check", check_args(local_servers, candidate_request_params={"truncate_prompt_tokens": 1},
                                                      check_long_inputs=False, fail_on_gate=False))
    assert not result.get("failed"), result.get("msg")
    assert result["passed"] is False and {"distinct_outputs", "cosine"} <= set(result["failed_gates"])
    gate = result["gates"]["distinct_outputs"]
    assert gate["candidate"]["collapsed"] is True and gate["reference_collapsed"] is False
    assert "the candidate model 'minilm' at %s/v1/embeddings returned the same vector" % local_servers["vllm"] \
        in gate["reason"]


def test_fail_on_gate_false_reports_without_failing(local_servers):
    result = run_module("embedding_check", check_args(local_servers, candidate="vllm_cls", fail_on_gate=False))
    assert not result.get("failed") and result["passed"] is False and "cosine" in result["failed_gates"]


def test_openai_compatible_reference(local_servers):
    # minilm_cls compared with the right minilm deployment over the OpenAI API (a passing pair: the zoo tests)
    bad = run_module("embedding_check", check_args(local_servers, candidate="vllm_cls", reference_type="openai",
                                                   reference_url=local_servers["vllm"], reference_model="minilm"))
    assert bad["failed"] and "cosine" in bad["failed_gates"]
    assert bad["gates"]["tokens"]["status"] == "passed"  # vLLM's usage counts on both sides


def test_reference_that_is_the_candidate_is_rejected(local_servers):
    result = run_module("embedding_check", check_args(local_servers, reference_type="openai",
                                                      reference_url=local_servers["vllm"] + "/v1"))
    assert result["failed"] is True and "the reference is the candidate itself" in result["msg"]
    assert "passed" not in result


def test_invalid_threshold_and_v1_base_url(local_servers):
    bad = run_module("embedding_check", check_args(local_servers, cosine_threshold=1.5))
    assert bad["failed"] is True and "cosine_threshold=1.5 is outside (0.0, 1.0]" in bad["msg"]
    fixed = run_module("embedding_check", check_args(local_servers, candidate_url=local_servers["vllm"] + "/v1"))
    assert fixed["passed"] is True, fixed.get("msg")
    assert fixed["check_warnings"][0]["gate"] == "input" and "ends in /v1" in fixed["check_warnings"][0]["message"]
    assert any("ends in /v1" in warning for warning in fixed["warnings"])  # also shown as an Ansible warning


def test_golden_file_record_replay_and_idempotence(local_servers, tmp_path):
    golden = tmp_path / "golden" / "minilm.json"
    first = run_module("embedding_check", check_args(local_servers, record_golden=str(golden)))
    assert first["passed"] and first["changed"] is True and golden.exists()
    again = run_module("embedding_check", check_args(local_servers, record_golden=str(golden)))
    assert again["changed"] is False
    replay = dict(reference_type="golden", reference_path=str(golden), reference_url=None)
    ok = run_module("embedding_check", {k: v for k, v in check_args(local_servers, **replay).items() if v is not None})
    assert ok["passed"] is True, ok.get("msg")
    bad = run_module("embedding_check",
                     {k: v for k, v in check_args(local_servers, candidate="vllm_cls", **replay).items() if v is not None})
    assert bad["failed"] and "cosine" in bad["failed_gates"]


def test_check_mode_writes_no_golden_file(local_servers, tmp_path):
    golden = tmp_path / "g.json"
    result = run_module("embedding_check", check_args(local_servers, record_golden=str(golden)), check=True)
    assert result["changed"] is True and not golden.exists()


def test_catalog_dimension_mismatch_fails_dimension_gate(local_servers):
    result = run_module("embedding_check", check_args(local_servers, expected_dimension=768))
    assert result["failed"] and result["failed_gates"] == ["dimension"]


def test_wrong_served_name_names_model_url_and_cause(local_servers):
    result = run_module("embedding_check", check_args(local_servers, candidate_model="no-such-model"))
    assert result["failed"] is True
    msg = result["msg"]
    assert "minilm" in msg and local_servers["vllm"] + "/v1/" in msg and "404" in msg and "Check" in msg
    assert "passed" not in result


def test_wrong_caikit_model_id(local_servers):
    result = run_module("embedding_check", check_args(local_servers, reference_model="nope"))
    assert result["failed"] is True and "not loaded" in result["msg"] and local_servers["caikit"] in result["msg"]


def test_unreachable_candidate(local_servers):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    result = run_module("embedding_check", check_args(local_servers, candidate_url="http://127.0.0.1:%d" % port))
    assert result["failed"] is True and "cannot connect" in result["msg"] and str(port) in result["msg"]
    assert "Traceback" not in json.dumps(result)


def test_tls_to_a_plain_http_server_fails_cleanly(local_servers):
    url = local_servers["vllm"].replace("http://", "https://")
    result = run_module("embedding_check", check_args(local_servers, candidate_url=url))
    assert result["failed"] is True and url in result["msg"]
    assert "exception" not in result or "Traceback" not in result.get("msg", "")


def test_api_key_is_not_logged(local_servers):
    result = run_module("embedding_check", check_args(local_servers, candidate_api_key="sup3r-s3cret"))
    assert "sup3r-s3cret" not in json.dumps(result)


def test_second_provision_changes_nothing_and_keeps_the_servers(local_servers):
    rc, output, stderr = run_playbook(ROOT / "playbooks/provision.yml", extra_vars=local_servers["extra_vars"])
    assert rc == 0, stderr[-2000:]
    assert output["stats"]["localhost"]["changed"] == 0, [
        t["task"]["name"] for p in output["plays"] for t in p["tasks"] if t["hosts"]["localhost"].get("changed")]
    for name, before in local_servers["servers"].items():
        after = json.loads((local_servers["state_dir"] / (name + ".json")).read_text())
        assert after["pid"] == before["pid"] and after["port"] == before["port"]


def test_verify_and_decide_write_the_report(local_servers):
    # minilm_cls's consumers need a call vLLM refuses for a model without Matryoshka weights
    required = {"minilm_cls": ["openai_sdk_default", "openai_sdk_dimensions"]}
    rc, output, stderr = run_playbook(ROOT / "playbooks/provision.yml", ROOT / "playbooks/verify.yml",
                                      extra_vars=dict(local_servers["extra_vars"],
                                                      vllm_migration_cutover_required_clients=required))
    assert rc == 0, stderr[-2000:]
    report = json.loads((local_servers["report_dir"] / "latest" / "report.json").read_text())
    models = report["models"]
    assert models["minilm"]["status"] == "passed"
    assert models["minilm_cls"]["status"] == "failed" and "cosine" in models["minilm_cls"]["failed_gates"]
    assert models["granite"]["status"] == "not_verified" and "weights_path" in models["granite"]["reason"]
    assert report["decision"]["decision"] == "keep_caikit"
    assert set(report["decision"]["blocked_models"]) == {"minilm", "minilm_cls", "granite"}  # minilm: no benchmark
    markdown = (local_servers["report_dir"] / "latest" / "report.md").read_text()
    assert "keep_caikit" in markdown and "**FAIL**" in markdown
    # retrieval quality side by side in the report, and in the summary AWX shows
    assert "Retrieval quality on vllm_pooling builtin retrieval set" in markdown and "| ndcg@10 |" in markdown
    assert models["minilm"]["details"]["retrieval"]["metrics"]["candidate"]["ndcg@10"] > 0.5
    summary = output["global_custom_stats"]["vllm_migration_summary"]
    assert any(line.startswith("minilm: passed") and "ndcg@10 vLLM" in line for line in summary), summary
    # the consumers' client calls through the real OpenAI SDK: listed for every model, gating where required
    calls = models["minilm"]["details"]["clients"]["calls"]
    assert {name for name, call in calls.items() if call["status"] == "works"} == {
        "openai_sdk_float", "openai_sdk_default", "openai_sdk_single"}
    assert calls["openai_sdk_dimensions"]["status"] == "fails" and "HTTP 400" in calls["openai_sdk_dimensions"]["message"]
    assert "clients" not in models["minilm"]["gates"]
    assert models["minilm_cls"]["failed_gates"][-1] == "clients"
    assert models["minilm_cls"]["gates"]["clients"]["failed"] == ["openai_sdk_dimensions"]
    assert "| openai_sdk_default | works | yes |" in markdown and "| openai_sdk_dimensions | fails | yes |" in markdown
    assert any(line.startswith("minilm: passed") and "client calls 3/5 work" in line for line in summary), summary
    # set_stats data reaches AWX workflows
    assert output["global_custom_stats"]["vllm_migration_decision"]["decision"] == "keep_caikit"
    assert output["global_custom_stats"]["vllm_migration"]["minilm"]["status"] == "passed"


def test_main_job_serial_mode_end_to_end(tmp_path):
    """playbooks/migrate.yml as `make run` runs it, one model at a time, servers stopped at the end (without the
    benchmark: the sweep is measured in test_benchmark_live.py and in the reranker main job)."""
    extra = {
        "vllm_migration_benchmark": False, "vllm_migration_require_performance": False,
        "vllm_migration_models": ["minilm", "granite"],
        "vllm_migration_serial_models": True,
        "vllm_migration_state_dir": str(tmp_path / "state"),
        "vllm_migration_report_dir": str(tmp_path / "reports"),
    }
    rc, output, stderr = run_playbook(ROOT / "playbooks/migrate.yml", extra_vars=extra)
    assert rc == 0, stderr[-2000:]
    report = json.loads((tmp_path / "reports" / "latest" / "report.json").read_text())
    assert report["models"]["minilm"]["status"] == "passed"
    assert report["models"]["granite"]["status"] == "not_verified"
    assert report["decision"]["decision"] == "keep_caikit"
    # the servers were stopped: stop() removes a state file only after its processes are gone
    assert list((tmp_path / "state").glob("*.json")) == []
    (shown,) = [t for p in output["plays"] for t in p["tasks"] if t["task"]["name"] == "Show the decision"]
    assert "Decision: keep_caikit" in shown["hosts"]["localhost"]["msg"]


def test_main_job_check_mode_starts_and_writes_nothing(local_servers, tmp_path):
    # local_servers: the venvs exist (on a fresh machine check mode cannot build them)
    extra = {"vllm_migration_state_dir": str(tmp_path / "state"),
             "vllm_migration_report_dir": str(tmp_path / "reports")}
    rc, output, stderr = run_playbook(ROOT / "playbooks/migrate.yml", extra_vars=extra, check=True)
    assert rc == 0, stderr[-2000:]
    assert not (tmp_path / "state").exists() and not (tmp_path / "reports").exists()
    assert output["stats"]["localhost"]["changed"] > 0  # it says what it would start
    (shown,) = [t for p in output["plays"] for t in p["tasks"] if t["task"]["name"] == "Show the decision"]
    msg = shown["hosts"]["localhost"]["msg"]
    assert "Decision: keep_caikit" in msg and "Report: not written in check mode" in msg
    assert any("would be started" in line for line in msg[1])
