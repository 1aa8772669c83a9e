#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
module: embedding_check
short_description: Verify that a vLLM embedding endpoint reproduces a reference's vectors
version_added: 0.1.0
description:
  - Sends the same corpus to a candidate (vLLM or any server of the OpenAI C(/v1/embeddings) API)
    and to a reference (the Caikit-NLP runtime being replaced, another OpenAI-compatible server,
    or a golden file recorded earlier) and compares the vectors gate by gate.
  - "Gates: C(served) (the served model name is listed by C(/v1/models)), C(served_config) (C(/v1/models) says the
    candidate serves O(max_tokens) tokens of context and, with O(expected_root) or O(model_path), the expected model
    root; catches C(--max-model-len 64) and a missing C(sentence_bert_config.json)), C(input_lengths) (every corpus
    text the reference embeds, including passages of about 64, 128 and just under O(max_tokens) tokens, the candidate
    embeds too, and the other way round), C(dimension), C(cosine) (every text's cosine similarity to the reference at
    or above O(cosine_threshold); min, mean, p01 reported), C(norms) (a normalized reference needs a normalized
    candidate), C(batch) (a batched request gives the vectors of one request per text), C(distinct_outputs) (the
    candidate, and the reference, do not return one vector for every distinct text, which every parity gate would
    accept when both sides do; judged with at least 3 distinct texts, else skipped), C(tokens) (per-text token
    counts agree: Caikit C(input_token_count) or the reference's C(usage) vs vLLM C(usage.prompt_tokens); catches a
    tokenizer that lost lowercasing or special tokens), and C(long_input) (texts longer than the model limit are
    rejected or embedded as the reference does, and with truncation asked of both sides, embedded alike)."
  - "Gate C(weights) (with O(model_path) or O(reference_weights_path), or a recorded digest): both servers load the
    same tensors; see O(reference_weights_path) and O(candidate_weights_digest)."
  - "Gate C(retrieval): the labelled set (built-in or a BEIR folder, O(retrieval_dataset)) goes through both
    endpoints; vLLM's NDCG@k may not fall below the reference's by more than O(retrieval_margin) at
    O(retrieval_confidence) (paired bootstrap over the queries); see RV(retrieval)."
  - A gate is V(skipped) only where it cannot apply by design (C(tokens) against a reference that reports no
    token counts, C(distinct_outputs) with fewer than 3 distinct texts); skipped gates are listed in RV(skipped_gates) and never count as passed.
  - Every result carries RV(provenance) (vLLM and Caikit versions, served root and context, model folder digest,
    corpus hash, thresholds, time), so a later cutover can refuse evidence made for another configuration.
  - A reference that is the candidate itself (O(reference_type=openai) with the candidate's URL and model) and
    thresholds outside their range are rejected. A base URL ending in C(/v1) is used without it, with a warning.
  - A check that cannot see all of its data (unreachable endpoint, TLS failure, HTTP 401/404/5xx,
    timeout, malformed JSON, NaN values, partial answers) fails the task with a message naming
    the model, the endpoint, the cause and what to do. It never reports a pass on partial data.
  - Uses the C(/v1/embeddings) path on purpose, since vLLM's C(--api-key) protects only C(/v1) paths.
author:
  - vllm_pooling.migration maintainers (@vllm-pooling)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - vllm_pooling.migration.endpoint
  - vllm_pooling.migration.endpoint.candidate
  - vllm_pooling.migration.endpoint.reference
  - vllm_pooling.migration.endpoint.candidate_from
  - vllm_pooling.migration.endpoint.reference_from
  - vllm_pooling.migration.kubernetes.checks
  - vllm_pooling.migration.endpoint.check
  - vllm_pooling.migration.endpoint.retrieval
  - vllm_pooling.migration.endpoint.weights
options:
  model:
    description:
      - Name of the model being checked (the catalog key), used in messages and results.
    type: str
    required: true
  candidate_request_params:
    description:
      - "Extra fields sent in every candidate C(/v1/embeddings) request, as the consumers send them,
        for example C({use_activation: false}), C({add_special_tokens: false}) or C({dimensions: 256})."
      - Verifies the deployment with the parameters consumers really use; the reference gets its defaults.
    type: dict
  corpus:
    description:
      - Texts to compare. Defaults to a built-in corpus of short queries, passages, technical
        text and 12 languages.
      - The length passages of O(length_passages) are added to the built-in corpus and to these texts alike.
    type: list
    elements: str
  corpus_file:
    description:
      - 'File with the texts: a JSON list (or C({"texts": [...]})) when its name ends in C(.json), else one text per line.'
    type: path
  length_passages:
    description:
      - Add RAG-sized passages of about 64, 128 and just under O(max_tokens) tokens to the corpus, sized with the
        candidate's own token count (vLLM C(/tokenize)), else the reference's, so parity is measured where
        consumers send text. A golden reference replays the passages it was recorded with.
      - Needs O(max_tokens).
    type: bool
    default: true
  expected_dimension:
    description:
      - Dimension the catalog says the model has; the C(dimension) gate fails when the candidate differs.
    type: int
  max_tokens:
    description:
      - The model's input limit in tokens (the catalog's C(max_tokens)), special tokens included.
      - The C(served_config) gate requires the candidate's C(max_model_len) to equal it; the length passages are
        sized from it; with O(check_long_inputs), texts beyond it are sent to both sides.
    type: int
  expected_root:
    description:
      - The model the candidate must serve, as C(/v1/models) reports it in C(root) (vLLM's C(--model)), that is the
        weights folder on the local platform, the Hugging Face id or the model path in the image on a cluster.
      - Defaults to O(model_path). Not compared when neither is given (the root is still reported).
    type: str
  model_path:
    description:
      - The model folder the candidate serves, when the check can read it (local platform). Its SHA-256 over every
        file's path and content is reported as C(provenance.candidate.model_digest); null when not given. The
        C(weights) gate compares its tensors with O(reference_weights_path).
    type: path
  check_long_inputs:
    description:
      - Run the C(long_input) gate. Needs O(max_tokens).
    type: bool
    default: true
  truncate_long_inputs:
    description:
      - V(false) compares over-long inputs in two modes, as consumers send them by default (both sides must
        reject, or embed alike) and with truncation asked of both sides (vLLM C(truncate_prompt_tokens=-1),
        Caikit C(truncate_input_tokens=-1)), where both must embed alike.
      - V(true) compares the truncating mode only, for consumers that always ask for truncation.
    type: bool
    default: false
  cosine_threshold:
    description:
      - Lowest acceptable cosine similarity between candidate and reference for any single text, in (0, 1].
    type: float
    default: 0.99
  norm_tolerance:
    description:
      - Allowed deviation of a norm from 1 (normalized reference) or relative difference of norms, in [0, 1).
    type: float
    default: 0.01
  batch_threshold:
    description:
      - Lowest acceptable cosine between a text's vector from a batched request and from a single request, in (0, 1].
    type: float
    default: 0.9999
  batch_size:
    description:
      - Texts per batched request, at least 1.
    type: int
    default: 16
  record_golden:
    description:
      - Write what the reference answered to this path as a golden file, for later checks with
        O(reference_type=golden). Reported as a change only when the recorded vectors differ.
    type: path
attributes:
  check_mode:
    support: full
    details: The comparison only reads; in check mode O(record_golden) is not written.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
requirements:
  - requests
  - numpy
notes:
  - Cosines are computed in float64 on the vectors as received (C(encoding_format=float)).
"""

EXAMPLES = r"""
- name: Compare vLLM with the Caikit runtime it replaces
  vllm_pooling.migration.embedding_check:
    model: minilm
    candidate_url: https://minilm-vllm.apps.example.com
    candidate_model: sentence-transformers/all-MiniLM-L6-v2
    candidate_api_key: "{{ vllm_api_key }}"
    reference_type: caikit
    reference_url: https://caikit.apps.example.com
    reference_model: all-minilm-l6-v2
    expected_dimension: 384
    max_tokens: 256
    expected_root: sentence-transformers/all-MiniLM-L6-v2
    ca_path: /etc/pki/ingress-ca.pem
  register: parity

- name: Compare with a Caikit InferenceService behind the auth proxy, each endpoint with the platform's credentials
  vllm_pooling.migration.embedding_check:
    model: minilm
    candidate_url: https://vllm-minilm-rag-prod.apps.example.com
    candidate_model: minilm
    candidate_api_key_from: {secret: rag-prod/vllm-minilm-api-key, key: api-key}
    candidate_ca_from: {ingress: true}
    reference_type: caikit
    reference_url: https://caikit-embeddings-predictor.rag-prod.svc:8443
    reference_model: all-minilm-l6-v2
    reference_api_key_from: {service_account: rag-prod/caikit-migration}
    reference_ca_from: {configmap: rag-prod/openshift-service-ca.crt}
    max_tokens: 256

- name: Check a local server and hash the folder it serves, with the parameters consumers send
  vllm_pooling.migration.embedding_check:
    model: minilm
    candidate_url: http://127.0.0.1:8000
    candidate_model: minilm
    candidate_request_params:
      use_activation: true
    reference_type: caikit
    reference_url: http://127.0.0.1:8080
    reference_model: minilm
    max_tokens: 256
    model_path: /srv/models/all-MiniLM-L6-v2

- name: Record Caikit's answers once, then check against the file without Caikit running
  vllm_pooling.migration.embedding_check:
    model: minilm
    candidate_url: http://127.0.0.1:8000
    candidate_model: minilm
    reference_type: caikit
    reference_url: http://127.0.0.1:8080
    reference_model: minilm
    record_golden: golden/minilm.json

- name: Check against the golden file and keep going on a mismatch
  vllm_pooling.migration.embedding_check:
    model: minilm
    candidate_url: http://127.0.0.1:8000
    candidate_model: minilm
    reference_type: golden
    reference_path: golden/minilm.json
    corpus_file: files/my-corpus.txt
    fail_on_gate: false
  register: parity

- name: Show which gates failed
  ansible.builtin.debug:
    msg: "{{ parity.failed_gates }}"
"""

RETURN = r"""
passed:
  description: True when no gate failed (skipped gates are listed apart and never count as passed).
  returned: success
  type: bool
  sample: true
failed_gates:
  description: Names of the gates that failed (a gate that could not be evaluated fails).
  returned: success
  type: list
  elements: str
  sample: [cosine]
skipped_gates:
  description: Names of the gates that do not apply by design (C(tokens) without reference token counts,
    C(distinct_outputs) with fewer than 3 distinct texts).
  returned: success
  type: list
  elements: str
  sample: []
gates:
  description:
    - One entry per gate with C(status) (V(passed), V(failed) or V(skipped)), C(passed), C(reason) and its numbers.
    - C(served_config) carries C(served_model), C(root), C(max_model_len), C(version), C(expected_max_model_len)
      and C(expected_root).
    - C(input_lengths) carries C(texts), C(rejected_by_both), C(longest_tokens), C(passages) (C(target), C(tokens),
      C(counted_by) of each length passage) and C(mismatches) (texts one side rejected, with tokens and message).
    - C(cosine) and C(batch) carry C(min), C(mean), C(p01), C(max), C(threshold), C(below_threshold)
      and C(worst) (up to 5 texts with the lowest cosine).
    - C(norms) carries C(candidate_norm) and C(reference_norm) summaries and C(reference_normalized).
    - C(distinct_outputs) carries C(candidate) and C(reference) (each C(judged), C(collapsed), C(distinct_inputs),
      C(non_finite), C(max_cosine_distance), C(max_norm_difference)), C(reference_collapsed), C(min_distinct),
      C(cosine_distance) and C(norm_relative).
    - C(tokens) carries C(texts), C(differing) and C(worst) (up to 5 texts with C(candidate) and C(reference) counts).
    - C(long_input) carries C(cases), each with C(words), C(mode) (V(default) or V(truncate)), C(reference) and
      C(candidate) (V(rejected) or V(embedded)), and C(cosine) when both embedded.
    - C(retrieval) carries C(metric), C(candidate), C(reference), C(delta), C(interval), C(lower_bound), C(margin),
      C(confidence), C(queries), C(changed_queries) and C(dataset_sha256) (see RV(retrieval)).
  returned: success
  type: dict
  sample:
    served_config: {status: passed, passed: true, reason: "context 256 tokens as expected", max_model_len: 256,
                    root: /models/all-MiniLM-L6-v2, served_model: minilm, version: 0.32.0,
                    expected_max_model_len: 256, expected_root: null}
    cosine: {status: passed, passed: true, reason: "every text has cosine >= 0.99", min: 0.999999, mean: 0.999999,
             p01: 0.999999, max: 1.0, threshold: 0.99, texts: 31, below_threshold: 0, worst: []}
retrieval:
  description:
    - The labelled retrieval measurement behind the C(retrieval) gate (O(check_retrieval)).
    - C(dataset) (C(name), C(source), C(sha256), C(queries), C(passages), C(judgements), C(first_stage_file)),
      C(k), C(primary) (the gated metric), C(first_stage) (how candidates were found), C(metrics) (C(candidate) and
      C(reference) - mean NDCG@k, MRR@k and Recall@k over the queries), C(delta) (per metric - C(mean), C(interval),
      C(lower_bound), C(worse_queries), C(better_queries)), C(bootstrap), C(changed_count), C(changed_queries) (up to
      20, worst NDCG change first - each side's top 5 and the passages that C(entered) or C(left) the top k) and
      C(seconds) per side.
  returned: when O(check_retrieval) is true and the reference is a live server
  type: dict
  sample:
    k: 10
    primary: ndcg@10
    metrics: {candidate: {"ndcg@10": 0.81, "mrr@10": 0.86}, reference: {"ndcg@10": 0.81, "mrr@10": 0.86}}
    delta: {"ndcg@10": {mean: 0.0, interval: [0.0, 0.0], lower_bound: 0.0, worse_queries: 0, better_queries: 0}}
    changed_count: 0
check_warnings:
  description:
    - Named, non-blocking findings, each C({gate, message}) (a base URL ending in C(/v1) that was fixed, a model
      folder that could not be hashed). Ansible reserves a result's C(warnings) key for its own display, hence the
      name; the messages are also shown as Ansible warnings.
  returned: always
  type: list
  elements: dict
  sample: [{gate: input, message: "candidate_url: base URL http://h:8000/v1 ends in /v1; using http://h:8000"}]
corpus_size:
  description: Number of texts compared (the corpus plus the length passages).
  returned: success
  type: int
  sample: 31
dimension:
  description: Dimension of the candidate's vectors (null when no text was embedded by both sides).
  returned: success
  type: int
  sample: 384
candidate:
  description: Where the candidate was reached.
  returned: always
  type: dict
  sample: {url: "http://127.0.0.1:8000/v1/embeddings", model: minilm}
reference:
  description: What the candidate was compared with.
  returned: when the reference could be set up
  type: dict
  sample: {type: caikit, url: "http://127.0.0.1:8080/api/v1/task/embedding-tasks", model: minilm}
provenance:
  description:
    - What exactly was compared. C(candidate) has C(server), C(version) (vLLM C(/version)), C(served_model), C(root),
      C(max_model_len), C(model_digest) (SHA-256 of O(model_path)'s files, else null) and C(weights_digest) (of its
      tensors, see O(reference_weights_path)); C(reference) has C(type), C(weights_digest), C(weights_path),
      C(version) (caikit-nlp's version from C(/info/version), else null) and C(model); then C(corpus_sha256) (of the
      texts and over-long inputs sent), C(thresholds), C(checked_at) (UTC) and C(collection_version).
    - A value the check could not read is null, never guessed.
  returned: success
  type: dict
  sample:
    candidate: {server: vllm, version: 0.32.0, served_model: minilm, root: /models/all-MiniLM-L6-v2,
                max_model_len: 256, model_digest: null, weights_digest: null}
    reference: {type: caikit, version: caikit-nlp 0.5.15, model: minilm, weights_digest: null, weights_path: null}
    corpus_sha256: 3b1f0c...
    thresholds: {cosine_threshold: 0.99, norm_tolerance: 0.01, batch_threshold: 0.9999}
    checked_at: "2026-11-24T05:40:00+00:00"
    collection_version: 0.1.0
golden_file:
  description: Path of the golden file written, when O(record_golden) was given and not in check mode.
  returned: when written
  type: str
error:
  description: On failure to reach an endpoint, C(model), C(endpoint), C(cause) and C(hint).
  returned: failure
  type: dict
"""

import traceback

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError
from ansible_collections.vllm_pooling.migration.plugins.module_utils.http_endpoint import (
    HAS_REQUESTS, REQUESTS_IMPORT_ERROR, JsonEndpoint)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.module_args import (
    apply_cluster_credentials, candidate_options, check_options, credential_mutually_exclusive, credential_options,
    endpoint_options, endpoint_settings, fail_without_libraries, reference_api_key, reference_endpoint_settings,
    reference_options, reference_required_if, retrieval_options, retrieval_settings, weights_options)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.vectors import HAS_NUMPY

if HAS_NUMPY and HAS_REQUESTS:
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.caikit_client import CaikitEmbeddingClient
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.corpus import (
        CorpusError, corpus_sha256, load_corpus, over_long_texts)
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.embedding_parity import (
        check_arguments, length_passages, run_embedding_parity)
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.golden import (
        GoldenFileReference, GoldenRecorder, write_golden)
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.openai_client import OpenAIEmbeddingClient
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.provenance import (
        build_provenance, model_digest)
    from ansible_collections.vllm_pooling.migration.plugins.module_utils import retrieval
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.weights import add_weights_gate

THRESHOLDS = ("cosine_threshold", "norm_tolerance", "batch_threshold")


def _reference(params, reference_url):
    kind = params["reference_type"]
    name = params["reference_model"] or params["candidate_model"]
    if kind == "golden":
        return GoldenFileReference(params["reference_path"], params["model"])
    endpoint = JsonEndpoint(reference_url, params["model"], api_key=reference_api_key(params),
                            **reference_endpoint_settings(params))
    if kind == "caikit":
        return CaikitEmbeddingClient(endpoint, name)
    return OpenAIEmbeddingClient(endpoint, name)


def _validate(module):
    """Fail on settings that would make the comparison meaningless; return the warnings of what was fixed and
    the candidate's and reference's base URLs."""
    p = module.params
    problems, warnings, candidate_url, reference_url = check_arguments(
        p["candidate_url"], p["candidate_model"], p["reference_type"], reference_url=p["reference_url"],
        reference_model=p["reference_model"], batch_size=p["batch_size"], max_tokens=p["max_tokens"],
        expected_dimension=p["expected_dimension"], check_long_inputs=p["check_long_inputs"],
        length_passages=p["length_passages"], **{name: p[name] for name in THRESHOLDS})
    problems += retrieval_settings(p)[0]
    if problems:
        module.fail_json(msg="model '%s': invalid arguments: %s" % (p["model"], "; ".join(problems)))
    return warnings, candidate_url, reference_url


def main():
    module = AnsibleModule(
        argument_spec=dict(
            model=dict(type="str", required=True),
            candidate_request_params=dict(type="dict"),
            corpus=dict(type="list", elements="str"),
            corpus_file=dict(type="path"),
            length_passages=dict(type="bool", default=True),
            expected_dimension=dict(type="int"),
            max_tokens=dict(type="int", no_log=False),
            expected_root=dict(type="str"),
            model_path=dict(type="path"),
            check_long_inputs=dict(type="bool", default=True),
            truncate_long_inputs=dict(type="bool", default=False),
            cosine_threshold=dict(type="float", default=0.99),
            norm_tolerance=dict(type="float", default=0.01),
            batch_threshold=dict(type="float", default=0.9999),
            batch_size=dict(type="int", default=16),
            record_golden=dict(type="path"),
            **candidate_options(), **reference_options(), **check_options(), **endpoint_options(),
            **retrieval_options(), **weights_options(), **credential_options()
        ),
        mutually_exclusive=[("corpus", "corpus_file")] + credential_mutually_exclusive(),
        required_if=reference_required_if(),
        supports_check_mode=True,
    )
    fail_without_libraries(module, [("requests", HAS_REQUESTS, REQUESTS_IMPORT_ERROR), ("numpy", HAS_NUMPY, None)])
    warnings, candidate_url, reference_url = _validate(module)
    apply_cluster_credentials(module)  # tokens and CAs read from the cluster (*_api_key_from, *_ca_from)
    p = module.params
    for warning in warnings:
        module.warn(warning["message"])

    endpoint_kwargs = endpoint_settings(p)
    candidate = OpenAIEmbeddingClient(
        JsonEndpoint(candidate_url, p["model"], api_key=p["candidate_api_key"], **endpoint_kwargs),
        p["candidate_model"], request_params=p["candidate_request_params"])
    reference_name = p["reference_model"] or (p["candidate_model"] if p["reference_type"] != "golden" else p["model"])
    # Named findings go out as check_warnings: Ansible owns a result's "warnings" key (it replaces it with its own
    # display warnings), so records.py maps check_warnings to the result record's warnings.
    result = dict(changed=False, check_warnings=warnings, candidate=dict(url=candidate.url, model=p["candidate_model"]))
    thresholds = {name: p[name] for name in THRESHOLDS}
    digest, digest_problem = model_digest(p["model_path"])
    if digest_problem:
        warnings.append({"gate": "provenance", "message": digest_problem})
        module.warn(digest_problem)
    try:
        corpus = load_corpus(p["corpus"], p["corpus_file"])
        reference = live_reference = _reference(p, reference_url)
        result["reference"] = dict(type=reference.kind, url=reference.url, model=reference_name)
        served_config = candidate.served_config()
        passages = length_passages(p["max_tokens"], candidate, reference) if p["length_passages"] else []
        corpus = corpus + [passage["text"] for passage in passages if passage["text"] not in corpus]
        long_texts = over_long_texts(p["max_tokens"]) if p["check_long_inputs"] else []
        if p["record_golden"]:
            reference = GoldenRecorder(reference)
            reference.passages = passages
        parity = run_embedding_parity(
            candidate, reference, corpus,
            served_models=candidate.served_models(),
            served_config=served_config,
            served_model=p["candidate_model"],
            expected_max_model_len=p["max_tokens"],
            expected_root=p["expected_root"] or p["model_path"],
            passages=[{key: x.get(key) for key in ("target", "tokens", "counted_by")} for x in passages],
            expected_dimension=p["expected_dimension"],
            long_texts=long_texts,
            long_input_modes=("truncate",) if p["truncate_long_inputs"] else ("default", "truncate"),
            batch_size=p["batch_size"],
            **thresholds
        )
        if p["check_retrieval"]:
            found = retrieval.measure("embedding", candidate, live_reference, p["retrieval_dataset"],
                                      retrieval_settings(p)[1], batch_size=p["batch_size"])
            retrieval.add_to_check(parity, found[0], found[1])
        reference_version = reference.version() if hasattr(reference, "version") else None
    except (CorpusError, retrieval.DatasetError) as exc:
        module.fail_json(msg="model '%s': %s" % (p["model"], exc), **result)
    except CheckError as exc:
        module.fail_json(msg=exc.message, error=exc.as_dict(), **result)
    except Exception as exc:  # a bug of ours must still name model and endpoint
        module.fail_json(msg="model '%s': unexpected error comparing %s with the reference: %s"
                         % (p["model"], candidate.url, exc), exception=traceback.format_exc(), **result)

    result.update(parity)
    checked = len(warnings)
    weights = add_weights_gate(result, warnings, p["model_path"], p["reference_weights_path"], "embedding",
                               p["weights_mismatch"], p["candidate_weights_digest"],
                               p["reference_weights_digest"], p["candidate_weights_note"])
    for warning in warnings[checked:]:
        module.warn("%s: %s" % (warning["gate"], warning["message"]))
    result["provenance"] = build_provenance(served_config, digest, reference.kind, reference_version, reference_name,
                                            corpus_sha256(corpus, long_texts), thresholds, weights=weights)
    if p["record_golden"]:
        result["changed"] = write_golden(module.params["record_golden"], reference.document(module.params["model"]),
                                         ("records",), module.check_mode, module.atomic_move)
        if not module.check_mode:
            result["golden_file"] = p["record_golden"]
    skipped = " (skipped: %s)" % ", ".join(result["skipped_gates"]) if result["skipped_gates"] else ""
    if result["passed"]:
        result["msg"] = "model '%s': every gate passed on %d texts%s" % (p["model"], result["corpus_size"], skipped)
    else:
        reasons = "; ".join("%s: %s" % (name, result["gates"][name]["reason"]) for name in result["failed_gates"])
        result["msg"] = "model '%s' at %s failed gates: %s" % (p["model"], candidate.url, reasons)
        if p["fail_on_gate"]:
            module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
