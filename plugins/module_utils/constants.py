# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Values the whole collection agrees on, written once: labels, field manager, ports, paths, defaults.

Roles read them through the ``constant`` lookup (``{{ lookup('vllm_pooling.migration.constant', 'state_dir') }}``);
``scripts/constant NAME`` prints one for the shell scripts (this file needs only the standard library).
"""

from __future__ import annotations

import os

COLLECTION = "vllm_pooling.migration"
# galaxy.yml's version (a unit test keeps them equal); results carry it in their provenance.
COLLECTION_VERSION = "0.1.0"

# Every cluster object the collection creates carries these labels; cleanup deletes nothing else.
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = COLLECTION
PART_OF_LABEL = "app.kubernetes.io/part-of"
PART_OF = "vllm-migration"
COMPONENT_LABEL = "app.kubernetes.io/component"
MODEL_LABEL = "vllm-migration/model"
COMMON_LABELS = {MANAGED_BY_LABEL: MANAGED_BY, PART_OF_LABEL: PART_OF}

# Server-side apply of every object the collection applies (kubernetes.core.k8s server_side_apply):
# fields this collection set and no longer sets are removed, and the API server merges, defaults and validates.
FIELD_MANAGER = "vllm-pooling-migration"
SERVER_SIDE_APPLY = {"field_manager": FIELD_MANAGER, "force_conflicts": True}

# The port vLLM listens on inside a pod (the Service targets it).
VLLM_PORT = 8000

PLATFORMS = ("local", "openshift", "kubernetes")

# What a model's vLLM server is compared with (the reference_type of the check and benchmark modules, the
# type of a vllm_migration_references entry): the Caikit-NLP runtime, an OpenAI-compatible server (its
# /v1/embeddings, or the /v1/rerank API for rerankers), or a golden file recorded earlier. Only servers take load.
REFERENCE_TYPES = ("caikit", "openai", "golden")
REFERENCE_SERVERS = ("caikit", "openai")
# What the checks' weights gate does with different weights (module_args.weights_options()).
WEIGHTS_MISMATCH = ("fail", "warn")
DEFAULT_PLATFORM = "local"
# The interpreter the local platform's venvs are made from (vllm_migration_python overrides it).
DEFAULT_PYTHON = "python3.11"
DEFAULT_MODELS = ("minilm",)

# The playbooks' own settings, checked by ansible.builtin.validate_argument_spec before their first task
# (playbooks/tasks/check_settings.yml), so that a typo is named instead of failing somewhere later. The
# catalog's entries and the model selection are checked by module_utils/catalog.py in the same file.
SETTINGS_SPEC = {
    "vllm_migration_platform": {"type": "str", "choices": list(PLATFORMS)},
    "vllm_migration_catalog": {"type": "dict"},
    "vllm_migration_discover": {"type": "bool"},
    # A comma-separated string (an AWX survey's text answer) passes as the list the discovery module splits it into.
    "vllm_migration_discover_namespaces": {"type": "list", "elements": "str"},
    "vllm_migration_discover_weights_dir": {"type": "str"},
    "vllm_migration_discover_token_from": {"type": "dict"},
    "vllm_migration_discover_weights_ca_path": {"type": "str"},
    "vllm_migration_verify_client": {"type": "str", "choices": ["controller", "cluster_job"]},
    "vllm_migration_verify_job_image": {"type": "str"},
    "vllm_migration_verify_job_tolerations": {"type": "list", "elements": "dict"},
    "vllm_migration_model_copy_image": {"type": "str"},
    "vllm_migration_model_copy_ca_configmap": {"type": "str"},
    "vllm_migration_model_copy_ca_key": {"type": "str"},
}

# Record schemas (report.json, the endpoint and result records).
REPORT_SCHEMA = COLLECTION + "/report/v1"
ENDPOINT_SCHEMA = COLLECTION + "/endpoint/v1"
RESULT_SCHEMA = COLLECTION + "/result/v1"
PERFORMANCE_SCHEMA = COLLECTION + "/performance/v1"
# What the in-cluster benchmark Job writes into its result ConfigMap (key results.json): {schema, records}.
BENCHMARK_JOB_RESULT_SCHEMA = COLLECTION + "/benchmark-job-result/v1"
CHECK_JOB_RESULT_SCHEMA = COLLECTION + "/check-job-result/v1"
# How the reason of an advisory performance record starts (the local platform's verdict does not block).
PERFORMANCE_ADVISORY_PREFIX = "advisory only (does not block): "
# On a cluster the decide role also keeps the report in this ConfigMap of the migration's namespace
# (module_utils/report_record.py), so it outlives an AWX job's container; a later cutover reads it.
REPORT_CONFIGMAP = "vllm-migration-report"
# What consumers read after a cutover (a JSON file on local, a ConfigMap on a cluster), and the saved
# state a rollback restores.
ENDPOINT_RECORD_SCHEMA = COLLECTION + "/endpoint-record/v1"
CUTOVER_STATE_SCHEMA = COLLECTION + "/cutover-state/v1"
CUTOVER_STRATEGIES = ("endpoint_record", "consumer_env", "route_weights")
# How playbooks/retire_caikit.yml stops Caikit: ``auto`` picks ``kserve_stop`` for a Caikit an InferenceService
# owns (OpenShift AI) and ``scale_to_zero`` for a plain Deployment.
RETIRE_METHODS = ("auto", "scale_to_zero", "kserve_stop")

# KServe (OpenShift AI / Open Data Hub): the InferenceService API, its deployment-mode annotation, and the
# annotation with which KServe stops a model ("true", any case) and starts it again (absent or anything else).
INFERENCE_SERVICE_API = "serving.kserve.io/v1beta1"
DEPLOYMENT_MODE_ANNOTATION = "serving.kserve.io/deploymentMode"
# OpenShift AI makes a Route for an InferenceService labelled with this, value "exposed".
VISIBILITY_LABEL = "networking.kserve.io/visibility"
KSERVE_STOP_ANNOTATION = "serving.kserve.io/stop"
# A data connection (OpenShift AI's S3 Secret): keys KServe's storage initializer needs, and one it should have.
DATA_CONNECTION_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_S3_ENDPOINT", "AWS_S3_BUCKET")
DATA_CONNECTION_OPTIONAL_KEYS = ("AWS_DEFAULT_REGION",)


def cache_dir(environ=None):
    """Cached venvs and tool homes: $VLLM_MIGRATION_CACHE_DIR, else $XDG_CACHE_HOME/vllm_pooling, else ~/.cache/vllm_pooling."""
    environ = os.environ if environ is None else environ
    if environ.get("VLLM_MIGRATION_CACHE_DIR"):
        return environ["VLLM_MIGRATION_CACHE_DIR"]
    base = environ.get("XDG_CACHE_HOME") or os.path.join(environ.get("HOME", "~"), ".cache")
    return os.path.join(base, "vllm_pooling")


def venv_root(environ=None):
    return os.path.join(cache_dir(environ), "venvs")


def state_dir(environ=None):
    """Local servers' pid/port/log records: $VLLM_MIGRATION_STATE_DIR, else $XDG_STATE_HOME/vllm_pooling, else ~/.local/state/vllm_pooling."""
    environ = os.environ if environ is None else environ
    if environ.get("VLLM_MIGRATION_STATE_DIR"):
        return environ["VLLM_MIGRATION_STATE_DIR"]
    base = environ.get("XDG_STATE_HOME") or os.path.join(environ.get("HOME", "~"), ".local", "state")
    return os.path.join(base, "vllm_pooling")


def report_dir(environ=None):
    """Default report folder: reports/ under the working directory of the ansible-playbook process (on AWX
    /runner/project/reports), read from the process itself: the PWD variable may be unset or name the
    folder of whatever started the process."""
    return os.path.join(os.getcwd(), "reports")


def value(name, environ=None):
    """A constant or a resolved path by name, for the ``constant`` lookup and for scripts."""
    resolvers = {"cache_dir": cache_dir, "venv_root": venv_root, "state_dir": state_dir, "report_dir": report_dir}
    if name in resolvers:
        return resolvers[name](environ)
    if name.isupper() and name in globals():
        found = globals()[name]
        # a fresh mutable copy, so a caller cannot change the constant
        return list(found) if isinstance(found, tuple) else dict(found) if isinstance(found, dict) else found
    raise KeyError("no constant named %r; there are %s" % (name, ", ".join(sorted(
        list(resolvers) + [k for k in globals() if k.isupper()]))))


# What client_check says of one consumer's call against vLLM (report and summary read the same words).
CLIENT_WORKS, CLIENT_FAILS, CLIENT_UNAVAILABLE = "works", "fails", "unavailable"
