# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The consumer check of the ``consumer_env`` cutover: one request to vLLM from inside each consumer's namespace.

The smoke check of the cutover runs from the controller, with the controller's key and CA, so it cannot see what
breaks one consumer: a NetworkPolicy that blocks its namespace, a Secret with the wrong key (HTTP 401), a CA it does
not trust. This Job runs in the consumer's namespace under the consumer's ServiceAccount, with the consumer
container's own variables (the URL, the key by ``secretKeyRef``, the CA file from the same ConfigMap mounted at the
same path) and makes the request the consumer would make. Plain functions: the Job's manifest and how to read its
end; the strategy creates it, waits and deletes it (cutover_strategies.ConsumerEnv).
"""

from __future__ import annotations

import copy
import hashlib
import json

from ansible_collections.vllm_pooling.migration.plugins.module_utils.cluster_job import job_state
from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import COMMON_LABELS
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover_cluster import (
    CA_VOLUME, consumer_container, named_item)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.storage_plan import RESTRICTED_CONTAINER, RESTRICTED_POD

COMPONENT = "consumer-check"
CONTAINER = "check"
# Python's standard library only: the image needs python3 and nothing else (UBI's python images, the collection's
# execution environment). Prints one JSON line; exit 0 only for an answer of the expected shape.
SCRIPT = r"""
import http.client, json, os, socket, ssl, sys, urllib.parse
spec = json.loads(sys.argv[1])
url = os.environ.get(spec["url_var"], "") if spec["url_var"] else spec["url"]
model = os.environ.get(spec["model_var"], "") if spec["model_var"] else spec["model"]
base = url.rstrip("/")
base = base if base.endswith("/v1") else base + "/v1"
if spec["kind"] == "reranker":
    path, body = "/rerank", {"model": model, "query": "consumer check", "documents": ["a document"]}
else:
    path, body = "/embeddings", {"model": model, "input": ["consumer check"]}
headers = {"Content-Type": "application/json"}
if spec["key_var"]:
    headers["Authorization"] = "Bearer " + os.environ.get(spec["key_var"], "")
def done(ok, **result):
    print(json.dumps(dict(result, ok=ok, url=base + path)))
    sys.exit(0 if ok else 1)
try:
    target = urllib.parse.urlsplit(base + path)
    if target.scheme == "https":
        context = ssl.create_default_context(cafile=(os.environ.get(spec["ca_var"]) or None) if spec["ca_var"] else None)
        connection = http.client.HTTPSConnection(target.hostname, target.port, timeout=spec["timeout"], context=context)
    else:
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=spec["timeout"])
    connection.request("POST", target.path, json.dumps(body), headers)
    answer = connection.getresponse()
    text = answer.read()
except (http.client.HTTPException, socket.timeout, ssl.SSLError, OSError, ValueError) as exc:
    done(False, error="%s: %s" % (type(exc).__name__, exc))
if answer.status != 200:
    done(False, status=answer.status, error=text[:300].decode("utf-8", "replace"))
try:
    data = json.loads(text or b"null")
except ValueError:
    data = None
key = "results" if spec["kind"] == "reranker" else "data"
done(isinstance(data, dict) and bool(data.get(key)), status=200,
     error="" if isinstance(data, dict) and data.get(key) else "no %s in the answer" % key)
"""


def job_name(key, consumer):
    """A stable name per model and consumer, at most 63 characters (a label value too)."""
    digest = hashlib.sha256(("%s/%s/%s" % (key, consumer["namespace"], consumer["name"])).encode()).hexdigest()[:8]
    return ("vllm-consumer-check-%s" % str(key).replace("_", "-").lower())[:54] + "-" + digest


def check_job(key, consumer, deployment, record, image, timeout=30):
    """The Job that makes the consumer's request from its namespace. ``deployment``: the consumer Deployment after
    the cutover's patch; ``record``: the endpoint record (``url``, ``served_name``, ``kind``)."""
    pod = deployment["spec"]["template"]["spec"]
    containers, index = consumer_container(deployment, consumer)
    container = containers[index]
    names = consumer["env"]
    wanted = {name for name in names.values() if name}
    env = [copy.deepcopy(e) for e in container.get("env") or [] if e.get("name") in wanted]
    spec = {"url_var": names.get("url") or "", "model_var": names.get("model") or "",
            "key_var": names.get("api_key") or "", "ca_var": names.get("ca_file") or "",
            "url": record.get("url") or "", "model": record.get("served_name") or "",
            "kind": record.get("kind") or "embedding", "timeout": timeout}
    labels = dict(COMMON_LABELS, **{"app.kubernetes.io/component": COMPONENT, "vllm-migration/model": str(key)})
    check = {"name": CONTAINER, "image": image, "command": ["python3", "-c", SCRIPT, json.dumps(spec, sort_keys=True)],
             "env": env, "securityContext": copy.deepcopy(RESTRICTED_CONTAINER),
             "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}}}
    template = {"restartPolicy": "Never",
                "serviceAccountName": pod.get("serviceAccountName") or pod.get("serviceAccount") or "default",
                "securityContext": copy.deepcopy(RESTRICTED_POD), "containers": [check]}
    volume = named_item(pod.get("volumes"), CA_VOLUME) if consumer.get("ca_configmap") else None
    if volume:
        template["volumes"] = [volume]
        check["volumeMounts"] = [named_item(container.get("volumeMounts"), CA_VOLUME)]
    name = job_name(key, consumer)
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "namespace": consumer["namespace"], "labels": labels},
            "spec": {"backoffLimit": 0, "activeDeadlineSeconds": int(timeout) + 60, "ttlSecondsAfterFinished": 600,
                     "template": {"metadata": {"labels": labels}, "spec": template}}}


def check_outcome(job, log_text=""):
    """``(state, message)`` of a check Job: ``succeeded``, ``failed`` (the answer or error the script printed, else
    the Job's reason) or ``running``."""
    state, reason = job_state(job)
    if state != "failed":
        return state, ""
    printed = {}
    for line in reversed((log_text or "").strip().splitlines()):
        try:
            printed = json.loads(line)
            break
        except ValueError:
            continue
    if printed:
        what = ("HTTP %s" % printed["status"]) if printed.get("status") else "no answer"
        return state, "%s from %s: %s" % (what, printed.get("url", "vLLM"), printed.get("error") or "unexpected answer")
    return state, reason or "the Job failed"
