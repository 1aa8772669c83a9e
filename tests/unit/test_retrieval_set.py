# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The built-in retrieval set keeps its shape: sizes, ids, grades, passage lengths, languages and hard negatives,
so that an edit cannot silently make it smaller, easier or inconsistent."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils import retrieval_set as rs

DOMAINS = ("it", "doc", "fin", "gen")
PASSAGE_ID = re.compile(r"^(it|doc|fin|gen)-\d{3}$")
QUERY_ID = re.compile(r"^q-(it|doc|fin|gen)-\d{2}$")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
# Content words: runs of kanji or of katakana (Japanese has no spaces, particles are hiragana), and words of at
# least 4 letters or digits in the other scripts.
CONTENT_WORD = re.compile(r"[\u4e00-\u9fff]{2,}|[\u30a0-\u30ff]{2,}|[^\W_\u3040-\u30ff\u3400-\u9fff]{4,}")
STOPWORDS = frozenset(
    "what when where which while with that this these those from into does have your there their they them then than will would "
    "should could about after before some more most also only each other been being were here just over very such "
    "eine einen einem einer eines nicht sich wird werden kann wenn dass nach oder auch mein meine mich sind haben "
    "pour dans avec sans comment quel quelle quels quelles sont cette leur plus faut peut tout tous "
    "para como cómo cuál cuáles cuando donde dónde sobre entre desde hasta esta este estos tiene puedo".split()
)


def content_words(text):
    return {word for word in CONTENT_WORD.findall(text.lower()) if word not in STOPWORDS}


def domain(identifier):
    return identifier.split("-")[-2]


def test_metadata():
    assert rs.NAME == "vllm_pooling builtin retrieval set"
    assert isinstance(rs.VERSION, str) and rs.VERSION


def test_sizes():
    assert 48 <= len(rs.QUERIES) <= 60
    assert 260 <= len(rs.CORPUS) <= 320


def test_domains_are_balanced():
    passages = Counter(domain(pid) for pid in rs.CORPUS)
    queries = Counter(domain(qid) for qid in rs.QUERIES)
    for name in ("it", "doc", "fin"):
        assert 0.25 <= passages[name] / len(rs.CORPUS) <= 0.42, (name, passages)
        assert 0.25 <= queries[name] / len(rs.QUERIES) <= 0.42, (name, queries)
    assert 1 <= passages["gen"] <= 0.1 * len(rs.CORPUS)


def test_ids_are_well_formed_and_unique():
    # Dict keys are unique by construction; a duplicate key in the source would silently drop a passage, so also
    # check that the numbering has no gaps.
    assert all(PASSAGE_ID.match(pid) for pid in rs.CORPUS), [pid for pid in rs.CORPUS if not PASSAGE_ID.match(pid)]
    assert all(QUERY_ID.match(qid) for qid in rs.QUERIES), [qid for qid in rs.QUERIES if not QUERY_ID.match(qid)]
    for name in DOMAINS:
        numbers = sorted(int(pid.split("-")[1]) for pid in rs.CORPUS if domain(pid) == name)
        assert numbers == list(range(1, len(numbers) + 1)), name
        numbers = sorted(int(qid.split("-")[2]) for qid in rs.QUERIES if domain(qid) == name)
        assert numbers == list(range(1, len(numbers) + 1)), name


def test_passages_have_title_and_text():
    for pid, passage in rs.CORPUS.items():
        assert set(passage) == {"title", "text"}, pid
        assert passage["title"].strip() and passage["text"].strip(), pid
        assert passage["text"] == passage["text"].strip() and "  " not in passage["text"], pid
    texts = [passage["text"] for passage in rs.CORPUS.values()]
    assert len(set(texts)) == len(texts), "two passages have the same text"


@pytest.mark.parametrize("pid", sorted(rs.CORPUS))
def test_passage_length(pid):
    text = rs.CORPUS[pid]["text"]
    if CJK.search(text):
        # Japanese: about one word piece per character.
        assert 40 <= len(re.sub(r"\s", "", text)) <= 110, pid
    else:
        assert 20 <= len(text.split()) <= 70, pid


def test_query_length():
    for qid, text in rs.QUERIES.items():
        if CJK.search(text):
            assert 6 <= len(re.sub(r"\s", "", text)) <= 40, qid
        else:
            assert 3 <= len(text.split()) <= 20, qid
    assert len(set(rs.QUERIES.values())) == len(rs.QUERIES)


def test_every_query_has_qrels_and_every_qrel_exists():
    assert set(rs.QRELS) == set(rs.QUERIES)
    for qid, judged in rs.QRELS.items():
        assert set(judged) <= set(rs.CORPUS), (qid, set(judged) - set(rs.CORPUS))


def test_grades():
    for qid, judged in rs.QRELS.items():
        assert 1 <= len(judged) <= 4, qid
        assert set(judged.values()) <= {1, 2}, qid
        assert 2 in judged.values(), qid


def test_languages():
    assert set(rs.LANGUAGES) == set(rs.QUERIES)
    assert set(rs.LANGUAGES.values()) <= {"en", "de", "fr", "es", "ja", "zh"}
    counts = Counter(rs.LANGUAGES.values())
    assert 0.6 <= counts["en"] / len(rs.QUERIES) <= 0.8, counts
    for language in set(counts) - {"en"}:
        assert counts[language] >= 4, counts
    assert {"de", "fr", "es"} <= set(counts) and counts["ja"] + counts["zh"] >= 4, counts
    # The tag agrees with the script of the query.
    for qid, text in rs.QUERIES.items():
        assert bool(CJK.search(text)) == (rs.LANGUAGES[qid] in ("ja", "zh")), qid


def test_some_queries_are_cross_lingual():
    def script(text):
        return "cjk" if CJK.search(text) else "latin"

    crossing = [
        qid for qid, judged in rs.QRELS.items()
        if any(script(rs.CORPUS[pid]["text"]) != script(rs.QUERIES[qid]) for pid, grade in judged.items() if grade == 2)
    ]
    # Only a script change is detectable without a passage language tag; German, French and Spanish queries
    # answered in English come on top of these.
    assert len(crossing) >= 2, crossing


@pytest.mark.parametrize("qid", sorted(rs.QUERIES))
def test_hard_negatives(qid):
    query = content_words(rs.QUERIES[qid])
    hard = [
        pid for pid, passage in rs.CORPUS.items()
        if pid not in rs.QRELS[qid] and len(content_words(passage["text"]) & query) >= 2
    ]
    assert len(hard) >= 2, (qid, sorted(query), hard)


def test_source_is_plain_literals():
    # Standard library only, no imports besides __future__: the module is data.
    source = open(rs.__file__, encoding="utf-8").read()
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert imports == ["from __future__ import annotations"]
    assert max(len(line) for line in source.splitlines()) < 160
