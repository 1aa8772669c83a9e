# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The texts a check runs on: a built-in corpus or a user's file, and over-long inputs."""

from __future__ import annotations

import hashlib
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

# Prose of the kind RAG systems chunk and embed, with mixed case, numbers and punctuation, from which
# passages of a given token length are cut. Deterministic: the same model always gets the same passages.
_PASSAGE_SOURCE = (
    "Retrieval-augmented generation splits the documents of a knowledge base into chunks of a few hundred "
    "tokens, embeds every chunk once, and stores the vectors in an index. When a user asks a question, the "
    "service embeds the question with the same model, finds the nearest chunks by cosine similarity, and "
    "hands them to a language model that writes the answer. The quality of the answer therefore depends on "
    "two things the user never sees: that the chunks were embedded completely, and that questions and chunks "
    "were embedded by the same model in the same way. Operations teams at Acme Corporation learned this in "
    "March 2025, when a routine upgrade of the embedding service changed the tokenizer and recall dropped by "
    "a third without a single error in the logs. Their runbook now says: deploy the new server beside the old "
    "one, send both the same corpus, compare the vectors text by text, and move consumers only when every "
    "text agrees. The runbook also lists what usually goes wrong. A context window configured shorter than "
    "the model's limit makes the server reject long chunks that the old service accepted. A tokenizer that "
    "no longer lowercases its input maps Names, Acronyms and Sentence Starts to unknown tokens. Pooling that "
    "takes the first token instead of the mean of all tokens produces vectors that look healthy and point in "
    "the wrong direction. Missing normalization changes every score that the index computes by dot product. "
    "Chunked processing of long inputs quietly averages text that the old service refused or truncated. None "
    "of these faults returns an HTTP error; all of them change which documents a question retrieves. "
    "Kubernetes and OpenShift make the side-by-side deployment cheap: a second Deployment, a Service, and a "
    "Route with weights of 0 and 100 let a team shift traffic gradually and roll back within seconds. The "
    "evidence is kept in a report with the versions of both servers, the digest of the model files, the hash "
    "of the corpus and the thresholds, so that an auditor can tell which configuration was actually tested."
)
# A different subject, appended after the model's limit so that truncating and chunking give different vectors.
_TAIL_SOURCE = (
    "Preheat the oven to 220 degrees, knead the dough for ten minutes until it is smooth and elastic, let it "
    "rise in a warm place for an hour, shape two loaves, brush them with water and bake them until the crust "
    "sounds hollow when tapped; cool them on a rack before slicing and serve with salted butter and honey."
)
# RAG chunk sizes consumers send, in tokens; the last passage is sized just under the model's limit.
PASSAGE_TOKENS = (64, 128)


def _words(source, count, offset=0):
    words = source.split()
    return " ".join(words[(offset + i) % len(words)] for i in range(count))


def limit_passage_tokens(max_tokens):
    """The size of the longest passage: just under the limit, leaving room for a token or two of drift."""
    return max_tokens - max(2, max_tokens // 64)


def rag_passages(max_tokens, count_tokens, targets=None):
    """Passages of about 64, 128 and just under ``max_tokens`` tokens (special tokens included).

    ``count_tokens(text) -> int`` is the server's own count (vLLM ``/tokenize``, Caikit ``input_token_count``),
    so the longest passage lands just under the limit whatever the tokenizer; it is never guessed from words.
    Returns ``[{"target": n, "tokens": measured, "text": passage}]``, shortest first (only ``targets`` if given).
    """
    limit_target = limit_passage_tokens(max_tokens)
    all_targets = sorted({t for t in PASSAGE_TOKENS if t < limit_target} | {limit_target})
    passages = []
    for number, target in enumerate(all_targets):
        if targets is not None and target not in targets:
            continue
        offset = number * 97  # each passage starts elsewhere in the source, so they are not prefixes of each other
        # largest word count whose text stays within the target; every word is at least one token
        low, high, best = 1, max(target, 1), None
        while low <= high:
            middle = (low + high) // 2
            tokens = count_tokens(_words(_PASSAGE_SOURCE, middle, offset))
            if tokens <= target:
                best, low = (middle, tokens), middle + 1
            else:
                high = middle - 1
        if best is None:
            raise CorpusError("cannot build a passage of %d tokens: a single word already counts more" % target)
        passages.append({"target": target, "tokens": best[1], "text": _words(_PASSAGE_SOURCE, best[0], offset)})
    return passages


def corpus_sha256(texts, long_texts=()):
    """Hash of exactly what was sent (corpus and over-long texts, in order) for the result's provenance."""
    document = json.dumps({"corpus": list(texts), "long_texts": list(long_texts)}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


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

    Every word is at least one token, so ``words > max_tokens`` guarantees the limit is exceeded whatever
    the tokenizer. The words past the limit are about another subject, so a server that chunks and averages
    gives a different vector from one that truncates.
    """
    return [_words(_PASSAGE_SOURCE, max_tokens) + " " + _words(_TAIL_SOURCE, count - max_tokens)
            for count in (max_tokens + 8, max_tokens * 4)]
