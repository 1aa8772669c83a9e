# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The built-in labelled query/document groups of score_check, user-supplied groups, and pairs near and beyond a limit.

A group is ``{"query": str, "documents": [str, ...], "relevant": index or None, "lang": code}``: the
documents of one query, scored together like a consumer's rerank request; ``relevant`` names the document
a correct model ranks first (the ``labelled`` gate). Distractors share words with the query on purpose
("apple stock price" vs an iPhone launch note), so a model that only matches words gets them wrong.
"""

from __future__ import annotations

import hashlib
import json

BUILTIN_GROUPS = [
    {"lang": "en", "query": "apple stock price", "relevant": 1, "documents": [
        "Apple unveiled the new iPhone at its September launch event, with a faster chip and a better camera.",
        "Shares of Apple Inc. (AAPL) closed at $189.50 on Friday, up 2.1% after quarterly earnings beat estimates.",
        "Apple pie is a classic dessert made with sliced apples, cinnamon, sugar and a buttery crust.",
        "The quarterly finance report of a regional bank shows higher loan volumes and stable deposits.",
        "Orchards in Washington state harvested a record apple crop this autumn.",
    ]},
    {"lang": "en", "query": "how to reset a forgotten router password", "relevant": 2, "documents": [
        "A router forwards packets between networks using routing tables.",
        "Choose a strong password with at least twelve characters and a password manager.",
        "Hold the reset button on the back of the router for 30 seconds to restore factory settings, then log in "
        "with the default password printed on the label.",
        "Our new mesh routers cover a whole house with fast Wi-Fi.",
        "Forgotten passwords for email accounts can be recovered through the provider's website.",
    ]},
    {"lang": "en", "query": "symptoms of vitamin D deficiency", "relevant": 0, "documents": [
        "Low vitamin D levels can cause fatigue, bone pain, muscle weakness and frequent infections.",
        "Vitamin C is found in citrus fruit, peppers and broccoli.",
        "Sunlight helps plants grow through photosynthesis.",
        "The D-Day landings took place on 6 June 1944 in Normandy.",
        "A balanced diet includes fruit, vegetables, whole grains and protein.",
    ]},
    {"lang": "en", "query": "what is the capital of Australia", "relevant": 3, "documents": [
        "Sydney is the largest city in Australia and home to the Opera House.",
        "Australia is a country and continent surrounded by the Indian and Pacific oceans.",
        "The capital of Austria is Vienna, known for its classical music.",
        "Canberra is the capital city of Australia, chosen as a compromise between Sydney and Melbourne.",
        "Kangaroos and koalas are native Australian animals.",
    ]},
    {"lang": "de", "query": "Wie hoch ist der Eiffelturm?", "relevant": 1, "documents": [
        "Der Eiffelturm wurde für die Weltausstellung 1889 in Paris gebaut.",
        "Der Eiffelturm ist mit Antenne etwa 330 Meter hoch.",
        "Paris ist die Hauptstadt Frankreichs.",
        "Der Fernsehturm in Berlin ist 368 Meter hoch.",
    ]},
    {"lang": "fr", "query": "recette de la pâte à crêpes", "relevant": 0, "documents": [
        "Mélangez 250 g de farine, 4 œufs, 50 cl de lait et une pincée de sel pour obtenir une pâte à crêpes lisse.",
        "La Bretagne est célèbre pour ses crêpes et son cidre.",
        "Une pâte à pain demande de la levure et un long temps de repos.",
        "Le crêpe de Chine est un tissu de soie léger.",
    ]},
    {"lang": "es", "query": "¿Cuándo se descubrió la penicilina?", "relevant": 2, "documents": [
        "Los antibióticos no sirven contra los virus.",
        "La penicilina se usa para tratar infecciones bacterianas.",
        "Alexander Fleming descubrió la penicilina en 1928 en Londres.",
        "El descubrimiento de América fue en 1492.",
    ]},
    {"lang": "zh", "query": "北京的天气怎么样", "relevant": 0, "documents": [
        "北京今天晴，最高气温二十五度，北风二级。",
        "北京是中国的首都，有悠久的历史。",
        "上海明天有小雨。",
        "天气预报使用卫星和气象站的数据。",
    ]},
]

# Words that are one token in every common vocabulary (WordPiece, SentencePiece, byte-level BPE), so a
# document of N of them is about N tokens whatever the tokenizer, and never fewer.
_FILLER = ("the of and to in is was for on that with as by at from it an be this which or are were has have "
           "had not but all can its more one also been their they there than into some other about only").split()
_LONG_QUERY = "what is this text about"


class PairsError(ValueError):
    pass


def builtin_groups(multilingual=False):
    """The built-in groups: all of them for a multilingual model, the English ones otherwise."""
    return [dict(g) for g in BUILTIN_GROUPS if multilingual or g["lang"] == "en"]


def load_groups(groups=None, path=None, multilingual=False):
    """Groups from the module's ``pairs`` option, a JSON file (a list, or ``{"groups": [...]}``), or the built-in set."""
    if path:
        try:
            with open(path) as handle:
                document = json.load(handle)
        except (IOError, OSError) as exc:
            raise PairsError("cannot read pairs file %s (%s)" % (path, exc.strerror or exc))
        except ValueError as exc:
            raise PairsError("pairs file %s is not valid JSON (%s)" % (path, exc))
        groups = document.get("groups") if isinstance(document, dict) else document
    if groups is None:
        return builtin_groups(multilingual)
    return validate_groups(groups)


def validate_groups(groups):
    if not isinstance(groups, list) or not groups:
        raise PairsError("pairs must be a non-empty list of {query, documents, relevant}")
    checked = []
    for number, group in enumerate(groups):
        if not isinstance(group, dict) or not isinstance(group.get("query"), str) or not group["query"].strip():
            raise PairsError("pairs[%d] needs a non-empty 'query' string" % number)
        documents = group.get("documents")
        if not isinstance(documents, list) or len(documents) < 2 or not all(isinstance(d, str) and d.strip() for d in documents):
            raise PairsError("pairs[%d] needs 'documents': at least two non-empty strings (a ranking needs two)" % number)
        relevant = group.get("relevant")
        if relevant is not None and (not isinstance(relevant, int) or isinstance(relevant, bool) or not 0 <= relevant < len(documents)):
            raise PairsError("pairs[%d]: 'relevant' must be the index of one of its %d documents" % (number, len(documents)))
        checked.append({"query": group["query"], "documents": list(documents), "relevant": relevant,
                        "lang": group.get("lang", "")})
    return checked


def apply_template(groups, query_template=None, document_template=None):
    """Groups with every query and document put through the model's prompt template (``{query}``, ``{document}``).

    Decoder rerankers (Qwen3-Reranker) expect their instruction format; both sides get the same text.
    """
    if not query_template and not document_template:
        return groups
    try:
        return [dict(g, query=query_template.format(query=g["query"]) if query_template else g["query"],
                     documents=[document_template.format(document=d) if document_template else d for d in g["documents"]])
                for g in groups]
    except (KeyError, IndexError, ValueError) as exc:
        raise PairsError("prompt template cannot be applied (%s): use only the placeholders {query} and {document}" % exc)


def groups_sha256(groups, long_pairs=()):
    """sha256 over what was scored, for the provenance record."""
    blob = json.dumps({"groups": [[g["query"], g["documents"]] for g in groups],
                       "long": [[p["query"], p["document"]] for p in long_pairs]}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _filler(words):
    return " ".join(_FILLER[i % len(_FILLER)] for i in range(words))


def long_pairs(max_tokens):
    """Pairs around the model's limit of ``max_tokens`` (query + document + special tokens).

    - ``near_limit``: about 80% of the limit. Within it for any tokenizer whose filler words are one
      token, so every correct server scores it; a context shorter than the model's (``--max-model-len``)
      rejects or truncates it.
    - ``over_limit`` and ``far_over_limit``: past the limit whatever the tokenizer (every word is at least
      one token); the candidate must reject or truncate them as the reference does.
    """
    if not max_tokens or max_tokens < 16:
        raise PairsError("max_tokens must be at least 16 to build pairs around the limit, got %r" % max_tokens)
    return [
        {"name": "near_limit", "query": _LONG_QUERY, "document": _filler(int(max_tokens * 0.8) - 12),
         "within_limit": True},
        {"name": "over_limit", "query": _LONG_QUERY, "document": _filler(max_tokens + 8), "within_limit": False},
        {"name": "far_over_limit", "query": _LONG_QUERY, "document": _filler(max_tokens * 4), "within_limit": False},
    ]
