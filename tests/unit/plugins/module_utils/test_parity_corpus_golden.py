"""Embedding parity orchestration on in-memory sources, corpus loading and golden files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils.corpus import (
    DEFAULT_CORPUS, CorpusError, corpus_sha256, limit_passage_tokens, load_corpus, over_long_texts, rag_passages)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.embedding_parity import (
    check_arguments, length_passages, run_embedding_parity)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError, RequestRejected
from ansible_collections.vllm_pooling.migration.plugins.module_utils.golden import (
    GoldenFileReference, GoldenRecorder)


class FakeSource:
    """A deterministic embedding per text; options model the failure modes seen in real servers.

    Tokens are words plus ``specials``; a word with capitals counts 2 and changes the vector when the tokenizer
    does not lowercase. ``limit`` is the context in tokens; ``counts`` whether answers report token counts.
    """

    kind = "fake"
    url = "memory://fake"

    def __init__(self, dim=8, scale=1.0, limit=None, batch_bug=False, seed=0, lowercase=True, specials=2,
                 counts=True):
        self.dim, self.scale, self.limit, self.batch_bug, self.seed = dim, scale, limit, batch_bug, seed
        self.lowercase, self.specials, self.counts = lowercase, specials, counts
        self.tokenized = []

    def tokens(self, text):
        return self.specials + sum(1 if self.lowercase or w.islower() else 2 for w in text.split())

    def count_tokens(self, text):
        self.tokenized.append(text)
        return self.tokens(text)

    def vector(self, text):
        text = text.lower() if self.lowercase else text
        rng = np.random.default_rng(abs(hash((text, self.seed))) % (2 ** 32))
        v = rng.normal(size=self.dim)
        return self.scale * v / np.linalg.norm(v)

    def embed_counted(self, texts, truncate=False):
        out, total = [], 0
        for t in texts:
            if self.limit and self.tokens(t) > self.limit:
                if not truncate:
                    raise RequestRejected("m", self.url, 400, "too long")
                t = " ".join(t.split()[:self.limit - self.specials])
            out.append(self.vector(t))
            total += self.tokens(t)
        m = np.vstack(out)
        if self.batch_bug and len(texts) > 1:
            m = m[::-1]
        return m, total if self.counts else None

    def embed(self, texts, truncate=False):
        return self.embed_counted(texts, truncate)[0]


class VectorsOnly:
    """A reference that gives vectors but no token counts (an OpenAI server without usage)."""

    kind = "plain"
    url = "memory://plain"

    def __init__(self, source):
        self.source = source

    def embed(self, texts, truncate=False):
        return self.source.embed(texts, truncate)


CORPUS = ["alpha", "beta", "gamma", "delta", "epsilon"]


def test_identical_sources_pass_every_gate():
    r = run_embedding_parity(FakeSource(limit=10), FakeSource(limit=10), CORPUS, batch_size=2,
                             long_texts=over_long_texts(10), expected_dimension=8)
    assert r["passed"], r["failed_gates"]
    assert set(r["gates"]) == {"input_lengths", "dimension", "cosine", "norms", "batch", "distinct_outputs", "tokens",
                               "long_input"}
    assert r["skipped_gates"] == [] and all(g["status"] == "passed" for g in r["gates"].values())
    assert [c["mode"] for c in r["gates"]["long_input"]["cases"]] == ["default", "default", "truncate", "truncate"]


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
    # past the limit comes another subject, so chunking and truncating give different vectors
    assert short.split()[:256] == long_.split()[:256] and "dough" in long_ and "dough" not in " ".join(long_.split()[:256])


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


MIXED = ["alpha", "Hello World", "beta gamma", "The Quick fox", "delta"]


def test_short_context_rejecting_rag_passages_fails_input_lengths():
    passage = " ".join(["word"] * 40)  # 42 tokens: the reference (limit 256) embeds it, a 32-token context rejects it
    r = run_embedding_parity(FakeSource(limit=32), FakeSource(limit=256), CORPUS + [passage])
    assert r["failed_gates"] == ["input_lengths"]
    gate = r["gates"]["input_lengths"]
    assert gate["mismatches"][0]["tokens"] == 42 and gate["mismatches"][0]["rejected_by"] == "candidate"
    # the other gates are measured on the texts both embedded, and say how many
    assert r["gates"]["cosine"]["texts"] == len(CORPUS)


def test_tokenizer_without_lowercasing_fails_tokens_with_the_texts():
    r = run_embedding_parity(FakeSource(lowercase=False), FakeSource(), MIXED)
    assert {"tokens", "cosine"} <= set(r["failed_gates"])
    assert {w["text"] for w in r["gates"]["tokens"]["worst"]} == {"Hello World", "The Quick fox"}


def test_special_tokens_not_added_fails_tokens_on_every_text():
    r = run_embedding_parity(FakeSource(specials=0), FakeSource(), MIXED)
    assert "tokens" in r["failed_gates"] and r["gates"]["tokens"]["differing"] == len(MIXED)


def test_reference_without_token_counts_skips_tokens_but_still_passes():
    r = run_embedding_parity(FakeSource(), VectorsOnly(FakeSource()), CORPUS)
    assert r["passed"] and r["skipped_gates"] == ["tokens"] and r["gates"]["tokens"]["status"] == "skipped"


def test_served_config_gate_runs_when_the_config_is_given():
    config = {"served_model": "m", "root": "/w", "max_model_len": 64, "version": "0.32.0"}
    r = run_embedding_parity(FakeSource(), FakeSource(), CORPUS, served_config=config, expected_max_model_len=256,
                             expected_root="/w")
    assert r["failed_gates"] == ["served_config"]


def test_nothing_embedded_by_both_is_not_a_pass():
    r = run_embedding_parity(FakeSource(limit=2), FakeSource(), CORPUS)
    assert not r["passed"] and r["gates"]["cosine"]["reason"].startswith("not evaluated") and r["dimension"] is None


def test_rag_passages_land_just_under_the_limit_by_the_servers_count():
    source = FakeSource(lowercase=False)  # capitalised words count 2: words are not tokens
    passages = rag_passages(256, source.count_tokens)
    assert [p["target"] for p in passages] == [64, 128, limit_passage_tokens(256)] == [64, 128, 252]
    for passage in passages:
        assert passage["tokens"] == source.tokens(passage["text"]) <= passage["target"]
        assert passage["tokens"] >= passage["target"] - 1  # one more word would cross the target
    assert rag_passages(256, FakeSource(lowercase=False).count_tokens) == passages  # deterministic
    assert len({p["text"][:30] for p in passages}) == 3  # not prefixes of each other
    assert [p["target"] for p in rag_passages(100, source.count_tokens)] == [64, 98]


def test_rag_passages_need_a_counter_that_can_fit_a_word():
    with pytest.raises(CorpusError, match="cannot build a passage"):
        rag_passages(256, lambda text: 10 ** 6)


class NoTokenize(FakeSource):
    def count_tokens(self, text):
        raise CheckError("m", "memory://", "HTTP 404: not found", "")


def test_length_passages_are_sized_by_the_candidate_and_checked_by_the_reference():
    candidate, reference = FakeSource(), FakeSource(limit=256)
    passages = length_passages(256, candidate, reference)
    assert [p["counted_by"] for p in passages] == ["candidate"] * 3 and candidate.tokenized
    assert len(reference.tokenized) == 3  # one confirmation per passage, no search on the reference


def test_length_passages_follow_the_reference_where_the_candidate_tokenizer_drifted():
    # the candidate counts fewer tokens (no special tokens): its limit passage would be over the reference's limit
    passages = length_passages(256, FakeSource(specials=0), FakeSource(limit=256))
    reference = FakeSource()
    assert all(reference.tokens(p["text"]) <= p["target"] for p in passages)
    assert {p["counted_by"] for p in passages} == {"reference"}


def test_length_passages_fall_back_to_the_reference_then_fail_clearly(tmp_path):
    reference = FakeSource()
    by_reference = length_passages(256, NoTokenize(), reference)
    assert {p["counted_by"] for p in by_reference} == {"reference"}
    assert [p["text"] for p in by_reference] == [p["text"] for p in length_passages(256, FakeSource(), reference)]
    with pytest.raises(CorpusError, match="no side counts tokens"):
        length_passages(256, NoTokenize(), VectorsOnly(reference))


class CountsByEmbedding(FakeSource):
    """Like Caikit: a count is an embedding request, refused over the limit."""

    def count_tokens(self, text):
        return self.embed_counted([text])[1]


def test_a_rejection_while_counting_means_too_long():
    passages = length_passages(256, NoTokenize(), CountsByEmbedding(limit=200))
    assert passages[-1]["tokens"] <= 200 and passages[-1]["target"] == 252


def test_golden_file_replays_its_length_passages(tmp_path):
    recorder = GoldenRecorder(FakeSource())
    recorder.passages = length_passages(256, FakeSource(), recorder)
    path = tmp_path / "g.json"
    path.write_text(json.dumps(recorder.document("minilm")))
    assert length_passages(256, NoTokenize(), GoldenFileReference(str(path), "minilm")) == recorder.passages


def test_corpus_hash_is_stable_and_changes_with_any_text():
    assert corpus_sha256(["a", "b"], ["long"]) == corpus_sha256(["a", "b"], ["long"])
    assert len({corpus_sha256(["a", "b"]), corpus_sha256(["b", "a"]), corpus_sha256(["a", "b"], ["x"])}) == 3


def _args(**overrides):
    args = {"candidate_url": "http://vllm:8000", "candidate_model": "minilm", "reference_type": "caikit",
            "reference_url": "http://caikit:8080", "reference_model": "minilm", "cosine_threshold": 0.99,
            "norm_tolerance": 0.01, "batch_threshold": 0.9999, "batch_size": 16, "max_tokens": 256,
            "check_long_inputs": True, "length_passages": True}
    args.update(overrides)
    return args


def test_check_arguments_accepts_a_normal_check():
    assert check_arguments(**_args()) == ([], [], "http://vllm:8000", "http://caikit:8080")


@pytest.mark.parametrize("overrides,message", [
    ({"cosine_threshold": 1.5}, "cosine_threshold=1.5 is outside (0.0, 1.0]"),
    ({"batch_threshold": 0}, "batch_threshold=0"),
    ({"norm_tolerance": -1}, "norm_tolerance=-1"),
    ({"batch_size": 0}, "batch_size=0"),
    ({"max_tokens": None}, "need max_tokens"),
    ({"max_tokens": 2}, "max_tokens=2"),
    ({"reference_type": "openai", "reference_url": "http://vllm:8000/v1/"}, "the reference is the candidate itself"),
    ({"reference_type": "openai", "reference_url": "http://vllm:8000", "reference_model": None},
     "the reference is the candidate itself"),
])
def test_check_arguments_rejects_meaningless_settings(overrides, message):
    problems = check_arguments(**_args(**overrides))[0]
    assert any(message in problem for problem in problems), problems


def test_check_arguments_fixes_a_v1_base_url_with_a_warning():
    args = _args(candidate_url="http://vllm:8000/v1")
    problems, warnings, candidate_url, _reference_url = check_arguments(**args)
    assert problems == [] and candidate_url == "http://vllm:8000"
    assert warnings == [{"gate": "input", "message": "candidate_url: base URL http://vllm:8000/v1 ends in /v1; "
                                                     "using http://vllm:8000 (the check adds /v1/... itself)"}]
    # the same server under another model name is a legitimate reference
    assert check_arguments(**_args(reference_type="openai", reference_url="http://vllm:8000",
                                   reference_model="other"))[0] == []


def test_golden_records_token_counts_and_replays_them(tmp_path):
    recorder = GoldenRecorder(FakeSource())
    run_embedding_parity(FakeSource(), recorder, MIXED)
    path = tmp_path / "g.json"
    path.write_text(json.dumps(recorder.document("minilm")))
    golden = GoldenFileReference(str(path), "minilm")
    assert golden.embed_counted(["Hello World"])[1] == 4
    drift = run_embedding_parity(FakeSource(lowercase=False), golden, MIXED)
    assert "tokens" in drift["failed_gates"]


def test_an_endpoint_error_on_either_side_stops_the_check():
    class Broken(FakeSource):
        def embed_counted(self, texts, truncate=False):
            raise CheckError("m", "memory://broken", "HTTP 503", "read its log")

    for candidate, reference in ((Broken(), FakeSource()), (FakeSource(), Broken())):
        with pytest.raises(CheckError, match="memory://broken"):
            run_embedding_parity(candidate, reference, CORPUS)


def test_write_golden_changes_only_what_differs(tmp_path):
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.golden import write_golden
    path = str(tmp_path / "sub" / "golden.json")
    document = {"format": "f", "records": [{"text": "a"}], "recorded_at": "t1"}
    assert write_golden(path, document, check_mode=True) is True and not (tmp_path / "sub").exists()
    assert write_golden(path, document) is True
    assert write_golden(path, dict(document, recorded_at="t2")) is False  # same records: no change
    assert write_golden(path, dict(document, activation="sigmoid"), ("records", "activation")) is True
    assert write_golden(path, dict(document, records=[{"text": "b"}])) is True
    assert json.loads((tmp_path / "sub" / "golden.json").read_text())["records"] == [{"text": "b"}]
