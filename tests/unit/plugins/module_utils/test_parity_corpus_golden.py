"""Embedding parity orchestration on in-memory sources, corpus loading and golden files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils.corpus import (
    DEFAULT_CORPUS, CorpusError, load_corpus, over_long_texts)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.embedding_parity import run_embedding_parity
from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError, RequestRejected
from ansible_collections.vllm_pooling.migration.plugins.module_utils.golden import (
    GoldenFileReference, GoldenRecorder)


class FakeSource:
    """A deterministic embedding per text; options model the failure modes seen in real servers."""

    kind = "fake"
    url = "memory://fake"

    def __init__(self, dim=8, scale=1.0, limit=None, batch_bug=False, seed=0):
        self.dim, self.scale, self.limit, self.batch_bug, self.seed = dim, scale, limit, batch_bug, seed

    def vector(self, text):
        rng = np.random.default_rng(abs(hash((text, self.seed))) % (2 ** 32))
        v = rng.normal(size=self.dim)
        return self.scale * v / np.linalg.norm(v)

    def embed(self, texts, truncate=False):
        out = []
        for t in texts:
            if self.limit and len(t.split()) > self.limit:
                if not truncate:
                    raise RequestRejected("m", self.url, 400, "too long")
                t = " ".join(t.split()[:self.limit])
            out.append(self.vector(t))
        m = np.vstack(out)
        if self.batch_bug and len(texts) > 1:
            m = m[::-1]
        return m


CORPUS = ["alpha", "beta", "gamma", "delta", "epsilon"]


def test_identical_sources_pass_every_gate():
    r = run_embedding_parity(FakeSource(limit=10), FakeSource(limit=10), CORPUS, batch_size=2,
                             long_texts=over_long_texts(10), expected_dimension=8)
    assert r["passed"], r["failed_gates"]
    assert set(r["gates"]) == {"dimension", "cosine", "norms", "batch", "long_input"}


def test_different_model_fails_cosine():
    r = run_embedding_parity(FakeSource(seed=1), FakeSource(seed=0), CORPUS)
    assert not r["passed"] and "cosine" in r["failed_gates"]
    assert r["gates"]["cosine"]["below_threshold"] == len(CORPUS)


def test_unnormalized_candidate_fails_norms_only():
    r = run_embedding_parity(FakeSource(scale=2.0), FakeSource(), CORPUS)
    assert r["failed_gates"] == ["norms"]


def test_batch_bug_fails_batch_gate():
    r = run_embedding_parity(FakeSource(batch_bug=True), FakeSource(), CORPUS, batch_size=5)
    assert "batch" in r["failed_gates"]


def test_dimension_mismatch_fails_and_marks_others_not_evaluated():
    r = run_embedding_parity(FakeSource(dim=4), FakeSource(dim=8), CORPUS)
    assert {"dimension", "cosine", "norms"} <= set(r["failed_gates"])
    assert r["gates"]["cosine"]["reason"].startswith("not evaluated")


def test_candidate_that_truncates_silently_fails_long_input():
    r = run_embedding_parity(FakeSource(), FakeSource(limit=10), CORPUS, long_texts=over_long_texts(10))
    assert r["failed_gates"] == ["long_input"]


def test_served_gate():
    r = run_embedding_parity(FakeSource(), FakeSource(), CORPUS, served_models=["other"], served_model="minilm")
    assert r["failed_gates"] == ["served"]


def test_over_long_texts_exceed_the_limit():
    short, long_ = over_long_texts(256)
    assert len(short.split()) > 256 and len(long_.split()) >= 4 * 256


def test_default_corpus_is_multilingual_and_nonempty():
    assert len(DEFAULT_CORPUS) >= 20
    assert any(ord(c) > 0x3000 for t in DEFAULT_CORPUS for c in t)  # CJK present
    assert load_corpus() == DEFAULT_CORPUS


def test_corpus_files(tmp_path):
    (tmp_path / "c.json").write_text(json.dumps({"texts": ["a", "b"]}))
    (tmp_path / "c.txt").write_text("one\n\n two \n")
    assert load_corpus(path=str(tmp_path / "c.json")) == ["a", "b"]
    assert load_corpus(path=str(tmp_path / "c.txt")) == ["one", " two "]
    (tmp_path / "bad.json").write_text("{nope")
    (tmp_path / "empty.txt").write_text("\n\n")
    with pytest.raises(CorpusError, match="not valid JSON"):
        load_corpus(path=str(tmp_path / "bad.json"))
    with pytest.raises(CorpusError, match="empty"):
        load_corpus(path=str(tmp_path / "empty.txt"))
    with pytest.raises(CorpusError, match="cannot read"):
        load_corpus(path=str(tmp_path / "missing.txt"))
    with pytest.raises(CorpusError, match="empty"):
        load_corpus(texts=["ok", "  "])


def test_golden_round_trip(tmp_path):
    recorder = GoldenRecorder(FakeSource(limit=10))
    long_texts = over_long_texts(10)
    first = run_embedding_parity(FakeSource(limit=10), recorder, CORPUS, long_texts=long_texts)
    path = tmp_path / "golden.json"
    path.write_text(json.dumps(recorder.document("minilm")))
    golden = GoldenFileReference(str(path), "minilm")
    again = run_embedding_parity(FakeSource(limit=10), golden, CORPUS, long_texts=long_texts)
    assert first["passed"] and again["passed"]
    # a broken candidate is caught against the golden file too
    assert not run_embedding_parity(FakeSource(seed=3, limit=10), golden, CORPUS, long_texts=long_texts)["passed"]


def test_golden_missing_text_is_an_error_not_a_pass(tmp_path):
    recorder = GoldenRecorder(FakeSource())
    recorder.embed(["alpha"])
    path = tmp_path / "g.json"
    path.write_text(json.dumps(recorder.document("minilm")))
    with pytest.raises(CheckError, match="no record for text 'beta'"):
        GoldenFileReference(str(path), "minilm").embed(["alpha", "beta"])


@pytest.mark.parametrize("content,cause", [(None, "cannot read"), ("{", "not valid JSON"),
                                           ('{"format": "other"}', "not a golden file")])
def test_golden_bad_files(tmp_path, content, cause):
    path = tmp_path / "g.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(CheckError, match=cause):
        GoldenFileReference(str(path), "minilm")
