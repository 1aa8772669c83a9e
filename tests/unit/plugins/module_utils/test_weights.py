# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The weights digest, the Caikit model folder reader and the checks' weights gate, on safetensors files written
by tests/unit/safetensors_files.py."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils import weights
from ansible_collections.vllm_pooling.migration.plugins.module_utils.weights import (
    WeightsError, add_weights_gate, caikit_model_folder, weights_digest, weights_gate)

from safetensors_files import caikit_folder, hf_folder, model_tensors, write_safetensors  # noqa: E402 - tests/unit


def test_the_same_tensors_saved_again_have_the_same_digest(tmp_path):
    # Caikit's bootstrap saves the model again: other header, metadata, order, the position_ids buffer dropped
    original = hf_folder(tmp_path, position_ids=np.arange(16, dtype="int64"))
    saved = tmp_path / "saved"
    saved.mkdir()
    reordered = dict(reversed(list(model_tensors().items())))
    write_safetensors(saved / "model.safetensors", reordered)
    assert weights_digest(original)["digest"] == weights_digest(saved)["digest"]
    assert weights_digest(original)["tensors"] == 3


def test_shards_and_tensor_names_do_not_change_the_digest(tmp_path):
    tensors = list(model_tensors().items())
    sharded = tmp_path / "sharded"
    sharded.mkdir()
    write_safetensors(sharded / "model-00001-of-00002.safetensors", dict(tensors[:1]))
    write_safetensors(sharded / "model-00002-of-00002.safetensors", {"bert." + k: v for k, v in tensors[1:]})
    assert weights_digest(sharded)["digest"] == weights_digest(hf_folder(tmp_path))["digest"]
    assert weights_digest(sharded)["files"] == ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]


@pytest.mark.parametrize("change", ["one value", "dtype", "shape", "missing tensor"])
def test_any_change_of_the_weights_changes_the_digest(tmp_path, change):
    tensors = model_tensors()
    name = "encoder.layer.0.attention.self.query.weight"
    if change == "one value":
        tensors[name] = tensors[name].copy()
        tensors[name][3, 4] += 1e-6
    elif change == "dtype":
        tensors[name] = tensors[name].astype("float16")
    elif change == "shape":
        tensors[name] = tensors[name].reshape(4, 16)
    else:
        del tensors[name]
    assert weights_digest(hf_folder(tmp_path, "a"))["digest"] != weights_digest(hf_folder(tmp_path, "b", tensors))["digest"]


def test_the_caikit_folder_is_read_through_its_config(tmp_path):
    folder = caikit_folder(tmp_path, module="CrossEncoderModule")
    info = caikit_model_folder(str(folder))
    assert info["kind"] == "reranker" and info["artifacts"] == str(folder / "artifacts")
    assert info["caikit_nlp_version"] == "0.5.15"
    assert caikit_model_folder(str(hf_folder(tmp_path))) is None
    assert weights_digest(folder)["folder"] == str(folder / "artifacts")


@pytest.mark.parametrize("config, expected", [
    ("module_class: [unclosed", "not a readable Caikit model config"),
    ("name: EmbeddingModule\n", "names no module_class"),
])
def test_a_broken_caikit_config_is_named(tmp_path, config, expected):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "config.yml").write_text(config)
    with pytest.raises(WeightsError, match=expected):
        caikit_model_folder(str(folder))


@pytest.mark.parametrize("content, expected", [
    (b"\x01", "too short for a safetensors file"),
    (struct.pack("<Q", 2 ** 40), "no safetensors header"),
    (struct.pack("<Q", 5) + b"{nope", "malformed safetensors header"),
])
def test_unreadable_safetensors_are_named(tmp_path, content, expected):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(content)
    with pytest.raises(WeightsError, match=expected) as caught:
        weights_digest(folder)
    assert "model.safetensors" in str(caught.value)


def test_a_truncated_tensor_is_named(tmp_path):
    folder = hf_folder(tmp_path)
    data = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[:-10])
    with pytest.raises(WeightsError, match="ends inside tensor .*truncated"):
        weights_digest(folder)


def test_pytorch_bin_weights_cannot_be_compared(tmp_path):
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "pytorch_model.bin").write_bytes(b"pickle")
    with pytest.raises(WeightsError, match="no .safetensors file .*weights_mismatch=warn"):
        weights_digest(folder)


def test_the_gate_passes_on_the_same_weights(tmp_path):
    gate, warning, sides = weights_gate(str(hf_folder(tmp_path)), str(caikit_folder(tmp_path)), "embedding")
    assert gate["status"] == "passed" and gate["passed"] is True and warning is None
    assert gate["digest"] == sides["candidate"]["digest"] == sides["reference"]["digest"]
    assert sides["reference"]["folder"].endswith("artifacts") and "tensor_set" not in sides["reference"]


def test_one_folder_read_from_both_sides_passes_saying_it_is_one_folder(tmp_path):
    folder = caikit_folder(tmp_path)  # vLLM mounting Caikit's own claim: its artifacts, and Caikit's model folder
    gate, _warning, _sides = weights_gate(str(folder / "artifacts"), str(folder), "embedding")
    assert gate["status"] == "passed" and gate["same_folder"] is True
    assert "both read the one folder %s" % (folder / "artifacts") in gate["reason"]
    other, _warning, _sides = weights_gate(str(hf_folder(tmp_path)), str(folder), "embedding")
    assert other["same_folder"] is False and "one folder" not in other["reason"]


def test_the_gate_fails_on_other_weights_naming_both_folders(tmp_path):
    other = caikit_folder(tmp_path, tensors=model_tensors(seed=1))
    gate, warning, _sides = weights_gate(str(hf_folder(tmp_path)), str(other), "embedding")
    assert gate["status"] == "failed" and warning is None
    assert str(tmp_path / "hf") in gate["reason"] and str(other / "artifacts") in gate["reason"]
    assert gate["shared"] == 0 and gate["candidate_digest"] != gate["reference_digest"]
    assert "weights_mismatch=warn" in gate["reason"]


def test_warn_accepts_other_weights_as_a_named_warning_never_a_pass(tmp_path):
    other = caikit_folder(tmp_path, tensors=model_tensors(seed=1))
    gate, warning, _sides = weights_gate(str(hf_folder(tmp_path)), str(other), "embedding", on_mismatch="warn")
    assert gate["status"] == "skipped" and gate["passed"] is False
    assert warning["gate"] == "weights" and "different weights" in warning["message"]


def test_a_caikit_folder_of_another_kind_fails(tmp_path):
    reranker = caikit_folder(tmp_path, module="CrossEncoderModule")
    gate, _warning, _sides = weights_gate(str(hf_folder(tmp_path)), str(reranker), "embedding")
    assert gate["status"] == "failed" and "CrossEncoderModule" in gate["reason"] and "an embedding" in gate["reason"]


@pytest.mark.parametrize("side", ["candidate", "reference"])
def test_a_side_that_cannot_be_read_skips_the_gate(tmp_path, side):
    paths = {"candidate": str(hf_folder(tmp_path)), "reference": str(caikit_folder(tmp_path))}
    paths[side] = str(tmp_path / "missing")
    gate, _warning, sides = weights_gate(paths["candidate"], paths["reference"], "embedding")
    assert gate["status"] == "skipped" and gate["passed"] is False
    assert "not compared" in gate["reason"] and str(tmp_path / "missing") in gate["reason"]
    assert sides[side] is None


def test_add_weights_gate_keeps_the_check_true_to_its_gates(tmp_path):
    check = {"gates": {"cosine": {"status": "passed"}}, "passed": True, "failed_gates": [], "skipped_gates": []}
    warnings = []
    assert add_weights_gate(check, warnings, None, None, "embedding") == {} and "weights" not in check["gates"]
    add_weights_gate(check, warnings, str(hf_folder(tmp_path)), None, "embedding")
    assert check["skipped_gates"] == ["weights"] and check["passed"] is True
    failing = {"gates": {}, "passed": True, "failed_gates": [], "skipped_gates": []}
    other = caikit_folder(tmp_path, tensors=model_tensors(seed=2))
    add_weights_gate(failing, warnings, str(tmp_path / "hf"), str(other), "embedding")
    assert failing["passed"] is False and failing["failed_gates"] == ["weights"] and warnings == []


def test_the_float_dtypes_are_the_weights():
    assert "I64" not in weights._FLOAT_DTYPES and {"F16", "BF16", "F32"} <= set(weights._FLOAT_DTYPES)


def test_a_digest_recorded_where_the_files_were_copied_stands_for_a_folder_this_check_cannot_read(tmp_path):
    vllm_folder = str(hf_folder(tmp_path))
    vllm = weights_digest(vllm_folder)["digest"]
    caikit = str(caikit_folder(tmp_path))
    # vLLM's folder is in its pod: the digest its init container recorded against the reference's folder
    same, _warning, sides = weights_gate(None, caikit, "embedding", candidate_digest=vllm,
                                         candidate_origin="recorded by vLLM's pod")
    assert same["status"] == "passed" and same["digest"] == vllm
    assert same["reason"] == "both serve the same 3 tensors (%s); known by the digest recorded for recorded by " \
        "vLLM's pod" % vllm[:19]
    assert sides["candidate"] == {"digest": vllm, "tensors": None, "folder": "recorded by vLLM's pod"}
    # both sides recorded (the check Job reads neither folder)
    both, _warning, _sides = weights_gate(None, None, "embedding", candidate_digest=vllm, reference_digest=vllm)
    assert both["status"] == "passed"
    # another model: a failure naming both digests, no count of tensors in common (none is known)
    other = weights_digest(caikit_folder(tmp_path, "other", tensors=model_tensors(seed=3)))["digest"]
    failed, _warning, _sides = weights_gate(None, None, "embedding", candidate_digest=vllm, reference_digest=other,
                                            candidate_origin="vLLM's pod", reference_origin="discovery's copy")
    assert failed["status"] == "failed" and failed["shared"] is None
    assert failed["reason"].startswith("different weights: vLLM loads vLLM's pod (%s), the reference discovery's copy "
                                       "(%s). Start vLLM" % (vllm[:19], other[:19]))
    # a readable folder wins over a recorded digest; a digest that is not one never passes
    fresh, _warning, _sides = weights_gate(vllm_folder, caikit, "embedding", candidate_digest=other)
    assert fresh["status"] == "passed"
    bad, _warning, _sides = weights_gate(None, caikit, "embedding", candidate_digest="md5:abc")
    assert bad["status"] == "skipped" and "'md5:abc'" in bad["reason"] and "is not a weights digest" in bad["reason"]
    # no folder, no digest: skipped, as before, or with the reason the deployment gave
    unknown, _warning, _sides = weights_gate(None, caikit, "embedding")
    assert unknown["status"] == "skipped" and "candidate (vLLM)'s model folder is not known" in unknown["reason"]
    noted, _warning, _sides = weights_gate(None, caikit, "embedding", candidate_unknown="the log of model-copy is gone")
    assert noted["status"] == "skipped" and noted["reason"] == "not compared: the log of model-copy is gone"


def test_add_weights_gate_runs_with_digests_alone():
    check = {"gates": {}, "passed": True, "failed_gates": [], "skipped_gates": []}
    digest = "sha256:" + "ab" * 32
    sides = add_weights_gate(check, [], None, None, "embedding", candidate_digest=digest, reference_digest=digest)
    assert check["gates"]["weights"]["status"] == "passed" and sides["reference"]["digest"] == digest
    untouched = {"gates": {}, "passed": True, "failed_gates": [], "skipped_gates": []}
    assert add_weights_gate(untouched, [], None, None, "embedding") == {} and untouched["gates"] == {}
