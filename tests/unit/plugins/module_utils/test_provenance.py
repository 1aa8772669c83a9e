"""Provenance of check results: model folder digest and the record's shape (CHECK_CONTRACT.md)."""

from __future__ import annotations

import datetime

from ansible_collections.vllm_pooling.migration.plugins.module_utils.provenance import build_provenance, model_digest


def _folder(tmp_path):
    folder = tmp_path / "model"
    (folder / "1_Pooling").mkdir(parents=True)
    (folder / "config.json").write_text('{"hidden_size": 384}')
    (folder / "1_Pooling" / "config.json").write_text('{"pooling_mode_mean_tokens": true}')
    return folder


def test_model_digest_is_stable_and_sees_every_edit(tmp_path):
    folder = _folder(tmp_path)
    first, problem = model_digest(str(folder))
    assert problem is None and len(first) == 64
    assert model_digest(str(folder) + "/")[0] == first
    (folder / "1_Pooling" / "config.json").write_text('{"pooling_mode_cls_token": true}')
    assert model_digest(str(folder))[0] != first


def test_model_digest_sees_a_removed_or_renamed_file(tmp_path):
    folder = _folder(tmp_path)
    (folder / "modules.json").write_text("[]")
    whole = model_digest(str(folder))[0]
    (folder / "modules.json").rename(folder / "modules.json.bak")
    renamed = model_digest(str(folder))[0]
    (folder / "modules.json.bak").unlink()
    assert len({whole, renamed, model_digest(str(folder))[0]}) == 3


def test_model_digest_unknown_is_null_never_guessed(tmp_path):
    assert model_digest(None) == (None, None)
    digest, problem = model_digest(str(tmp_path / "missing"))
    assert digest is None and "not a readable directory" in problem


def test_build_provenance_has_every_contract_field():
    served = {"served_model": "minilm", "root": "/m", "max_model_len": 256, "version": "0.32.0"}
    record = build_provenance(served, "ab" * 32, "caikit", "caikit-nlp 0.5.15", "minilm", "cd" * 32,
                              {"cosine_threshold": 0.99})
    assert record["candidate"] == {"server": "vllm", "version": "0.32.0", "served_model": "minilm", "root": "/m",
                                   "max_model_len": 256, "model_digest": "ab" * 32, "weights_digest": None}
    assert record["reference"] == {"type": "caikit", "version": "caikit-nlp 0.5.15", "model": "minilm",
                                   "weights_digest": None, "weights_path": None}
    assert record["corpus_sha256"] == "cd" * 32 and record["thresholds"] == {"cosine_threshold": 0.99}
    checked = datetime.datetime.fromisoformat(record["checked_at"])
    assert checked.utcoffset() == datetime.timedelta(0)
    assert "collection_version" in record
    compared = build_provenance(served, None, "caikit", None, "minilm", "cd" * 32, {}, weights={
        "candidate": {"digest": "sha256:aa", "tensors": 3, "folder": "/m"},
        "reference": {"digest": "sha256:bb", "tensors": 3, "folder": "/caikit/minilm/artifacts"}})
    assert compared["candidate"]["weights_digest"] == "sha256:aa"
    assert compared["reference"]["weights_digest"] == "sha256:bb"
    assert compared["reference"]["weights_path"] == "/caikit/minilm/artifacts"
    unknown = build_provenance(None, None, "golden", None, "minilm", "cd" * 32, {})
    assert unknown["candidate"]["version"] is None and unknown["candidate"]["root"] is None
