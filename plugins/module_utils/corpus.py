# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# Apache License 2.0 (see LICENSE)
"""The texts a check runs on: a built-in corpus or a user's file, and over-long inputs."""

from __future__ import annotations

import json

# Short queries, RAG-style passages, technical text, and 12 languages, so that pooling,
# tokenization and multilingual handling all show up in the numbers.
DEFAULT_CORPUS = [
    "hello world",
    "vLLM",
    "How do I rotate the TLS certificate of an OpenShift route?",
    "What is the refund policy for annual subscriptions?",
    "Kubernetes schedules pods onto nodes that satisfy their resource requests and tolerations.",
    "The quarterly report shows revenue grew 12% while operating costs stayed flat.",
    "Retrieval-augmented generation combines a search index with a language model: the retriever "
    "finds passages relevant to the question and the generator writes an answer grounded in them.",
    "To migrate the embedding service, deploy the new server next to the old one, compare their "
    "vectors on the same corpus, benchmark both, and only then move consumers over.",
    "def cosine(a, b): return dot(a, b) / (norm(a) * norm(b))",
    "ERROR 503 Service Unavailable: upstream connect error or disconnect/reset before headers",
    "Order #48213 shipped on 2026-03-14 to 221B Baker Street, London NW1 6XE.",
    "The patient reported mild headaches after the second dose; no further adverse events.",
    "Photosynthesis converts light energy into chemical energy stored in glucose.",
    "   leading and trailing whitespace   ",
    "UPPER CASE TEXT WITH PUNCTUATION!!! ??? ...",
    "Emoji and symbols: \u2705 \U0001F680 \u00a9 \u2122 \u20ac 42",
    "Wie kann ich mein Passwort zur\u00fccksetzen?",
    "Comment puis-je r\u00e9initialiser mon mot de passe ?",
    "\u00bfC\u00f3mo puedo restablecer mi contrase\u00f1a?",
    "Come posso reimpostare la mia password?",
    "Como posso redefinir a minha senha?",
    "Hoe kan ik mijn wachtwoord opnieuw instellen?",
    "\u30d1\u30b9\u30ef\u30fc\u30c9\u3092\u30ea\u30bb\u30c3\u30c8\u3059\u308b\u306b\u306f\u3069\u3046\u3059\u308c\u3070\u3044\u3044\u3067\u3059\u304b\uff1f",
    "\u6211\u5982\u4f55\u91cd\u7f6e\u6211\u7684\u5bc6\u7801\uff1f",
    "\u0643\u064a\u0641 \u064a\u0645\u0643\u0646\u0646\u064a \u0625\u0639\u0627\u062f\u0629 \u062a\u0639\u064a\u064a\u0646 \u0643\u0644\u0645\u0629 \u0627\u0644\u0645\u0631\u0648\u0631\u061f",
    "\ube44\ubc00\ubc88\ud638\ub97c \uc7ac\uc124\uc815\ud558\ub824\uba74 \uc5b4\ub5bb\uac8c \ud574\uc57c \ud558\ub098\uc694?",
    "\u041a\u0430\u043a \u0441\u0431\u0440\u043e\u0441\u0438\u0442\u044c \u043c\u043e\u0439 \u043f\u0430\u0440\u043e\u043b\u044c?",
    "Jak mohu obnovit sv\u00e9 heslo?",
]

_FILLER = ("the migration keeps every consumer on the old service until the new one has "
           "proven itself on the same data ")


class CorpusError(ValueError):
    pass


def load_corpus(texts=None, path=None):
    """Texts from the ``texts`` list, else from ``path`` (JSON list / ``{"texts": [...]}`` or one per line),
    else the built-in corpus. Empty texts and empty corpora are errors."""
    if texts:
        corpus = list(texts)
    elif path:
        try:
            with open(path, encoding="utf-8") as handle:
                raw = handle.read()
        except (IOError, OSError) as exc:
            raise CorpusError("cannot read corpus file %s: %s" % (path, exc.strerror))
        if path.endswith(".json"):
            try:
                document = json.loads(raw)
            except ValueError as exc:
                raise CorpusError("corpus file %s is not valid JSON: %s" % (path, exc))
            corpus = document.get("texts") if isinstance(document, dict) else document
            if not isinstance(corpus, list) or not all(isinstance(t, str) for t in corpus):
                raise CorpusError("corpus file %s must hold a list of strings or {\"texts\": [...]}" % path)
        else:
            corpus = [line for line in raw.splitlines() if line.strip()]
    else:
        corpus = list(DEFAULT_CORPUS)
    if not corpus:
        raise CorpusError("the corpus is empty")
    blank = [i for i, t in enumerate(corpus) if not isinstance(t, str) or not t.strip()]
    if blank:
        raise CorpusError("corpus entries %s are empty; servers reject empty input" % blank[:10])
    return corpus


def over_long_texts(max_tokens):
    """Two texts beyond a ``max_tokens`` limit: just past it, and four times past it.

    Every word of the filler is at least one token, so ``words > max_tokens`` guarantees the limit
    is exceeded whatever the tokenizer.
    """
    words = _FILLER.split()
    texts = []
    for count in (max_tokens + 8, max_tokens * 4):
        texts.append(" ".join(words[i % len(words)] for i in range(count)))
    return texts
