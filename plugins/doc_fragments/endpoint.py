# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations


class ModuleDocFragment(object):
    # TLS and timeout options shared by every module that calls a serving endpoint.
    DOCUMENTATION = r"""
options:
  validate_certs:
    description:
      - Verify the TLS certificate of HTTPS endpoints.
      - Turn off only for a throwaway test; use O(ca_path) for a private CA instead.
    type: bool
    default: true
  ca_path:
    description:
      - Path to a PEM bundle of CA certificates used to verify HTTPS endpoints,
        for example the OpenShift ingress CA.
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP answer before failing with a timeout.
    type: float
    default: 60
"""

    # The candidate vLLM server, for every module that checks or measures one.
    CANDIDATE = r"""
options:
  candidate_url:
    description:
      - Base URL of the candidate server, without C(/v1), for example C(http://127.0.0.1:8000).
    type: str
    required: true
  candidate_model:
    description:
      - Model name the candidate serves (vLLM's C(--served-model-name)).
    type: str
    required: true
  candidate_api_key:
    description:
      - Bearer token for the candidate (vLLM's C(--api-key)). Falls back to E(VLLM_API_KEY).
    type: str
"""

    # What the candidate is compared with, for every module that compares (module_args.reference_options(),
    # the types of constants.REFERENCE_TYPES).
    REFERENCE = r"""
options:
  reference_type:
    description:
      - What the candidate is compared with.
      - V(caikit) is the Caikit-NLP REST runtime being replaced (C(/api/v1/task/embedding), C(embedding-tasks),
        C(rerank)).
      - V(openai) is a server of the OpenAI API, such as another vLLM - its C(/v1/embeddings) for embedding models,
        its Cohere/Jina-style C(/v1/rerank) API for rerankers.
      - V(golden) is a file recorded earlier by a check's C(record_golden). It serves no load, so only the checks
        take it; the benchmark rejects it.
    type: str
    required: true
    choices: [caikit, openai, golden]
  reference_url:
    description:
      - Base URL of the reference server. Required unless O(reference_type=golden).
      - A URL ending in C(/v1) is used without it, with a warning.
    type: str
  reference_model:
    description:
      - Model name at the reference (the Caikit C(model_id) or the OpenAI model name).
      - Defaults to O(candidate_model) (for a golden file, the model it was recorded for).
    type: str
  reference_api_key:
    description:
      - Bearer token for the reference server.
    type: str
  reference_api_key_env:
    description:
      - Name of an environment variable of the controller that holds the reference's bearer token, read when the
        module runs; used when O(reference_api_key) is not given. An empty or unset variable fails the task, naming it.
      - How a reference found by C(caikit_discovery) behind the OpenShift AI auth proxy is authenticated
        (C(api_key_env) in C(vllm_migration_references)), so that no token is written into the inventory.
    type: str
  reference_ca_path:
    description:
      - CA bundle (PEM) that signs the reference's TLS certificate, when it is not the one that signs the candidate's.
      - For example the service CA of a KServe predictor reached inside the cluster, or another cluster's router CA,
        while O(ca_path) holds the CA of the router in front of vLLM. Defaults to O(ca_path).
      - O(validate_certs) applies to both.
    type: path
  reference_path:
    description:
      - Golden file to compare with. Required when O(reference_type=golden).
    type: path
"""

    # What a verification module does when a gate fails (module_args.check_options()).
    CHECK = r"""
options:
  fail_on_gate:
    description:
      - Fail the task when a gate fails. Set to V(false) to collect the result and decide later,
        as the C(verify) role does. Errors reaching an endpoint always fail.
    type: bool
    default: true
"""

    # The same-weights gate of embedding_check and score_check (module_args.weights_options()).
    WEIGHTS = r"""
options:
  reference_weights_path:
    description:
      - The model folder the reference serves, read on the controller, either a Caikit model folder (C(config.yml)
        and the Hugging Face files under C(artifacts/)) or a folder of model files. With O(model_path) (the folder
        vLLM serves) the C(weights) gate compares the two.
      - The C(weights) gate compares the floating-point tensors of the C(.safetensors) files (dtype, shape, values),
        not the files, because Caikit saves a model again when it bootstraps it. It fails when they differ or when
        the Caikit folder holds a module of another kind (a C(CrossEncoderModule) for an embedding model); it is
        skipped, never passed, when a folder is not given or cannot be read (PyTorch C(.bin) weights, for example).
      - Both digests go into RV(provenance) (C(candidate.weights_digest), C(reference.weights_digest)).
    type: path
  candidate_weights_digest:
    description:
      - The weights digest (C(sha256:...), as the C(weights) gate computes it) of what vLLM serves, recorded where its
        files were copied - on a cluster the init container of vLLM's pod that copies a data connection's Caikit
        folder records it, and the C(vllm_server) role puts it in the endpoint record (C(weights_digest)).
      - Used when O(model_path) is not given or cannot be read here, so that the gate compares vLLM's weights with the
        reference's where vLLM's folder is inside a pod.
    type: str
  candidate_weights_note:
    description:
      - Why no digest of what vLLM serves was recorded (the endpoint record's C(weights_note), for example an init
        container log that could not be read). Without O(model_path) and O(candidate_weights_digest), the skipped
        C(weights) gate gives this reason.
    type: str
  reference_weights_digest:
    description:
      - The weights digest of what the reference serves, recorded when its folder was copied (the discovery's copy of
        Caikit's storage records it in the reference, C(weights_digest)). Used when O(reference_weights_path) is not
        given or cannot be read here (for example in the check Job).
    type: str
  weights_mismatch:
    description:
      - What different weights do. V(fail) fails the C(weights) gate. V(warn) skips it with the difference as a
        named warning, for a migration that changes the model on purpose and relies on the parity gates.
    type: str
    choices: [fail, warn]
    default: fail
"""

    # The labelled retrieval gate of embedding_check and score_check (module_args.retrieval_options()).
    RETRIEVAL = r"""
options:
  check_retrieval:
    description:
      - Measure retrieval quality on a labelled set through both live endpoints and gate on it (gate C(retrieval)).
      - The queries and passages go through both servers; retrieval is exact (brute-force cosine over the whole
        corpus for embeddings; for rerankers both sides rerank the same first-stage candidates).
      - NDCG@k, MRR@k and Recall@k are computed per query for each side; the gate passes when a paired bootstrap
        over the queries shows vLLM not worse than the reference by more than O(retrieval_margin) NDCG@k at
        O(retrieval_confidence) (one-sided bound).
      - Not evaluated (the gate fails) when the reference is a golden file without the set.
    type: bool
    default: true
  retrieval_dataset:
    description:
      - V(builtin) for the collection's own labelled set (IT operations, product documentation and finance, in
        several languages, with graded labels and hard negatives).
      - Or the path of a folder in the BEIR layout on the controller - C(corpus.jsonl) (C(_id), C(title), C(text)),
        C(queries.jsonl) (C(_id), C(text)), C(qrels.tsv) or C(qrels/test.tsv) (query-id, corpus-id, grade) and,
        for rerankers, optionally C(candidates.tsv) (query-id, corpus-id; the first stage, in order).
    type: str
    default: builtin
  retrieval_k:
    description:
      - The cut-off of NDCG and MRR (NDCG@10, MRR@10 by default).
    type: int
    default: 10
  retrieval_recall_at:
    description:
      - The cut-offs at which recall is reported.
    type: list
    elements: int
    default: [10, 50]
  retrieval_margin:
    description:
      - How much lower vLLM's NDCG@k may be than the reference's before the gate fails.
    type: float
    default: 0.01
  retrieval_confidence:
    description:
      - Confidence of the one-sided bound on the NDCG@k difference (and of the two-sided interval reported).
    type: float
    default: 0.95
  retrieval_bootstrap_samples:
    description:
      - Resamplings of the queries in the paired bootstrap (seeded, so the same answers give the same interval).
    type: int
    default: 2000
"""

    # Per endpoint, a token and a CA read from the cluster (module_args.credential_options(), one spec for both sides;
    # ansible-test reads fragments as literal strings, so each side has its text, kept in step with the spec by
    # tests/unit/plugins/module_utils/test_module_args.py).
    CANDIDATE_FROM = r"""
options:
  candidate_api_key_from:
    description:
      - Read the candidate's bearer token from the cluster when the module runs, the way the platform hands it out,
        instead of writing it into the inventory. Used when O(candidate_api_key) is not given (it wins over
        E(VLLM_API_KEY)).
      - Exactly one of O(candidate_api_key_from.secret), O(candidate_api_key_from.service_account) or
        O(candidate_api_key_from.login).
      - Reached with the O(kubernetes) connection settings (else the kubeconfig or E(K8S_AUTH_*), as for
        C(kubernetes.core) modules). The token is never returned, logged or written to a file.
      - A failure (object not found, the login may not read it, a missing or empty key, a refused TokenRequest) fails
        the task with a message naming the candidate, the object and the fix.
    type: dict
    suboptions:
      secret:
        description:
          - C(NAMESPACE/NAME) of a Secret that holds the token (needs C(get) on C(secrets) there).
        type: str
      key:
        description:
          - The key of O(candidate_api_key_from.secret) that holds the token.
        type: str
        default: token
      service_account:
        description:
          - C(NAMESPACE/NAME) of a ServiceAccount; a short-lived token is requested for it (TokenRequest,
            C(authentication.k8s.io/v1), a C(create) on its C(token) subresource, like C(oc create token)).
            Nothing is stored in the cluster.
          - The account needs the rights the endpoint checks (for the OpenShift AI auth proxy, C(get) on the
            InferenceService); the login needs C(create) on C(serviceaccounts/token) in its namespace.
        type: str
      audience:
        description:
          - The audience of the requested token (O(candidate_api_key_from.service_account) only). Defaults to the
            API server's.
        type: str
      expiration_seconds:
        description:
          - Lifetime of the requested token in seconds (O(candidate_api_key_from.service_account) only; at least 600).
        type: int
        default: 600
      login:
        description:
          - V(true) sends the login's own bearer token (the kubeconfig user's token or E(K8S_AUTH_API_KEY)).
            A login without a token (client certificates) fails the task.
        type: bool
  candidate_ca_from:
    description:
      - Read the CA bundle that signs the candidate's TLS certificate from the cluster when the module runs. It is
        written to a private file (mode 0600) that is removed when the module exits, and checked to hold a PEM
        certificate.
      - Exactly one of O(candidate_ca_from.configmap), O(candidate_ca_from.secret) or O(candidate_ca_from.ingress).
        Mutually exclusive with O(ca_path). A reference compared with the candidate does not inherit this CA (it
        keeps its own, else the system's CAs).
    type: dict
    suboptions:
      configmap:
        description:
          - C(NAMESPACE/NAME) of a ConfigMap holding the CA, for example the service CA OpenShift injects into every
            namespace (C(NAMESPACE/openshift-service-ca.crt), key C(service-ca.crt)).
        type: str
      secret:
        description:
          - C(NAMESPACE/NAME) of a Secret holding the CA (base64 in its C(data), as in a TLS Secret's C(ca.crt)).
        type: str
      key:
        description:
          - The key holding the PEM bundle. Defaults to C(service-ca.crt) for a ConfigMap and C(ca.crt) for a Secret.
        type: str
      ingress:
        description:
          - V(true) takes OpenShift's ingress CA (ConfigMap C(openshift-config-managed/default-ingress-cert), key
            C(ca-bundle.crt)), which signs the router's default certificates, that is the Routes' certificates.
        type: bool
"""

    REFERENCE_FROM = r"""
options:
  reference_api_key_from:
    description:
      - Read the reference's bearer token from the cluster when the module runs, the way the platform hands it out,
        instead of writing it into the inventory. Used when O(reference_api_key) is not given, and wins over
        O(reference_api_key_env).
      - Exactly one of O(reference_api_key_from.secret), O(reference_api_key_from.service_account) or
        O(reference_api_key_from.login).
      - Reached with the O(kubernetes) connection settings (else the kubeconfig or E(K8S_AUTH_*), as for
        C(kubernetes.core) modules). The token is never returned, logged or written to a file.
      - A failure (object not found, the login may not read it, a missing or empty key, a refused TokenRequest) fails
        the task with a message naming the reference, the object and the fix.
    type: dict
    suboptions:
      secret:
        description:
          - C(NAMESPACE/NAME) of a Secret that holds the token (needs C(get) on C(secrets) there).
        type: str
      key:
        description:
          - The key of O(reference_api_key_from.secret) that holds the token.
        type: str
        default: token
      service_account:
        description:
          - C(NAMESPACE/NAME) of a ServiceAccount; a short-lived token is requested for it (TokenRequest,
            C(authentication.k8s.io/v1), a C(create) on its C(token) subresource, like C(oc create token)).
            Nothing is stored in the cluster.
          - The account needs the rights the endpoint checks (for the OpenShift AI auth proxy, C(get) on the
            InferenceService); the login needs C(create) on C(serviceaccounts/token) in its namespace.
        type: str
      audience:
        description:
          - The audience of the requested token (O(reference_api_key_from.service_account) only). Defaults to the
            API server's.
        type: str
      expiration_seconds:
        description:
          - Lifetime of the requested token in seconds (O(reference_api_key_from.service_account) only; at least 600).
        type: int
        default: 600
      login:
        description:
          - V(true) sends the login's own bearer token (the kubeconfig user's token or E(K8S_AUTH_API_KEY)).
            A login without a token (client certificates) fails the task.
        type: bool
  reference_ca_from:
    description:
      - Read the CA bundle that signs the reference's TLS certificate from the cluster when the module runs. It is
        written to a private file (mode 0600) that is removed when the module exits, and checked to hold a PEM
        certificate.
      - Exactly one of O(reference_ca_from.configmap), O(reference_ca_from.secret) or O(reference_ca_from.ingress).
        Mutually exclusive with O(reference_ca_path).
    type: dict
    suboptions:
      configmap:
        description:
          - C(NAMESPACE/NAME) of a ConfigMap holding the CA, for example the service CA OpenShift injects into every
            namespace (C(NAMESPACE/openshift-service-ca.crt), key C(service-ca.crt)).
        type: str
      secret:
        description:
          - C(NAMESPACE/NAME) of a Secret holding the CA (base64 in its C(data), as in a TLS Secret's C(ca.crt)).
        type: str
      key:
        description:
          - The key holding the PEM bundle. Defaults to C(service-ca.crt) for a ConfigMap and C(ca.crt) for a Secret.
        type: str
      ingress:
        description:
          - V(true) takes OpenShift's ingress CA (ConfigMap C(openshift-config-managed/default-ingress-cert), key
            C(ca-bundle.crt)), which signs the router's default certificates, that is the Routes' certificates.
        type: bool
"""
