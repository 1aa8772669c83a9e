# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Generate tiny, seeded, randomly initialised cross-encoders for the integration tests (no download).

Run with the vLLM venv's python (torch, transformers, tokenizers, sentence-transformers):
``make_cross_encoders.py VOCAB_DIR OUTPUT_DIR``, VOCAB_DIR being the all-MiniLM-L6-v2 folder whose
WordPiece tokenizer both models reuse. Writes:

- ``bert_ce``       BERT with token type ids (like ms-marco-MiniLM), num_labels=1, raw-logit output
                    declared in the sentence-transformers CrossEncoder way (config.json
                    ``sentence_transformers.activation_fn`` = Identity), seed 11.
- ``bert_ce_other`` the same architecture with seed 12: a different checkpoint.
- ``xlmr_ce``       XLM-RoBERTa-style (type_vocab_size 1, a tokenizer that returns no token type ids,
                    RoBERTa's ``<s> A </s></s> B </s>`` pair layout), sigmoid output like bge-reranker, seed 13.

Every model accepts 128 tokens. Prints a JSON summary (folders and a sanity score per model).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

MAX_TOKENS = 128
# head_dim 32 (64 / 2): vLLM's CPU attention has no kernel for 16
SMALL = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128,
             num_labels=1, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
             # a wide init spreads the scores of different documents, so rankings are meaningful
             initializer_range=0.2)
IDENTITY = "torch.nn.modules.linear.Identity"


def _tokenizer_files(vocab_dir, output):
    for name in ("vocab.txt", "tokenizer.json", "special_tokens_map.json"):
        shutil.copy(vocab_dir / name, output / name)
    config = json.loads((vocab_dir / "tokenizer_config.json").read_text())
    config["model_max_length"] = MAX_TOKENS
    (output / "tokenizer_config.json").write_text(json.dumps(config, indent=1))


def _save(model, output, activation_fn=None):
    model.save_pretrained(output, safe_serialization=True)
    if activation_fn:
        config = json.loads((output / "config.json").read_text())
        config["sentence_transformers"] = {"activation_fn": activation_fn}
        (output / "config.json").write_text(json.dumps(config, indent=1))


def bert(vocab_dir, output, seed):
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(seed)
    vocab = len((vocab_dir / "vocab.txt").read_text().splitlines())
    config = BertConfig(vocab_size=vocab, max_position_embeddings=MAX_TOKENS, type_vocab_size=2, **SMALL)
    output.mkdir(parents=True, exist_ok=True)
    _save(BertForSequenceClassification(config).eval(), output, IDENTITY)
    _tokenizer_files(vocab_dir, output)


def xlmr(vocab_dir, output, seed):
    import torch
    from tokenizers import Tokenizer, processors
    from transformers import XLMRobertaConfig, XLMRobertaForSequenceClassification

    torch.manual_seed(seed)
    output.mkdir(parents=True, exist_ok=True)
    # The WordPiece vocabulary of MiniLM with RoBERTa's pair layout and no token type ids.
    tokenizer = Tokenizer.from_file(str(vocab_dir / "tokenizer.json"))
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] [SEP] $B [SEP]",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)])
    tokenizer.save(str(output / "tokenizer.json"))
    (output / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": MAX_TOKENS,
        "model_input_names": ["input_ids", "attention_mask"],
        "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]",
        "mask_token": "[MASK]", "bos_token": "[CLS]", "eos_token": "[SEP]", "do_lower_case": True}, indent=1))
    pad_id = tokenizer.token_to_id("[PAD]")
    config = XLMRobertaConfig(vocab_size=tokenizer.get_vocab_size(), type_vocab_size=1, pad_token_id=pad_id,
                              bos_token_id=cls_id, eos_token_id=sep_id,
                              # RoBERTa positions start after the padding index
                              max_position_embeddings=MAX_TOKENS + pad_id + 1, **SMALL)
    _save(XLMRobertaForSequenceClassification(config).eval(), output)


def sanity_score(folder):
    """Score one pair with sentence-transformers' CrossEncoder: the folder loads as a cross-encoder."""
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(str(folder), device="cpu")
    return float(model.predict([("apple stock price", "Apple shares rose 3% after earnings")])[0])


def main(vocab_dir, output):
    vocab_dir, output = Path(vocab_dir), Path(output)
    summary = {}
    for name, build, seed in (("bert_ce", bert, 11), ("bert_ce_other", bert, 12), ("xlmr_ce", xlmr, 13)):
        folder = output / name
        build(vocab_dir, folder, seed)
        summary[name] = {"path": str(folder), "score": sanity_score(folder)}
    print(json.dumps(summary))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(*sys.argv[1:])
