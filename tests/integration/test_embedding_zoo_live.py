"""The misconfiguration zoo: real vLLM CPU servers deployed wrong the ways users deploy them wrong.

Each misconfiguration must be caught by the gate named for its class (docs/verification.md lists the
classes and their gates); the harmless precision variants must pass. Servers come from fleet_zoo.py; the
misconfigurations a request parameter reproduces run on the core fleet's minilm server.
Run with: VLLM_TEST_FLEETS=core,zoo scripts/test integration -k zoo
"""

from __future__ import annotations

import pytest

from fleet_zoo import HARMLESS
from live_servers import run_module

pytestmark = pytest.mark.timeout(1800)
# The servers this module needs (conftest.py starts them together, beside the core fleet).
FLEETS = ["core", "zoo"]

# server -> the gates that must fail for its class of misconfiguration
CAUGHT_BY = {
    # --max-model-len 64: the served context differs from the catalog's, and RAG passages of 128 and 252 tokens
    # that Caikit embeds are rejected
    "zoo_ctx64": {"served_config", "input_lengths"},
    # lowercasing off: per-text token counts differ (named texts), and mixed-case texts drift
    "zoo_no_lowercase": {"tokens", "cosine"},
    # modules.json missing: the architecture's default pooling instead of mean
    "zoo_no_modules": {"cosine"},
    # sentence_bert_config.json missing: a 512-token context instead of 256
    "zoo_no_sbert_config": {"served_config", "long_input"},
    # chunked processing: over-long inputs embedded (averaged) where Caikit rejects them
    "zoo_chunked": {"long_input"},
    # a Matryoshka dimension override: 128 dimensions instead of 384
    "zoo_matryoshka": {"dimension"},
}


def served_folder(local_servers, key):
    local_servers.require(key)  # skips, with the reason, when the server's fleet was left out
    argv = local_servers["servers"]["vllm-" + key]["argv"]
    return argv[argv.index("--model") + 1]


def zoo_args(local_servers, key, **overrides):
    args = {
        "model": key,
        "candidate_url": local_servers.require(key),
        "candidate_model": key,
        "reference_type": "caikit",
        "reference_url": local_servers["caikit"],
        "reference_model": "minilm",
        "expected_dimension": 384,
        "max_tokens": 256,
        # the folder the server was started with: its root must match, and its digest is reported
        "model_path": served_folder(local_servers, key),
        # the folder the Caikit runtime loads minilm from: every zoo server serves its weights, configured wrong
        "reference_weights_path": str(local_servers["state_dir"] / "caikit-models" / "minilm"),
        "fail_on_gate": False,
        # the labelled-retrieval gate (11 s a check) on the harmless variants, which must pass it; the
        # misconfigurations are asserted on their named gates (CLS pooling failing retrieval: test_retrieval_live.py)
        "check_retrieval": key in HARMLESS.values(),
    }
    args.update(overrides)
    return args


_CHECKED = {}


def zoo_check(local_servers, key):
    """One check per zoo server, shared by the tests that look at different parts of its result."""
    if key not in _CHECKED:
        _CHECKED[key] = run_module("embedding_check", zoo_args(local_servers, key))
    result = _CHECKED[key]
    assert not result.get("failed"), result.get("msg")
    return result


@pytest.mark.parametrize("key", sorted(CAUGHT_BY))
def test_zoo_misconfiguration_is_caught_by_its_gate(local_servers, key):
    result = zoo_check(local_servers, key)
    assert result["passed"] is False
    missing = CAUGHT_BY[key] - set(result["failed_gates"])
    assert not missing, "%s not caught by %s: %s" % (key, sorted(missing), result["msg"])
    for gate in CAUGHT_BY[key]:
        assert result["gates"][gate]["status"] == "failed" and result["gates"][gate]["reason"] in result["msg"]
    # the result names what was checked: the served model, its folder's digest, the reference's version
    assert result["provenance"]["candidate"]["served_model"] == key
    assert len(result["provenance"]["candidate"]["model_digest"]) == 64
    # the same weights as Caikit's (its folder saved again by the bootstrap): the weights gate passes, and
    # the misconfiguration is caught by its class's gate, not by the files differing
    assert result["gates"]["weights"]["status"] == "passed", result["gates"]["weights"]["reason"]
    assert result["provenance"]["candidate"]["weights_digest"] == result["provenance"]["reference"]["weights_digest"]
    assert result["provenance"]["reference"]["version"].startswith("caikit-nlp")


def test_zoo_short_context_numbers(local_servers):
    result = zoo_check(local_servers, "zoo_ctx64")
    assert result["gates"]["served_config"]["max_model_len"] == 64
    assert result["provenance"]["candidate"]["max_model_len"] == 64
    mismatches = result["gates"]["input_lengths"]["mismatches"]
    assert mismatches and min(m["tokens"] for m in mismatches) > 64
    assert all(m["rejected_by"] == "candidate" for m in mismatches)


def test_zoo_missing_sbert_config_serves_512(local_servers):
    result = zoo_check(local_servers, "zoo_no_sbert_config")
    assert result["gates"]["served_config"]["max_model_len"] == 512
    default = [c for c in result["gates"]["long_input"]["cases"] if c["mode"] == "default"]
    assert default[0]["reference"] == "rejected" and default[0]["candidate"] == "embedded"


def test_zoo_tokenizer_drift_names_the_texts(local_servers):
    worst = zoo_check(local_servers, "zoo_no_lowercase")["gates"]["tokens"]["worst"]
    assert worst and all(w["candidate"] != w["reference"] for w in worst)
    assert any(any(c.isupper() for c in w["text"]) for w in worst)


@pytest.mark.parametrize("dtype", sorted(HARMLESS))
def test_zoo_harmless_precision_variant_passes(local_servers, dtype):
    key = HARMLESS[dtype]
    local_servers.require(key)
    argv = local_servers["servers"]["vllm-" + key]["argv"]
    assert argv[argv.index("--dtype") + 1] == dtype
    result = zoo_check(local_servers, key)
    assert result["passed"] is True, result["msg"]
    assert result["failed_gates"] == [] and result["skipped_gates"] == []
    assert result["gates"]["cosine"]["min"] >= 0.99 and result["gates"]["tokens"]["differing"] == 0
    # retrieval on the built-in labelled set: the same quality within the margin (CLS pooling fails it:
    # test_retrieval_live.py)
    assert result["gates"]["retrieval"]["passed"] is True and abs(result["gates"]["retrieval"]["delta"]) < 0.01
    assert result["gates"]["served_config"]["root"] == served_folder(local_servers, key)


def test_zoo_another_model_root_fails_served_config(local_servers):
    folder = served_folder(local_servers, "zoo_no_lowercase")
    result = run_module("embedding_check", zoo_args(local_servers, "minilm", expected_root=folder, check_retrieval=False))
    assert result["failed_gates"] == ["served_config"], result["msg"]
    assert "expected %s" % folder in result["gates"]["served_config"]["reason"]


# Reproduced by a request parameter on the core minilm server: no server of their own.
@pytest.mark.parametrize("params,caught_by", [
    # what a tokenizer that does not add [CLS]/[SEP] sends the model
    ({"add_special_tokens": False}, {"tokens", "cosine"}),
    # what removing the Normalize module does (use_activation is vLLM's normalization switch)
    ({"use_activation": False}, {"norms"}),
])
def test_zoo_request_parameter_misconfiguration_on_core_minilm(local_servers, params, caught_by):
    result = run_module("embedding_check", zoo_args(local_servers, "minilm", candidate_request_params=params,
                                                    check_retrieval=False))
    assert not result.get("failed"), result.get("msg")
    assert caught_by <= set(result["failed_gates"]), result["msg"]
    if "tokens" in caught_by:
        assert result["gates"]["tokens"]["differing"] == result["gates"]["tokens"]["texts"]


def test_zoo_vllm_reference_instead_of_caikit(local_servers):
    """A harmless variant compared with another vLLM server (OpenAI API) passes, token counts included."""
    key = next(key for key in HARMLESS.values() if key != "minilm")
    args = zoo_args(local_servers, key, reference_type="openai", reference_url=local_servers.require("minilm"),
                    reference_model="minilm")
    result = run_module("embedding_check", args)
    assert result["passed"] is True, result["msg"]
    assert result["gates"]["tokens"]["status"] == "passed" and result["provenance"]["reference"]["type"] == "openai"
