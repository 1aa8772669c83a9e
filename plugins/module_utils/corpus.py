# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
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
    "Emoji and symbols: ✅ 🚀 © ™ € 42",
    "Wie kann ich mein Passwort zurücksetzen?",
    "Comment puis-je réinitialiser mon mot de passe ?",
    "¿Cómo puedo restablecer mi contraseña?",
    "Come posso reimpostare la mia password?",
    "Como posso redefinir a minha senha?",
    "Hoe kan ik mijn wachtwoord opnieuw instellen?",
    "パスワードをリセットするにはどうすればいいですか？",
    "我如何重置我的密码？",
    "كيف يمكنني إعادة تعيين كلمة المرور؟",
    "비밀번호를 재설정하려면 어떻게 해야 하나요?",
    "Как сбросить мой пароль?",
    "Jak mohu obnovit své heslo?",
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
