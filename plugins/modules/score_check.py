#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
module: score_check
short_description: Verify that a vLLM reranker (cross-encoder) reproduces a reference's scores and rankings
version_added: 0.1.0
description:
  - Sends the same query/document groups to a candidate vLLM server (C(/v1/score) and C(/v1/rerank)) and to a
    reference (the Caikit-NLP runtime being replaced, a server of the Cohere/Jina-style rerank API such as another
    vLLM or TEI, or a golden file recorded earlier) and compares them gate by gate.
  - "Gates: C(served) (the served name is listed by C(/v1/models) and its C(max_model_len) is O(max_tokens); judged
    before any pair is sent, and a name that is not listed sends none), C(input_lengths) (every pair the reference
    scores, the candidate scores too, and the other way round: a context shorter than O(max_tokens) rejects pairs with
    HTTP 400, reported with the candidate's context, the pair's tokens and O(max_tokens); the other gates compare the
    pairs both sides scored), C(score_parity) (every pair's score within O(abs_tolerance) + O(rel_tolerance) x |reference| after aligning
    the activation; min, mean, max deviation and the mean signed shift reported), C(ranking) (per query: top-1 equal,
    Kendall tau >= O(kendall_tau_threshold), NDCG@O(ndcg_k) >= O(ndcg_threshold)), C(distinct_outputs) (the candidate,
    and the reference, do not give all distinct documents of every query one score; judged on queries with at least 3
    distinct documents, skipped without one), C(labelled) (on groups that name
    a relevant document it ranks first), C(batch) (one request with many documents equals one request per pair),
    C(long_input) (a pair near the limit is scored, pairs beyond it are rejected or truncated as by the reference),
    C(endpoints_agree) (C(/v1/score) and C(/v1/rerank) give the same numbers) and C(model_agreement) (the candidate
    reproduces the model's own scores, computed in-process with transformers; skipped without O(model_path) and
    O(scoring_python))."
  - Activations are aligned explicitly and stated in the result (C(activation)) - raw logit (V(identity)) or V(sigmoid),
    as O(candidate_activation) and O(reference_activation) declare. Only the declared difference is converted; a
    server that does not do what is declared (C(use_activation) off, a shifted logit scale) fails C(score_parity)
    while C(ranking) can still pass, and the reason says it looks like a calibration difference.
  - The third opinion. The reference can be the one that is wrong - Caikit-NLP 0.5.15 tokenizes pairs without token
    type ids, so for BERT cross-encoders its scores are not the model's. With O(model_path) and O(scoring_python) the
    check scores the pairs with the model itself and attributes a deviation. When vLLM matches the model and the
    reference does not, C(score_parity) and C(ranking) pass with a named warning (O(reference_deviation=warn)) or
    fail (V(fail)), never silently. C(score_shift) reports the change consumers will see per query.
  - A property of the server under test is a failed gate, never an error (a served name that is not listed, pairs
    rejected for length). A check that cannot see all of its data (unreachable endpoint, TLS failure, HTTP 401/404/5xx,
    timeout, malformed JSON, NaN scores, partial answers) fails the task with a message naming the model, the endpoint, the
    cause and what to do. It never reports a pass on partial data.
  - Uses the C(/v1/score) and C(/v1/rerank) paths on purpose, since vLLM's C(--api-key) protects only C(/v1) paths.
  - "Gate C(weights) (with O(model_path) or O(reference_weights_path), or a recorded digest): both servers load the
    same tensors; see O(reference_weights_path) and O(candidate_weights_digest)."
  - "Gate C(retrieval): the labelled set (built-in or a BEIR folder, O(retrieval_dataset)) goes through both
    endpoints; vLLM's NDCG@k may not fall below the reference's by more than O(retrieval_margin) at
    O(retrieval_confidence) (paired bootstrap over the queries); see RV(retrieval)."
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
  candidate_activation:
    description:
      - What the candidate's scores are, as the catalog declares (C(score_activation)). vLLM applies a sigmoid
        unless the model's C(config.json) declares C(sentence_transformers.activation_fn) (ms-marco declares Identity,
        so vLLM returns raw logits).
    type: str
    choices: [identity, sigmoid]
    default: sigmoid
  candidate_request_params:
    description:
      - "Extra fields sent with every C(/v1/score) and C(/v1/rerank) request, as consumers send them, for example
        C({use_activation: false})."
    type: dict
  reference_activation:
    description:
      - What the reference's scores are. Defaults to V(sigmoid) for Caikit (its default for single-label
        cross-encoders), to O(candidate_activation) for an V(openai) server, and to what the golden file recorded.
    type: str
    choices: [identity, sigmoid]
  reference_rerank_api:
    description:
      - Dialect of an V(openai) reference's rerank API (another vLLM, Cohere, Jina, or TEI). V(cohere) sends C({model, query, documents, top_n}) and reads
        C(results[].relevance_score); V(tei) sends C({query, texts, truncate}) and reads C([{index, score}]).
    type: str
    choices: [cohere, tei]
    default: cohere
  reference_rerank_path:
    description:
      - Path of the rerank API at O(reference_url). Defaults to C(/v1/rerank) (cohere) or C(/rerank) (tei).
    type: str
  pairs:
    description:
      - Query/document groups to compare, each C({query, documents, relevant}) (C(relevant) is the index of the
        document that should rank first, or omitted). Defaults to a built-in labelled set (English, plus German,
        French, Spanish and Chinese with O(multilingual)).
    type: list
    elements: dict
  pairs_file:
    description:
      - 'JSON file with the groups: a list, or C({"groups": [...]}).'
    type: path
  multilingual:
    description:
      - Use the multilingual groups of the built-in set too (the catalog's C(multilingual)).
    type: bool
    default: false
  query_template:
    description:
      - Format string applied to every query, with the placeholder C({query}) (decoder rerankers such as Qwen3-Reranker
        expect an instruction format; the catalog's C(prompt_template.query)).
    type: str
  document_template:
    description:
      - Format string applied to every document, with the placeholder C({document}).
    type: str
  max_tokens:
    description:
      - The model's input limit in tokens (the catalog's C(max_tokens)). The C(served) gate expects it as
        C(max_model_len); the C(long_input) gate builds pairs near and beyond it.
    type: int
    required: true
  check_long_inputs:
    description:
      - Run the C(long_input) gate.
    type: bool
    default: true
  truncate_long_inputs:
    description:
      - Ask both sides to truncate over-long pairs (vLLM C(truncate_prompt_tokens=-1), Caikit
        C(truncate_input_tokens=-1), TEI C(truncate)) instead of sending them as consumers do by default.
    type: bool
    default: false
  check_labelled:
    description:
      - Run the C(labelled) gate. Set to V(false) for generated test weights, whose rankings are random;
        the gate is then reported as skipped, never as passed.
    type: bool
    default: true
  abs_tolerance:
    description:
      - Absolute part of the per-pair tolerance of C(score_parity) (in the reference's activation); reference scores
        closer than this count as tied for C(ranking).
    type: float
    default: 0.001
  rel_tolerance:
    description:
      - Relative part of the per-pair tolerance of C(score_parity), times the reference's absolute score.
    type: float
    default: 0.001
  consistency_tolerance:
    description:
      - Absolute and relative tolerance of C(batch) and C(endpoints_agree) (the same server, so far tighter).
    type: float
    default: 0.0001
  kendall_tau_threshold:
    description:
      - Lowest Kendall tau of any query's order against the reference's.
    type: float
    default: 0.8
  ndcg_threshold:
    description:
      - Lowest NDCG@O(ndcg_k) of any query, the reference's order giving the gains.
    type: float
    default: 0.95
  ndcg_k:
    description:
      - Depth of NDCG and of the top-k comparison in C(score_shift).
    type: int
    default: 5
  model_path:
    description:
      - The model folder the candidate serves (config.json, weights, tokenizer). Hashed into C(provenance), compared
        with O(reference_weights_path) by the C(weights) gate and, with O(scoring_python), scored in-process as the
        third opinion.
    type: path
  scoring_python:
    description:
      - A Python interpreter with torch and transformers (for example the vLLM or Caikit venv's C(bin/python)) that
        computes the model's own scores from O(model_path) (required with it), with token type ids as
        sentence-transformers does.
      - Only for models transformers loads as C(AutoModelForSequenceClassification) (not with C(--hf-overrides)).
    type: path
  scoring_timeout:
    description:
      - Seconds the in-process scoring may take (loading the model included).
    type: float
    default: 600
  reference_deviation:
    description:
      - What a deviation attributed to the reference (vLLM matches the model, the reference does not) means for
        C(score_parity) and C(ranking). V(warn) passes them with a named warning, V(fail) fails them.
    type: str
    choices: [warn, fail]
    default: warn
  retrieval_rerank_depth:
    description:
      - How many first-stage candidates per query both sides rerank for the C(retrieval) gate (see
        O(check_retrieval)); the first stage is the labelled set's C(candidates.tsv) when it has one, else a
        lexical BM25 ranking, the same for both sides.
    type: int
    default: 20
  record_golden:
    description:
      - Write what the reference answered to this path as a golden score file, for later checks with
        O(reference_type=golden). Reported as a change only when the recorded scores differ.
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
  - torch and transformers in O(scoring_python), for the third opinion only
notes:
  - Scores are compared in float64 in the reference's activation; the result's C(activation) says what was converted.
  - Kendall tau is tau-b; reference scores within O(abs_tolerance) of each other count as tied.
"""

EXAMPLES = r"""
- name: Compare a vLLM cross-encoder with the Caikit runtime it replaces, with the model's own scores as third opinion
  vllm_pooling.migration.score_check:
    model: msmarco
    candidate_url: https://msmarco-vllm.apps.example.com
    candidate_model: msmarco
    candidate_api_key: "{{ vllm_api_key }}"
    candidate_activation: identity        # ms-marco's config.json declares Identity: vLLM returns raw logits
    reference_type: caikit
    reference_url: https://caikit.apps.example.com
    reference_model: ms-marco-minilm-l12-v2
    max_tokens: 512
    model_path: /models/ms-marco-MiniLM-L12-v2
    scoring_python: /opt/caikit/bin/python
    reference_deviation: warn
    ca_path: /etc/pki/ingress-ca.pem

- name: Compare with a reranker behind the auth proxy, its token a TokenRequest and its CA the service CA
  vllm_pooling.migration.score_check:
    model: msmarco
    candidate_url: https://vllm-msmarco-rag-prod.apps.example.com
    candidate_model: msmarco
    candidate_api_key_from: {login: true}
    candidate_ca_from: {ingress: true}
    reference_type: caikit
    reference_url: https://caikit-rerank-predictor.rag-prod.svc:8443
    reference_model: ms-marco-minilm-l12-v2
    reference_api_key_from: {service_account: rag-prod/caikit-migration, expiration_seconds: 1800}
    reference_ca_from: {configmap: rag-prod/openshift-service-ca.crt, key: service-ca.crt}
    max_tokens: 512
  register: rerank_parity

- name: Compare with another vLLM (or any Cohere/Jina-style /v1/rerank server) that serves the model today
  vllm_pooling.migration.score_check:
    model: bge_reranker
    candidate_url: http://127.0.0.1:8000
    candidate_model: bge_reranker
    reference_type: openai
    reference_url: http://old-vllm.example.com:8000
    reference_model: BAAI/bge-reranker-v2-m3
    multilingual: true
    max_tokens: 8192

- name: Compare with Hugging Face text-embeddings-inference (TEI) serving the same reranker
  vllm_pooling.migration.score_check:
    model: bge_reranker
    candidate_url: http://127.0.0.1:8000
    candidate_model: bge_reranker
    reference_type: openai
    reference_rerank_api: tei
    reference_url: http://tei.example.com:8080
    max_tokens: 8192

- name: Record Caikit's scores once, then check against the file without Caikit running
  vllm_pooling.migration.score_check:
    model: msmarco
    candidate_url: http://127.0.0.1:8000
    candidate_model: msmarco
    candidate_activation: identity
    reference_type: caikit
    reference_url: http://127.0.0.1:8080
    reference_model: msmarco
    max_tokens: 512
    record_golden: golden/msmarco-scores.json

- name: Check against the golden file and keep going on a mismatch
  vllm_pooling.migration.score_check:
    model: msmarco
    candidate_url: http://127.0.0.1:8000
    candidate_model: msmarco
    candidate_activation: identity
    reference_type: golden
    reference_path: golden/msmarco-scores.json
    max_tokens: 512
    fail_on_gate: false
  register: rerank_parity

- name: Show what failed, and the score shift consumers will see
  ansible.builtin.debug:
    msg: "{{ rerank_parity.failed_gates }} {{ rerank_parity.score_shift.max_change }}"
"""

RETURN = r"""
passed:
  description: True when no gate failed (skipped gates are listed in C(skipped_gates), never counted as passed).
  returned: success
  type: bool
  sample: true
failed_gates:
  description: Names of the gates that failed.
  returned: success
  type: list
  elements: str
  sample: [score_parity]
skipped_gates:
  description: Names of the gates that do not apply by design (C(labelled) with O(check_labelled=false),
    C(model_agreement) without a third opinion, C(long_input) with O(check_long_inputs=false), C(distinct_outputs)
    without a query of 3 distinct documents).
  returned: success
  type: list
  elements: str
  sample: [labelled]
gates:
  description:
    - One entry per gate with C(status) (V(passed), V(failed) or V(skipped)), C(passed), C(reason) and its numbers.
    - C(served) carries C(served), C(max_model_len), C(expected_max_model_len) and C(root).
    - C(input_lengths) carries C(pairs), C(rejected_by_candidate), C(rejected_by_reference), C(rejected_by_both),
      C(candidate_context_tokens) (the context the candidate states in its rejections), C(max_tokens) and
      C(mismatches) (per pair C(query), C(document), C(rejected_by), C(context_tokens), C(pair_tokens), C(detail)).
    - C(score_parity) carries C(min), C(mean), C(max) (absolute deviation per pair), C(mean_signed_shift),
      C(abs_tolerance), C(rel_tolerance), C(alignment) (see C(activation)), C(attribution) (V(none), V(reference),
      V(candidate), V(unknown), V(tolerance) or V(both_deviate_from_model)), C(vs_reference) (C(pairs),
      C(outside_tolerance), C(max_relative), C(worst) pairs) and, with the third opinion, C(vs_model) and
      C(reference_vs_model) in the same shape; C(calibration_mismatch) when the order agrees but the scale does not.
    - C(ranking) carries C(min_kendall_tau), C(min_ndcg), the thresholds, C(attribution) and C(vs_reference)
      (C(queries) with C(top1), C(kendall_tau), C(ndcg), C(topk_changed) per query; C(failing_queries), C(top1_agree)),
      plus C(vs_model) and C(reference_vs_model) with the third opinion.
    - C(distinct_outputs) carries C(candidate) and C(reference) (each C(judged), C(collapsed), C(queries_judged),
      C(queries_collapsed), C(distinct_inputs), C(most_distinct_documents), C(non_finite), C(max_spread)),
      C(reference_collapsed), C(min_distinct) and C(score_tolerance).
    - C(labelled) carries C(queries), C(correct), C(reference_correct) and C(misses).
    - C(batch) and C(endpoints_agree) carry C(pairs), C(outside_tolerance), C(min), C(mean), C(max) and C(worst).
    - C(long_input) carries C(cases), each with C(name) (V(near_limit), V(over_limit), V(far_over_limit)), C(words),
      C(reference) and C(candidate) (V(rejected) or V(scored)) and both scores when scored.
    - C(model_agreement) carries C(scores) and C(ranking) (candidate vs the model's own scores) and C(model)
      (C(uses_token_types), C(versions), C(python), C(reference_matches_model_without_token_types)).
    - C(retrieval) carries C(metric), C(candidate), C(reference), C(delta), C(interval), C(lower_bound), C(margin),
      C(confidence), C(queries), C(changed_queries) and C(dataset_sha256) (see RV(retrieval)).
  returned: success
  type: dict
  sample:
    score_parity: {status: passed, passed: true, reason: "candidate agrees with the reference: max deviation 2e-06, ...",
                   min: 0.0, mean: 1.0e-06, max: 2.0e-06, mean_signed_shift: 0.0, attribution: none,
                   abs_tolerance: 0.001, rel_tolerance: 0.001}
activation:
  description: How scores were aligned before comparing - C(candidate) and C(reference) (declared activations),
    C(compared_as), C(converted) and a C(statement) in words.
  returned: success
  type: dict
  sample: {candidate: identity, reference: sigmoid, compared_as: sigmoid, converted: [candidate],
           statement: "candidate declares identity scores, reference sigmoid: ..."}
score_shift:
  description:
    - What consumers will see when they switch from the reference to the candidate, in the reference's activation -
      per query C(mean_change), C(max_change), C(top1_changed) and C(topk_changed); overall C(max_change),
      C(any_top1_change), C(any_topk_change); and C(native_activation) (a different native activation means
      consumers' score thresholds must be converted).
  returned: success
  type: dict
  sample: {native_activation: {candidate: identity, reference: sigmoid}, compared_as: sigmoid, k: 5, max_change: 0.004,
           any_top1_change: false, any_topk_change: false, queries: []}
retrieval:
  description:
    - The labelled retrieval measurement behind the C(retrieval) gate (O(check_retrieval)), in the shape of
      the C(retrieval) result of M(vllm_pooling.migration.embedding_check).
    - For rerankers C(first_stage) says where the candidates both sides reranked came from, and with the third
      opinion C(model_opinion) gives the model's own NDCG@k, each side's mean distance to it and the C(attribution).
  returned: when O(check_retrieval) is true, the reference is a live server and C(served) and C(input_lengths) passed
  type: dict
  sample:
    first_stage: lexical BM25 top 20 (the same candidates on both sides)
    model_opinion: {"ndcg@10": 0.74, distance: {candidate: 0.0, reference: 0.08}, attribution: reference}
check_warnings:
  description:
    - Named, non-blocking findings, each C({gate, message}) - a deviation attributed to the reference, the reference
      matching the model run without token type ids (Caikit's known behaviour), a native activation change, a top-k
      change. Ansible reserves a result's C(warnings) key for its own display, hence the name; the messages are also
      shown as Ansible warnings.
  returned: always
  type: list
  elements: dict
  sample: [{gate: score_parity, message: "score_parity: the reference deviates from the model's own scores ..."}]
corpus_size:
  description: Number of query/document pairs sent (the long-input pairs not included).
  returned: success
  type: int
  sample: 20
pairs_compared:
  description: Number of those pairs both sides scored, which the score gates compare (see C(gates.input_lengths)).
  returned: success
  type: int
  sample: 20
queries:
  description: Number of query groups sent.
  returned: success
  type: int
  sample: 4
candidate:
  description: Where the candidate was reached.
  returned: always
  type: dict
  sample: {url: "http://127.0.0.1:8000/v1/score", rerank_url: "http://127.0.0.1:8000/v1/rerank", model: msmarco}
reference:
  description: What the candidate was compared with.
  returned: when the reference could be set up
  type: dict
  sample: {type: caikit, url: "http://127.0.0.1:8080/api/v1/task/rerank", model: msmarco, activation: sigmoid}
provenance:
  description:
    - What exactly was compared. C(candidate) has C(server), C(version) (vLLM C(/version)), C(served_model), C(root),
      C(max_model_len), C(model_digest) (SHA-256 of O(model_path)'s files, else null) and C(weights_digest) (of its
      tensors, see O(reference_weights_path)); C(reference) has C(type), C(weights_digest), C(weights_path),
      C(version) and C(model); then C(corpus_sha256) (of the pairs sent), C(thresholds), C(checked_at) (UTC) and
      C(collection_version). A value the check could not read is null, never guessed.
  returned: success
  type: dict
  sample:
    candidate: {server: vllm, version: 0.32.0, served_model: msmarco, root: /models/msmarco, max_model_len: 512,
                model_digest: null, weights_digest: null}
    reference: {type: caikit, version: caikit-nlp 0.5.15, model: msmarco, weights_digest: null, weights_path: null}
    corpus_sha256: 9c0e...
    thresholds: {abs_tolerance: 0.001, rel_tolerance: 0.001, kendall_tau_threshold: 0.8}
    checked_at: "2026-11-24T06:00:00+00:00"
    collection_version: 0.1.0
golden_file:
  description: Path of the golden score file written, when O(record_golden) was given and not in check mode.
  returned: when written
  type: str
error:
  description: On failure to reach an endpoint or to compute the model's own scores, C(model), C(endpoint), C(cause)
    and C(hint).
  returned: failure
  type: dict
"""

import inspect
import traceback

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError
from ansible_collections.vllm_pooling.migration.plugins.module_utils.http_endpoint import (
    HAS_REQUESTS, REQUESTS_IMPORT_ERROR, JsonEndpoint, base_url_without_api_path)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.module_args import (
    apply_cluster_credentials, candidate_options, check_options, credential_mutually_exclusive, credential_options,
    endpoint_options, endpoint_settings, fail_without_libraries, reference_api_key, reference_endpoint_settings,
    reference_options, reference_required_if, retrieval_options, retrieval_settings, weights_options)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.vectors import HAS_NUMPY

if HAS_NUMPY and HAS_REQUESTS:
    from ansible_collections.vllm_pooling.migration.plugins.module_utils import model_scores
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.caikit_client import CaikitRerankClient
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.golden import write_golden
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.golden_scores import (
        GoldenScoresRecorder, GoldenScoresReference)
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.openai_client import VllmScoreClient
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.pairs import (
        PairsError, apply_template, groups_sha256, load_groups, long_pairs)
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.provenance import build_provenance, model_digest
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.rerank_client import RerankClient
    from ansible_collections.vllm_pooling.migration.plugins.module_utils import retrieval
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.score_parity import ScoreSettings, run_score_parity
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.weights import add_weights_gate


def _base_url(module, name, warnings):
    url, warning = base_url_without_api_path(module.params[name])
    if warning:
        warnings.append({"gate": "input", "message": "%s: %s" % (name, warning)})
    return url


def _reference(module, warnings):
    p = module.params
    if p["reference_type"] == "golden":
        return GoldenScoresReference(p["reference_path"], p["model"])
    endpoint = JsonEndpoint(_base_url(module, "reference_url", warnings), p["model"], api_key=reference_api_key(p),
                            **reference_endpoint_settings(p))
    name = p["reference_model"] or p["candidate_model"]
    if p["reference_type"] == "caikit":
        return CaikitRerankClient(endpoint, name)
    return RerankClient(endpoint, name, dialect=p["reference_rerank_api"], path=p["reference_rerank_path"])


def _reference_activation(params, reference):
    if params["reference_activation"]:
        return params["reference_activation"]
    if params["reference_type"] == "caikit":
        return "sigmoid"
    if params["reference_type"] == "golden":
        return reference.activation or params["candidate_activation"]
    return params["candidate_activation"]


def _pairs(p):
    groups = load_groups(p["pairs"], p["pairs_file"], p["multilingual"])
    groups = apply_template(groups, p["query_template"], p["document_template"])
    long = long_pairs(p["max_tokens"]) if p["check_long_inputs"] else []
    templated = apply_template([{"query": x["query"], "documents": [x["document"]]} for x in long],
                               p["query_template"], p["document_template"])
    long = [dict(x, query=t["query"], document=t["documents"][0]) for x, t in zip(long, templated)]
    return groups, long


def _template(p):
    """The consumers' query and document templates as ``(query, documents) -> (query, documents)``."""
    def apply(query, documents):
        (group,) = apply_template([{"query": query, "documents": documents}], p["query_template"],
                                  p["document_template"])
        return group["query"], group["documents"]
    return apply


def _scorer(p):
    if not (p["model_path"] and p["scoring_python"]):
        return None
    return model_scores.ModelScorer(p["scoring_python"], p["model_path"], inspect.getsource(model_scores),
                                    timeout=p["scoring_timeout"])


def _settings(p, reference_activation):
    return ScoreSettings(
        served_model=p["candidate_model"], expected_max_model_len=p["max_tokens"],
        candidate_activation=p["candidate_activation"], reference_activation=reference_activation,
        abs_tolerance=p["abs_tolerance"], rel_tolerance=p["rel_tolerance"],
        consistency_tolerance=p["consistency_tolerance"], kendall_tau_threshold=p["kendall_tau_threshold"],
        ndcg_threshold=p["ndcg_threshold"], ndcg_k=p["ndcg_k"], reference_deviation=p["reference_deviation"],
        check_labelled=p["check_labelled"],
        labelled_skip_reason="labelled pairs not checked (check_labelled=false: e.g. generated test weights, whose "
                             "rankings are random)",
        truncate_long_inputs=p["truncate_long_inputs"])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            model=dict(type="str", required=True),
            candidate_activation=dict(type="str", default="sigmoid", choices=["identity", "sigmoid"]),
            candidate_request_params=dict(type="dict"),
            reference_activation=dict(type="str", choices=["identity", "sigmoid"]),
            reference_rerank_api=dict(type="str", default="cohere", choices=["cohere", "tei"]),
            reference_rerank_path=dict(type="str"),
            pairs=dict(type="list", elements="dict"),
            pairs_file=dict(type="path"),
            multilingual=dict(type="bool", default=False),
            query_template=dict(type="str"),
            document_template=dict(type="str"),
            max_tokens=dict(type="int", required=True, no_log=False),
            check_long_inputs=dict(type="bool", default=True),
            truncate_long_inputs=dict(type="bool", default=False),
            check_labelled=dict(type="bool", default=True),
            abs_tolerance=dict(type="float", default=0.001),
            rel_tolerance=dict(type="float", default=0.001),
            consistency_tolerance=dict(type="float", default=0.0001),
            kendall_tau_threshold=dict(type="float", default=0.8),
            ndcg_threshold=dict(type="float", default=0.95),
            ndcg_k=dict(type="int", default=5),
            model_path=dict(type="path"),
            scoring_python=dict(type="path"),
            scoring_timeout=dict(type="float", default=600),
            reference_deviation=dict(type="str", default="warn", choices=["warn", "fail"]),
            record_golden=dict(type="path"),
            retrieval_rerank_depth=dict(type="int", default=20),
            **candidate_options(), **reference_options(), **check_options(), **endpoint_options(),
            **retrieval_options(), **weights_options(), **credential_options()
        ),
        mutually_exclusive=[("pairs", "pairs_file")] + credential_mutually_exclusive(),
        required_if=reference_required_if(),
        # model_path alone is the weights gate and the provenance; the third opinion needs the folder it scores
        required_by={"scoring_python": "model_path"},
        supports_check_mode=True,
    )
    fail_without_libraries(module, [("requests", HAS_REQUESTS, REQUESTS_IMPORT_ERROR), ("numpy", HAS_NUMPY, None)])
    apply_cluster_credentials(module)  # tokens and CAs read from the cluster (*_api_key_from, *_ca_from)
    p = module.params
    warnings = []
    endpoint_kwargs = endpoint_settings(p)
    candidate = VllmScoreClient(
        JsonEndpoint(_base_url(module, "candidate_url", warnings), p["model"], api_key=p["candidate_api_key"],
                     **endpoint_kwargs),
        p["candidate_model"], request_params=p["candidate_request_params"])
    result = dict(changed=False, check_warnings=warnings,
                  candidate=dict(url=candidate.url, rerank_url=candidate.rerank_url, model=p["candidate_model"]))
    digest, digest_problem = model_digest(p["model_path"])
    if digest_problem:
        warnings.append({"gate": "provenance", "message": digest_problem})
    try:
        groups, long = _pairs(p)
        reference = _reference(module, warnings)
        reference_activation = _reference_activation(p, reference)
        settings = _settings(p, reference_activation)
        problems = settings.problems() + retrieval_settings(p)[0]
        if p["retrieval_rerank_depth"] < 1:
            problems.append("retrieval_rerank_depth must be positive")
        if problems:
            module.fail_json(msg="model '%s': invalid arguments: %s" % (p["model"], "; ".join(problems)), **result)
        reference_name = p["reference_model"] or (p["candidate_model"] if p["reference_type"] != "golden" else p["model"])
        result["reference"] = dict(type=reference.kind, url=reference.url, model=reference_name,
                                   activation=reference_activation)
        live_reference = reference
        if p["record_golden"]:
            reference = GoldenScoresRecorder(reference, reference_activation)
        served_config = candidate.served_config()
        parity = run_score_parity(candidate, reference, groups, long, settings, candidate.served_models(),
                                  served_config, scorer=_scorer(p))
        blocking = retrieval.blocking_gates(parity, ("served", "input_lengths"))
        if p["check_retrieval"] and blocking:
            retrieval.add_to_check(parity, retrieval.not_measured_behind(blocking), None)
        elif p["check_retrieval"]:
            found = retrieval.measure("reranker", candidate, live_reference, p["retrieval_dataset"],
                                      retrieval_settings(p)[1], rerank_depth=p["retrieval_rerank_depth"],
                                      template=_template(p), scorer=_scorer(p), policy=p["reference_deviation"])
            retrieval.add_to_check(parity, found[0], found[1])
            parity["warnings"].extend(found[2])
        reference_version = reference.version() if hasattr(reference, "version") else None
    except (PairsError, retrieval.DatasetError) as exc:
        module.fail_json(msg="model '%s': %s" % (p["model"], exc), **result)
    except CheckError as exc:
        module.fail_json(msg=exc.message, error=exc.as_dict(), **result)
    except Exception as exc:  # a bug of ours must still name model and endpoint
        module.fail_json(msg="model '%s': unexpected error comparing %s with the reference: %s"
                         % (p["model"], candidate.url, exc), exception=traceback.format_exc(), **result)

    warnings.extend(parity.pop("warnings"))
    result.update(parity)
    weights = add_weights_gate(result, warnings, p["model_path"], p["reference_weights_path"], "reranker",
                               p["weights_mismatch"], p["candidate_weights_digest"],
                               p["reference_weights_digest"], p["candidate_weights_note"])
    for warning in warnings:
        module.warn("%s: %s" % (warning["gate"], warning["message"]))
    result["provenance"] = build_provenance(served_config, digest, reference.kind, reference_version, reference_name,
                                            groups_sha256(groups, long), settings.thresholds(), weights=weights)
    if p["record_golden"]:
        result["changed"] = write_golden(module.params["record_golden"], reference.document(module.params["model"]),
                                         ("records", "activation"), module.check_mode, module.atomic_move)
        if not module.check_mode:
            result["golden_file"] = p["record_golden"]
    skipped = " (skipped: %s)" % ", ".join(result["skipped_gates"]) if result["skipped_gates"] else ""
    if result["passed"]:
        noted = " with %d warning(s)" % len(warnings) if warnings else ""
        result["msg"] = "model '%s': every gate passed on %d pairs%s%s" % (p["model"], result["corpus_size"], noted, skipped)
    else:
        reasons = "; ".join("%s: %s" % (name, result["gates"][name]["reason"]) for name in result["failed_gates"])
        result["msg"] = "model '%s' at %s failed gates: %s" % (p["model"], candidate.url, reasons)
        if p["fail_on_gate"]:
            module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
