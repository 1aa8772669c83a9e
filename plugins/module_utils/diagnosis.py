# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Why a vLLM server pod did not become ready: one named cause, a hint, and the evidence.

Inputs are what the cluster shows, in the shapes ``kubernetes.core.k8s_info`` returns them:
``pods`` (Pod dicts with ``metadata``, ``spec``, ``status``), ``events`` (core/v1 Event dicts;
events.k8s.io ``note``/``regarding`` are read too) and ``logs`` (one string: the previous
container's log and the current one's). Any of them may be missing, empty or oddly shaped;
classification never raises, it falls back to ``unknown`` with what it saw.

Precedence (the first that matches wins), and why:

1. ``image_pull``: a container waits in ErrImagePull / ImagePullBackOff / InvalidImageName, or a
   pod that never started a container has "Failed to pull image" events. Visible without logs,
   and nothing else can be learned about a server that never ran. Ahead of ``unschedulable``
   because it proves a pod did get a node, and fixing scheduling alone would not help.
2. ``unschedulable``: a pod has PodScheduled=False (Unschedulable) or FailedScheduling events
   while not scheduled. Events of a pod that was scheduled later are stale and ignored.
3. ``quota_exceeded``, ``admission_refused``: no pod of the server exists and its ReplicaSet (or
   Deployment) reports FailedCreate: a ResourceQuota (``exceeded quota``, ``failed quota``), or an
   admission check (SCC, Pod Security, LimitRange, a webhook, a missing ServiceAccount) refused the
   pod. With pods present these events are only evidence of ``unknown`` (they may be stale).
4. ``volume_mount``: a pod that never started a container has FailedAttachVolume / FailedMount
   events (Multi-Attach of a ReadWriteOnce claim from two nodes, a Secret or ConfigMap volume that
   does not exist, a mount that times out). The kubelet mounts volumes before it pulls images and
   starts containers, so nothing later can have happened.
5. ``cuda_driver`` from the container's status or events: the NVIDIA container hook refused to start
   the container because the node's driver is older than the image's CUDA (``unsatisfied condition:
   cuda>=12.8``). No log exists then.
6. ``oom_killed``: a container terminated with reason OOMKilled. That is the kernel's verdict on
   the last termination (host memory limit), stronger than log lines, which may come from an
   earlier attempt.
7. ``model_not_cached``, ``unsupported_architecture``, ``cuda_driver``, ``cuda_oom``,
   ``missing_sentence_transformers_config``: an error line in the logs. A specific log cause beats
   every generic container state. A missing model comes first: vLLM looks for the model's files
   before anything else (with ``HF_HUB_OFFLINE=1`` a cache miss ends there). Architecture next: it
   is raised while reading the config, before any GPU is touched; then a driver too old for the
   image's CUDA, which fails at the first CUDA call, before any memory is reserved. CUDA OOM before
   the sentence-transformers case: current vLLM only warns about missing sentence-transformers files
   and carries on, so when both appear, the out-of-memory error is what ended the process.
8. ``probe_failure``: startup/readiness/liveness probe failures for a pod whose container runs,
   or whose restarts were kills from outside (exit code 0, 137 or 143: the kubelet stopping it
   after the probe failed), which is how a slow model download looks.
9. A log cause found only in *warning* lines (for example vLLM's "Unable to determine Sentence
   Transformers pooling type" or "Cannot connect to Hugging Face Hub. Skipping file download for
   'modules.json'"), in the order of 7: vLLM carries on after a warning, so it explains a crash
   better than nothing, but not a container that runs and fails its probes.
10. ``crash_loop``: CrashLoopBackOff or a terminated container with a non-zero exit code and
    no more specific cause; the last log lines are the evidence.
11. ``unknown``: nothing matched; the evidence lists what was seen.

``hopeless`` tells the rollout wait (rollout.py) which of these states cannot heal by waiting (see there);
``server_events`` picks the events that concern one server from the namespace's.
"""

from __future__ import annotations

import re

CAUSES = (
    "image_pull",
    "unschedulable",
    "quota_exceeded",
    "admission_refused",
    "volume_mount",
    "oom_killed",
    "model_not_cached",
    "unsupported_architecture",
    "cuda_driver",
    "cuda_oom",
    "missing_sentence_transformers_config",
    "probe_failure",
    "crash_loop",
    "unknown",
)

# Evidence is for a person reading a failed task: a few short lines, never a whole log.
MAX_EVIDENCE_ITEMS = 10
MAX_EVIDENCE_CHARS = 300
LOG_TAIL_LINES = 5
# Error messages sit at the start of their line; the only very long lines are vLLM's config dumps and the
# list of supported architectures after the message. Reading a line's head keeps a large log cheap.
MAX_SCANNED_LINE_CHARS = 2000

IMAGE_PULL_WAITING_REASONS = frozenset(
    ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "RegistryUnavailable"))
IMAGE_PULL_EVENT_TEXT = re.compile(
    r"Failed to pull image|Back-off pulling image|ErrImagePull|ImagePullBackOff|InvalidImageName"
    r"|couldn't parse image|Failed to inspect image|ErrImageNeverPull", re.IGNORECASE)

# The kubelet attaches and mounts a pod's volumes before it pulls images and starts containers.
VOLUME_EVENT_REASONS = frozenset(("FailedAttachVolume", "FailedMount", "FailedMapVolume"))
# A ReplicaSet that cannot create its pods; the API server's refusal is in the message.
CREATE_REFUSED_REASONS = frozenset(("FailedCreate",))
QUOTA_TEXT = re.compile(r"exceeded quota|failed quota|forbidden: .*quota", re.IGNORECASE)
ADMISSION_TEXT = re.compile(
    r"security context constraint|violates PodSecurity|admission webhook|denied the request|is forbidden"
    r"|serviceaccount \S+ not found|maximum .* usage per|minimum .* usage per", re.IGNORECASE)

PROBE_EVENT_TEXT = re.compile(
    r"(startup|readiness|liveness) probe failed|failed (startup|liveness) probe", re.IGNORECASE)

# The kubelet stops a container whose startup or liveness probe failed with SIGTERM, then SIGKILL;
# vLLM may also exit cleanly on SIGTERM. Such exits are not the server's own failure.
EXTERNAL_KILL_EXIT_CODES = frozenset((0, 137, 143))

# Log lines, by cause. Worded as vLLM (and transformers, torch, huggingface_hub) print them.
UNSUPPORTED_ARCHITECTURE_LOG = [re.compile(p, re.IGNORECASE) for p in (
    # "... ['Foo'] are not supported for now", "... and is not supported anymore", "... is not supported in-tree anymore"
    r"Model architectures? .{0,200}?(are|is) not supported",
    r"No model architectures are specified",
    r"Model architectures .{0,200}? failed to be inspected",
    r"does not recognize this architecture",                   # transformers: unknown model_type
    r"This model does not support `--runner pooling`",         # needs --convert
    r"(set the option|pass the argument) `trust_remote_code=True`",
    r"requires you to execute (the configuration file|custom code)",
)]
CUDA_OOM_LOG = [re.compile(p, re.IGNORECASE) for p in (
    r"CUDA out of memory",
    r"CUDA error: out of memory",
    r"\b(torch\.)?(cuda\.)?OutOfMemoryError\b",
    r"No available memory for the cache blocks",
    r"larger than the available KV cache memory",
    r"not enough GPU memory",
    r"insufficient GPU memory",
    r"is less than desired GPU memory utilization",
)]
# A driver older than the CUDA the image was built for. From torch and the CUDA runtime in the log, or
# from the NVIDIA container hook, which refuses to start the container (then in its status and events).
CUDA_DRIVER_TEXT = [re.compile(p, re.IGNORECASE) for p in (
    r"CUDA driver version is insufficient for CUDA runtime version",
    r"cudaErrorInsufficientDriver",
    r"The NVIDIA driver on your system is too old",
    r"forward compatibility was attempted on non supported HW",
    r"system has unsupported display driver / cuda driver combination",
    r"unsatisfied condition: cuda\s*>=?\s*[\d.]+",
    r"please update your driver to a newer version",
)]
CUDA_DRIVER_LOG = CUDA_DRIVER_TEXT
_ST_FILES = r"(modules\.json|sentence_[\w-]+_config\.json|1_Pooling/config\.json)"
_MISSING_WORDS = (r"(not found|missing|no such file|does not (appear to have|exist)|doesn't exist|could not|"
                  r"couldn't|cannot|can't|unable|FileNotFoundError|EntryNotFoundError|404|offline mode|"
                  r"Max retries exceeded|Failed to resolve)")
MISSING_ST_CONFIG_LOG = [re.compile(p, re.IGNORECASE) for p in (
    r"Unable to determine Sentence Transformers pooling type",
    # Anchored so the look-ahead runs once per line, not once per character of a long config dump.
    r"^(?=.*%s).*?(?P<hit>%s)" % (_MISSING_WORDS, _ST_FILES),
    r"pooling (config|configuration|type) (was |is )?(not found|missing|could not be determined|cannot be determined)",
    r"(could not|cannot|unable to) determine (the )?pooling",
    # A traceback frame inside vLLM's readers of those files: older vLLM crashes there when
    # 1_Pooling/config.json is missing ("'NoneType' object has no attribute 'items'").
    r", in (?P<hit>get_pooling_config|get_sentence_transformer_tokenizer_config)\b",
)]
# The model's files are not where vLLM looks and it may not download them (HF_HUB_OFFLINE=1 on a cluster):
# vLLM's own message for a model it cannot resolve, and huggingface_hub's and transformers' offline
# errors. Lines about the sentence-transformers files alone are left to that cause: a model whose
# config loads but whose modules.json is missing from the cache is not a cache miss of the model.
_NOT_ST_FILE = r"^(?!.*%s)" % _ST_FILES
MODEL_NOT_CACHED_LOG = [re.compile(p, re.IGNORECASE) for p in (
    r"Invalid repository ID or local directory specified",
    _NOT_ST_FILE + r".*?(?P<hit>outgoing traffic has been disabled)",
    _NOT_ST_FILE + r".*?(?P<hit>LocalEntryNotFoundError)",
    _NOT_ST_FILE + r".*?(?P<hit>OfflineModeIsEnabled)",
    _NOT_ST_FILE + r".*?(?P<hit>couldn't connect to '?https?://[^ ']+'? to load (this file|the files))",
    _NOT_ST_FILE + r".*?(?P<hit>Cannot find the requested files in the (local )?(disk )?cache)",
)]
LOG_CAUSES = (
    ("model_not_cached", MODEL_NOT_CACHED_LOG),
    ("unsupported_architecture", UNSUPPORTED_ARCHITECTURE_LOG),
    ("cuda_driver", CUDA_DRIVER_LOG),
    ("cuda_oom", CUDA_OOM_LOG),
    ("missing_sentence_transformers_config", MISSING_ST_CONFIG_LOG),
)
# vLLM's log format: "(APIServer pid=12) WARNING 11-23 04:25:30 [file.py:12] message".
ADVISORY_LOG_LEVEL = re.compile(r"(^|[\s)])(WARNING|WARN|INFO|DEBUG) \d\d-\d\d ")
ERROR_LIKE_LOG = re.compile(
    r"^\s*[\w.]*(Error|Exception)\b|\bERROR\b|\berror:|^Traceback|Killed|Aborted|Segmentation fault")
TRACEBACK_FRAME = re.compile(r'File "[^"]*", line \d+, in ')
EXCEPTION_LINE = re.compile(r"\b[A-Za-z_][\w.]*(Error|Exception)\b: ")
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

HINTS = {
    "image_pull": (
        "The node could not pull the container image: check the image name and tag, that the pull secret "
        "(imagePullSecrets) has access to the registry, and on a disconnected cluster that the image is "
        "mirrored (ImageDigestMirrorSet) and the image setting points at the mirror"),
    "unschedulable": (
        "No node can take the pod"),
    "quota_exceeded": (
        "A ResourceQuota of namespace <namespace> refuses the server's pod (the evidence shows what it requested, "
        "what is used and the limit): free what the quota counts (serial_models: true runs one GPU server at a time), "
        "raise the quota (namespace_quota_hard, `oc describe resourcequota -n <namespace>`) or lower the server's "
        "requests; a quota on limits also needs limits on every container (\"failed quota: must specify ...\")"),
    "admission_refused": (
        "The API server refused to create the server's pod (`oc describe replicaset -n <namespace>` shows the "
        "message)"),
    "volume_mount": (
        "The pod's volumes could not be attached or mounted: check the claim and its storage class "
        "(`oc describe pvc -n <namespace>`) and the node's CSI driver"),
    "oom_killed": (
        "The container exceeded its memory limit and the kernel killed it (host memory, not GPU memory): "
        "raise resources.limits.memory of the vLLM container; loading weights and tokenizers needs headroom "
        "above the model size"),
    "model_not_cached": (
        "vLLM did not find the model's files and may not download them (HF_HUB_OFFLINE=1 when the model cache is "
        "mounted): fill the cache first (model_cache_prefetch: true, or a Hugging Face cache copied under HF_HOME on "
        "the claim), check that the model id is the one prefetched and that a model_path override names a folder "
        "with config.json inside the mounted claim; to let the server download at start instead, set "
        "vllm_server_hf_offline: false (needs egress to the Hub)"),
    "cuda_driver": (
        "The node's NVIDIA driver is older than the CUDA the vLLM image was built with: use an image built for the "
        "node's CUDA (`nvidia-smi` on the node, or the NVIDIA GPU operator's ClusterPolicy, shows the driver) or "
        "upgrade the driver through the GPU operator; a 'forward compatibility' error means the GPU cannot use the "
        "CUDA compatibility libraries the image ships, so only a newer driver or an older image helps"),
    "unsupported_architecture": (
        "This vLLM cannot serve the model's architecture as given: check that the vLLM image's version lists the "
        "architecture among its supported models, or give the model what it needs: --hf-overrides (for example "
        "to declare the architecture, as Qwen3-Reranker needs), --trust-remote-code for custom code, or "
        "--convert embed|classify to adapt a generative model into a pooling model (catalog keys hf_overrides, "
        "trust_remote_code, convert; the first two are reported as workarounds)"),
    "cuda_oom": (
        "vLLM ran out of GPU memory or could not reserve its share: lower --max-model-len (a smaller KV cache), "
        "lower --gpu-memory-utilization when other processes share the GPU (raise it if only the KV cache did "
        "not fit; on the CPU backend it is the share of host memory), use a GPU with more memory, or put fewer "
        "models on one GPU (serial_models: true)"),
    "missing_sentence_transformers_config": (
        "vLLM could not read the model's sentence-transformers files (modules.json, 1_Pooling/config.json, "
        "sentence_bert_config.json), so it cannot know the pooling and length the reference uses: pass "
        "--pooler-config (catalog key pooler_config, for example {\"pooling_type\": \"MEAN\", "
        "\"use_activation\": true}) and --max-model-len, or use a model repository that has the "
        "sentence-transformers files"),
    "probe_failure": (
        "vLLM did not answer its health probe in time, most often because it is still downloading or compiling "
        "the model: raise the startup probe's failureThreshold (or periodSeconds), pre-fill the model cache "
        "PVC, and check the last log lines for progress"),
    "crash_loop": (
        "The vLLM process exits on start: read the last log lines (shown in the evidence, and in full with "
        "`oc logs <pod> -n <namespace> --previous`) and check the server arguments of the catalog entry"),
    "unknown": (
        "No known failure pattern matched: inspect `oc describe pod <pod> -n <namespace>` and "
        "`oc logs <pod> -n <namespace> --previous`"),
}
NO_POD_HINT = (
    "No pod of the server was found: read the events of its Deployment and ReplicaSet "
    "(`oc describe deployment <deployment> -n <namespace>`) for quota, admission or security context errors")
# Placeholders hints may use; each is filled with the real name, or dropped with its flag when unknown.
_PLACEHOLDERS = (("<pod>", "pod", ""), ("<deployment>", "deployment", ""), ("<namespace>", "namespace", "-n "))

SUMMARIES = {
    "image_pull": "the container image could not be pulled",
    "unschedulable": "the pod could not be scheduled on any node",
    "quota_exceeded": "a ResourceQuota refused to admit the server's pod",
    "admission_refused": "the API server refused to create the server's pod",
    "volume_mount": "the pod's volumes could not be attached or mounted",
    "oom_killed": "the container was killed for exceeding its memory limit (OOMKilled)",
    "model_not_cached": "vLLM did not find the model's files and could not download them",
    "cuda_driver": "the node's NVIDIA driver is too old for the CUDA of the vLLM image",
    "unsupported_architecture": "vLLM does not support the model's architecture as configured",
    "cuda_oom": "vLLM ran out of GPU memory while starting",
    "missing_sentence_transformers_config":
        "vLLM could not find the model's sentence-transformers pooling configuration",
    "probe_failure": "the container runs but does not pass its health probe",
    "crash_loop": "the vLLM container keeps exiting with an error",
    "unknown": "no known cause was recognized",
}


# --- tolerant readers: the API objects may come with any key missing or null ---

def _mapping(value):
    return value if isinstance(value, dict) else {}


def _mappings(value):
    if isinstance(value, (list, tuple)):
        return [item for item in value if isinstance(item, dict)]
    return []


def _text(value):
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else str(value)


def _dig(value, *keys):
    for key in keys:
        value = _mapping(value).get(key)
    return value


def _integer(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _one_line(text):
    return " ".join(_text(text).split())


def _clip(text, anchor=None):
    """Shorten to MAX_EVIDENCE_CHARS, keeping the part around ``anchor`` (a match span) visible."""
    text = _one_line(text)
    if len(text) <= MAX_EVIDENCE_CHARS:
        return text
    start = 0
    if anchor is not None:
        start = max(0, min(anchor[0] - 60, len(text) - MAX_EVIDENCE_CHARS))
    piece = text[start:start + MAX_EVIDENCE_CHARS - 6]
    return ("..." if start else "") + piece + "..."


# --- facts about pods, events and logs ---

def _container_facts(pod_name, status):
    state = _mapping(status.get("state"))
    last_state = _mapping(status.get("lastState"))
    terminations = []
    for when, source in (("current", state), ("last", last_state)):
        terminated = source.get("terminated")
        if isinstance(terminated, dict):
            terminations.append({
                "when": when,
                "reason": _text(terminated.get("reason")),
                "exit_code": _integer(terminated.get("exitCode")),
                "message": _text(terminated.get("message")),
            })
    waiting = _mapping(state.get("waiting"))
    return {
        "label": "%s/%s" % (pod_name, _text(status.get("name")) or "?"),
        "name": _text(status.get("name")),
        "waiting_reason": _text(waiting.get("reason")),
        "waiting_message": _text(waiting.get("message")),
        "running": isinstance(state.get("running"), dict),
        "ready": status.get("ready") is True,
        "restarts": _integer(status.get("restartCount")) or 0,
        "terminations": terminations,
    }


def _pod_facts(pod):
    metadata = _mapping(pod.get("metadata"))
    spec = _mapping(pod.get("spec"))
    status = _mapping(pod.get("status"))
    name = _text(metadata.get("name")) or "?"
    scheduled = None
    unschedulable_message = ""
    for condition in _mappings(status.get("conditions")):
        if condition.get("type") != "PodScheduled":
            continue
        scheduled = _text(condition.get("status")).lower() == "true"
        if not scheduled:
            unschedulable_message = "PodScheduled=False %s: %s" % (
                _text(condition.get("reason")) or "(no reason)", _text(condition.get("message")))
    if scheduled is None and spec.get("nodeName"):
        scheduled = True
    containers = [_container_facts(name, s) for key in ("initContainerStatuses", "containerStatuses")
                  for s in _mappings(status.get(key))]
    memory_limits = {}
    for container in _mappings(spec.get("containers")):
        limit = _dig(container, "resources", "limits", "memory")
        if limit:
            memory_limits[_text(container.get("name"))] = _text(limit)
    return {
        "name": name,
        "namespace": _text(metadata.get("namespace")),
        "phase": _text(status.get("phase")),
        "reason": _text(status.get("reason")),
        "message": _text(status.get("message")),
        "scheduled": scheduled,
        "unschedulable_message": unschedulable_message,
        "containers": containers,
        # A pod that ran a container has pulled its image: older pull errors are history.
        "started": any(c["running"] or c["terminations"] or c["restarts"] for c in containers),
        "memory_limits": memory_limits,
    }


def _event_facts(event):
    involved = _mapping(event.get("involvedObject")) or _mapping(event.get("regarding"))
    return {
        "reason": _text(event.get("reason")),
        "message": _text(event.get("message") or event.get("note")),
        "type": _text(event.get("type")),
        "kind": _text(involved.get("kind")),
        "object": _text(involved.get("name")),
        "count": _integer(event.get("count") or _dig(event, "series", "count")),
    }


def _relevant_events(events, pods_by_name):
    """All events but those about other pods.

    Events of the ReplicaSet or Deployment stay (a FailedCreate from a quota is all there is when no
    pod exists); they only ever serve as evidence for ``unknown``, since every named cause reads pod events.
    """
    facts = [_event_facts(e) for e in _mappings(events)]
    if not pods_by_name:
        return facts
    return [e for e in facts
            if e["kind"] not in ("Pod", "") or not e["object"] or e["object"] in pods_by_name]


def _describe_event(event):
    where = event["object"] or "?"
    times = " x%d" % event["count"] if event["count"] and event["count"] > 1 else ""
    return _clip("event %s (%s%s): %s" % (event["reason"] or "?", where, times, event["message"]))


def _log_lines(logs):
    if isinstance(logs, (list, tuple)):  # k8s_log's log_lines, or one string per container
        logs = "\n".join(_text(part) if isinstance(part, (str, bytes)) else "" for part in logs)
    elif not isinstance(logs, (str, bytes)):
        logs = ""
    text = ANSI_ESCAPE.sub("", _text(logs))
    return [_one_line(line) for line in text.splitlines() if line.strip()]


def _scan_logs(lines):
    """Per log cause, the most recent matching line as (index, span, advisory); error lines win over warnings."""
    found = {}
    for index, full_line in enumerate(lines):
        line = full_line[:MAX_SCANNED_LINE_CHARS]
        advisory = bool(ADVISORY_LOG_LEVEL.search(line))
        for cause, patterns in LOG_CAUSES:
            if advisory and cause in found and not found[cause][2]:
                continue
            for pattern in patterns:
                match = pattern.search(line)
                if match:
                    span = match.span("hit") if "hit" in pattern.groupindex else match.span()
                    found[cause] = (index, span, advisory)
                    break
    return found


def _log_evidence(lines, index, span):
    """The matching line; for a traceback frame also the exception that ends the traceback."""
    evidence = ["log: " + _clip(lines[index], span)]
    if TRACEBACK_FRAME.search(lines[index]):
        for line in lines[index + 1:index + 40]:
            if EXCEPTION_LINE.search(line) and not TRACEBACK_FRAME.search(line):
                evidence.append("log: " + _clip(line))
                break
    return evidence


def _log_tail(lines):
    """The last lines, plus the last error-looking line when it scrolled out of them."""
    tail = lines[-LOG_TAIL_LINES:]
    evidence = []
    errors = [line for line in lines if ERROR_LIKE_LOG.search(line)]
    if errors and errors[-1] not in tail:
        evidence.append("log (last error): " + _clip(errors[-1]))
    evidence.extend("log: " + _clip(line) for line in tail)
    return evidence


# --- one detector per cause; each returns evidence (a list, empty when it does not apply) ---

def _image_pull_evidence(pods, events, pods_by_name):
    evidence = []
    for pod in pods:
        for container in pod["containers"]:
            if container["waiting_reason"] in IMAGE_PULL_WAITING_REASONS:
                evidence.append(_clip("%s: waiting %s: %s" % (
                    container["label"], container["waiting_reason"], container["waiting_message"])))
    for event in events:
        pod = pods_by_name.get(event["object"])
        if pod is not None and pod["started"]:
            continue
        if event["reason"] in ("Failed", "BackOff", "InspectFailed", "ErrImageNeverPull") \
                and IMAGE_PULL_EVENT_TEXT.search(event["message"]):
            evidence.append(_describe_event(event))
    return evidence


def _image_pull_hint(evidence):
    seen = " ".join(evidence)
    specific = ""
    if re.search(r"unauthorized|authentication required|denied|forbidden|403", seen, re.IGNORECASE):
        specific = "The registry refused access: fix the pull secret. "
    elif re.search(r"manifest unknown|not found|name unknown|404", seen, re.IGNORECASE):
        specific = "The registry does not have this image or tag. "
    elif re.search(r"InvalidImageName|couldn't parse image|invalid reference format", seen, re.IGNORECASE):
        specific = "The image reference is malformed. "
    elif re.search(r"dial tcp|i/o timeout|no such host|connection refused|TLS handshake|x509", seen, re.IGNORECASE):
        specific = "The nodes cannot reach the registry (a disconnected cluster needs a mirror). "
    return specific + HINTS["image_pull"]


def _unschedulable_evidence(pods, events, pods_by_name):
    evidence = []
    for pod in pods:
        if pod["scheduled"] is False and pod["unschedulable_message"]:
            evidence.append(_clip("%s: %s" % (pod["name"], pod["unschedulable_message"])))
    for event in events:
        pod = pods_by_name.get(event["object"])
        if pod is not None and pod["scheduled"]:
            continue  # scheduled since: the event is history
        if event["reason"] == "FailedScheduling":
            evidence.append(_describe_event(event))
    return evidence


def _unschedulable_hint(evidence):
    """Say what blocks scheduling, since the remedies differ: GPU capacity, taints, selectors, storage."""
    seen = " ".join(evidence)
    reasons = []
    if re.search(r"Insufficient nvidia\.com/gpu", seen):
        reasons.append(
            "no node has a free NVIDIA GPU (Insufficient nvidia.com/gpu): free one (serial_models: true "
            "deploys one model at a time), add GPU capacity, let small models share a GPU, or set gpu: 0 "
            "for a CPU image")
    other_resources = sorted(set(re.findall(r"Insufficient ([\w./-]+)", seen)) - {"nvidia.com/gpu"})
    if other_resources:
        reasons.append("not enough %s on any node: lower the pod's requests or add capacity"
                       % ", ".join(other_resources))
    if re.search(r"taint", seen, re.IGNORECASE):
        reasons.append("the nodes carry a taint the pod does not tolerate: add tolerations for it "
                       "(GPU nodes are often tainted nvidia.com/gpu)")
    if re.search(r"node affinity|node selector|nodeSelector|didn't match", seen, re.IGNORECASE):
        reasons.append("the pod's nodeSelector or affinity matches no node: check the node labels it asks for")
    if re.search(r"PersistentVolumeClaim|volume node affinity", seen, re.IGNORECASE):
        reasons.append("the model cache volume cannot be bound or reached: check the PVC and its storage class")
    if not reasons:
        reasons.append("read the scheduler's message in the evidence; check resources, nodeSelector and "
                       "tolerations")
    return HINTS["unschedulable"] + ": " + "; ".join(reasons)


def _oom_killed_evidence(pods):
    evidence = []
    for pod in pods:
        for container in pod["containers"]:
            for end in container["terminations"]:
                if end["reason"] == "OOMKilled":
                    limit = pod["memory_limits"].get(container["name"])
                    evidence.append(_clip("%s: %s terminated OOMKilled (exit code %s)%s" % (
                        container["label"], end["when"], end["exit_code"],
                        ", memory limit %s" % limit if limit else "")))
    return evidence


def _probe_evidence(pods, events, pods_by_name):
    """Probe failures of pods whose container runs, or whose only terminations were kills from outside."""
    def waits_on_probe(pod):
        if pod is None:
            return True  # nothing contradicts the events
        ends = [end for c in pod["containers"] for end in c["terminations"]]
        if any(end["exit_code"] not in EXTERNAL_KILL_EXIT_CODES or end["reason"] == "OOMKilled" for end in ends):
            return False  # the process failed by itself; probes fail in every crash loop
        return not pod["containers"] or bool(ends) or any(c["running"] for c in pod["containers"])

    probe_events = [e for e in events if e["reason"] in ("Unhealthy", "Killing")
                    and PROBE_EVENT_TEXT.search(e["message"]) and waits_on_probe(pods_by_name.get(e["object"]))]
    evidence = [_describe_event(e) for e in probe_events[-3:]]
    if evidence:
        for pod in pods:
            for container in pod["containers"]:
                if container["restarts"]:
                    evidence.append("%s: %d restarts" % (container["label"], container["restarts"]))
    return evidence


def _crash_evidence(pods):
    evidence = []
    for pod in pods:
        for container in pod["containers"]:
            if container["waiting_reason"] == "CrashLoopBackOff":
                evidence.append(_clip("%s: waiting CrashLoopBackOff: %s" % (
                    container["label"], container["waiting_message"])))
            for end in container["terminations"]:
                if end["exit_code"] not in (None, 0) and end["reason"] != "OOMKilled":
                    evidence.append(_clip("%s: %s terminated %s (exit code %s), %d restarts%s" % (
                        container["label"], end["when"], end["reason"] or "(no reason)", end["exit_code"],
                        container["restarts"], ": " + end["message"] if end["message"] else "")))
    return evidence


def _unknown_evidence(pods, events, lines):
    evidence = []
    for pod in pods:
        state = pod["phase"] or "phase unknown"
        if pod["reason"] or pod["message"]:
            state += " (%s: %s)" % (pod["reason"], pod["message"])
        evidence.append(_clip("%s: %s" % (pod["name"], state)))
        for container in pod["containers"]:
            if container["waiting_reason"]:
                evidence.append(_clip("%s: waiting %s: %s" % (
                    container["label"], container["waiting_reason"], container["waiting_message"])))
    warnings = [e for e in events if e["type"] == "Warning"] or events
    evidence.extend(_describe_event(e) for e in warnings[-3:])
    evidence.extend(_log_tail(lines)[-3:])
    return evidence or ["no pod status, events or logs were available"]


def _volume_evidence(pods, events, pods_by_name):
    """Attach and mount failures of pods that never started a container (later ones are history)."""
    evidence = []
    for event in events:
        pod = pods_by_name.get(event["object"])
        if event["kind"] not in ("Pod", "") or (pod is not None and pod["started"]):
            continue
        if event["reason"] in VOLUME_EVENT_REASONS:
            evidence.append(_describe_event(event))
    return evidence


def _volume_hint(evidence):
    seen = " ".join(evidence)
    if re.search(r"Multi-Attach|already (exclusively )?attached|already used by pod", seen, re.IGNORECASE):
        return ("The model cache claim is ReadWriteOnce and attached to another node, where another pod uses it: run "
                "every server that mounts it on that one node, give the claim ReadWriteMany storage "
                "(model_cache_access_mode), or deploy one model at a time (serial_models: true)")
    missing = re.search(r'(secret|configmap) "([^"]+)" not found', seen, re.IGNORECASE)
    if missing:
        return ("The %s %s that a volume of the pod needs does not exist in namespace <namespace>: create it or fix the "
                "name in the settings (the TLS Secret of the authenticating proxy is made by OpenShift's service CA "
                "within seconds of its Service)" % (missing.group(1).capitalize(), missing.group(2)))
    return HINTS["volume_mount"]


def _create_refused_evidence(events, text):
    """FailedCreate events of the ReplicaSet or Deployment whose message matches ``text``."""
    return [_describe_event(event) for event in events
            if event["kind"] in ("ReplicaSet", "Deployment") and event["reason"] in CREATE_REFUSED_REASONS
            and text.search(event["message"])]


def _admission_hint(evidence):
    """Name the admission step that refused the pod, since the remedies differ."""
    seen = " ".join(evidence)
    if re.search(r"security context constraint", seen, re.IGNORECASE):
        lead = ("OpenShift's security context constraints refused the pod. The server's pod passes restricted-v2 as the "
                "role writes it: check that no setting pins a user, fsGroup or capability outside the namespace's range "
                "(leave vllm_server_run_as_user and vllm_server_fs_group unset on OpenShift) and that the "
                "ServiceAccount (vllm_server_service_account) may use restricted-v2. ")
    elif re.search(r"violates PodSecurity", seen, re.IGNORECASE):
        lead = ("The namespace's Pod Security admission refused the pod: the server's pod meets the 'restricted' "
                "profile as the role writes it, so look for a setting that adds a privilege (the evidence names the "
                "field). ")
    elif re.search(r"serviceaccount \S+ not found", seen, re.IGNORECASE):
        lead = "The ServiceAccount the pod names (vllm_server_service_account) does not exist in <namespace>: create it. "
    elif re.search(r"(maximum|minimum) .* usage per", seen, re.IGNORECASE):
        lead = ("A LimitRange of namespace <namespace> does not admit the container's requests or limits: change "
                "vllm_server_resources to fit it (`oc describe limitrange -n <namespace>`). ")
    elif re.search(r"admission webhook|denied the request", seen, re.IGNORECASE):
        lead = "An admission webhook denied the pod: its message in the evidence says why. "
    else:
        lead = ""
    return lead + HINTS["admission_refused"]


def _driver_evidence(pods, events, pods_by_name):
    """The NVIDIA container hook's refusal, in a container's status or an event about a pod (no log exists)."""
    evidence = []
    for pod in pods:
        for container in pod["containers"]:
            texts = [container["waiting_message"]] + [end["message"] for end in container["terminations"]]
            for text in texts:
                match = _first_match(CUDA_DRIVER_TEXT, text)
                if match:
                    evidence.append("%s: %s" % (container["label"], _clip(text, match.span())))
    for event in events:
        if event["kind"] not in ("Pod", "") or (event["object"] and event["object"] not in pods_by_name and pods_by_name):
            continue
        match = _first_match(CUDA_DRIVER_TEXT, event["message"])
        if match:
            evidence.append(_clip("event %s (%s): %s" % (event["reason"] or "?", event["object"] or "?",
                                                         _clip(event["message"], match.span()))))
    return evidence


def _first_match(patterns, text):
    for pattern in patterns:
        match = pattern.search(text or "")
        if match:
            return match
    return None


# --- the classifier ---

def _fill(hint, context):
    """The hint with its placeholders replaced by the real names; an unknown name is left out with its flag."""
    for placeholder, key, flag in _PLACEHOLDERS:
        value = context.get(key) or ""
        if value:
            hint = hint.replace(placeholder, value)
            continue
        for phrase, plain in (("namespace " + placeholder, "the namespace"), ("in " + placeholder, "in the namespace"),
                              (" " + flag + placeholder, ""), (flag + placeholder, ""), (" " + placeholder, ""),
                              (placeholder, "")):
            hint = hint.replace(phrase, plain)
    return hint


def _result(cause, evidence, pods, hint=None, context=None):
    names = [pod["name"] for pod in pods]
    where = ""
    if names:
        where = "pod %s%s: " % (", ".join(names[:3]), ", ..." if len(names) > 3 else "")
    context = dict(context or {})
    if pods:  # make the commands in hints ready to paste
        context.setdefault("pod", pods[0]["name"])
        if not context.get("namespace"):
            context["namespace"] = pods[0]["namespace"]
    hint = _fill(hint or HINTS[cause], context)
    unique = []
    for item in evidence:
        if item not in unique:
            unique.append(item)
    return {
        "cause": cause,
        "hint": hint,
        "evidence": unique[:MAX_EVIDENCE_ITEMS],
        "summary": where + SUMMARIES[cause] + ".",
    }


def _architecture_hint(line):
    """Lead with the flag the error line asks for; the general advice follows."""
    if "trust_remote_code" in line or "custom code" in line:
        lead = "The model ships custom code: add --trust-remote-code (catalog key trust_remote_code) if you trust it. "
    elif "--runner pooling" in line:
        lead = "The model is generative: add --convert embed or --convert classify (catalog key convert). "
    elif "does not recognize this architecture" in line:
        lead = "The transformers library in the vLLM image is too old for this model: use a newer vLLM image. "
    else:
        lead = ""
    return lead + HINTS["unsupported_architecture"]


def _log_result(findings, lines, pods, context):
    """The result for the first log cause (in LOG_CAUSES order) among ``findings``, or None."""
    for cause, _patterns in LOG_CAUSES:
        if cause in findings:
            index, span, _advisory = findings[cause]
            hint = _architecture_hint(lines[index]) if cause == "unsupported_architecture" else None
            return _result(cause, _log_evidence(lines, index, span) + _crash_evidence(pods)[:2], pods, hint, context)
    return None


def _server_events(events, pods_by_name, deployment):
    """The events that concern the server: its pods', and with ``deployment`` only its ReplicaSets' and its own."""
    facts = _relevant_events(events, pods_by_name)
    if not deployment:
        return facts
    replica_set = re.compile(r"^%s-[a-z0-9]+$" % re.escape(deployment))
    return [e for e in facts if e["kind"] not in ("ReplicaSet", "Deployment")
            or (e["kind"] == "ReplicaSet" and replica_set.match(e["object"]))
            or (e["kind"] == "Deployment" and e["object"] == deployment)]


def server_events(events, deployment, pod_names):
    """The namespace's events that concern one server: about its pods (by name), its ReplicaSets
    (``<deployment>-<hash>``, e.g. a FailedCreate from a quota) and its Deployment. Events about other pods,
    other kinds or nothing named are left out, so that with no pod of its own a server is not judged by
    another pod's events."""
    names = set(pod_names or [])
    replica_set = re.compile(r"^%s-[a-z0-9]+$" % re.escape(_text(deployment)))
    involved = [(event, event["involvedObject"]) for event in _mappings(events)
                if isinstance(event.get("involvedObject"), dict)]
    return ([event for event, about in involved if about.get("name") in names]
            + [event for event, about in involved
               if about.get("kind") == "ReplicaSet" and replica_set.match(_text(about.get("name")))]
            + [event for event, about in involved
               if about.get("kind") == "Deployment" and about.get("name") == deployment])


def early_stop_summary(summary, reason):
    """A diagnosis summary followed by why the rollout wait stopped before the progress deadline."""
    if not reason:
        return summary
    return "%s Stopped waiting before the progress deadline: %s." % (summary, reason.rstrip("."))


def failure_message(model, namespace, diagnosis):
    """The one-line failure message of a diagnosis: model, namespace, cause, summary and hint."""
    where = "model '%s'" % model + (" in namespace '%s'" % namespace if namespace else "")
    return "%s: the vLLM server did not become ready (%s): %s Hint: %s" % (
        where, diagnosis["cause"], diagnosis["summary"], diagnosis["hint"])


def classify(pods=None, events=None, logs=None, namespace=None, deployment=None):
    """Name the reason a vLLM server pod did not become ready (see the module docstring for precedence).

    ``namespace`` and ``deployment`` (the server's names) make the commands in hints ready to paste and,
    with ``deployment``, leave out events of other Deployments' ReplicaSets.

    Returns a dict with ``cause`` (one of CAUSES), ``hint`` (what to do), ``evidence`` (short strings:
    the matching waiting reason, event message or log line) and ``summary`` (one sentence naming the
    pods, ending with a period).
    """
    context = {"namespace": _text(namespace), "deployment": _text(deployment)}
    pod_facts = [_pod_facts(p) for p in _mappings(pods)]
    pods_by_name = {p["name"]: p for p in pod_facts}
    event_facts = _server_events(events, pods_by_name, context["deployment"])
    lines = _log_lines(logs)

    evidence = _image_pull_evidence(pod_facts, event_facts, pods_by_name)
    if evidence:
        return _result("image_pull", evidence, pod_facts, _image_pull_hint(evidence), context)

    evidence = _unschedulable_evidence(pod_facts, event_facts, pods_by_name)
    if evidence:
        return _result("unschedulable", evidence, pod_facts, _unschedulable_hint(evidence), context)

    if not pod_facts:  # nothing was created: the refusal is all there is (with pods the events may be stale)
        evidence = _create_refused_evidence(event_facts, QUOTA_TEXT)
        if evidence:
            return _result("quota_exceeded", evidence, pod_facts, None, context)
        evidence = _create_refused_evidence(event_facts, ADMISSION_TEXT)
        if evidence:
            return _result("admission_refused", evidence, pod_facts, _admission_hint(evidence), context)

    evidence = _volume_evidence(pod_facts, event_facts, pods_by_name)
    if evidence:
        return _result("volume_mount", evidence, pod_facts, _volume_hint(evidence), context)

    evidence = _driver_evidence(pod_facts, event_facts, pods_by_name)
    if evidence:
        return _result("cuda_driver", evidence, pod_facts, None, context)

    evidence = _oom_killed_evidence(pod_facts)
    if evidence:
        return _result("oom_killed", evidence, pod_facts, None, context)

    log_findings = _scan_logs(lines)
    error_findings = {cause: finding for cause, finding in log_findings.items() if not finding[2]}
    result = _log_result(error_findings, lines, pod_facts, context)
    if result:
        return result

    evidence = _probe_evidence(pod_facts, event_facts, pods_by_name)
    if evidence:
        return _result("probe_failure", evidence + _log_tail(lines)[-2:], pod_facts, None, context)

    result = _log_result(log_findings, lines, pod_facts, context)
    if result:
        return result

    evidence = _crash_evidence(pod_facts)
    if evidence:
        return _result("crash_loop", evidence + _log_tail(lines), pod_facts, None, context)

    return _result("unknown", _unknown_evidence(pod_facts, event_facts, lines), pod_facts,
                   None if pod_facts else NO_POD_HINT, context)


# --- when waiting longer cannot help ---

# Scheduler reasons that waiting does not change: no node will start matching a selector or tolerating
# a taint by itself, and a volume bound in another zone stays there. Insufficient resources, ports or
# pod (anti-)affinity may clear when other pods end, so they are not in this list.
PERMANENT_SCHEDULING_TEXT = re.compile(
    r"didn't match (Pod's )?node (affinity|selector)|didn't match node selector|had untolerated taint"
    r"|had taints? .* that the pod didn't tolerate|volume node affinity conflict"
    r"|didn't find available persistent volumes to bind", re.IGNORECASE)
# Registry answers worth another try: network trouble, throttling, a registry error.
TRANSIENT_PULL_TEXT = re.compile(
    r"i/o timeout|TLS handshake timeout|connection (reset|refused)|context deadline exceeded|toomanyrequests"
    r"|too many requests|429|50[0-4]|temporar|try again", re.IGNORECASE)
WAITING_TOO_LONG_REASONS = frozenset(("CreateContainerConfigError", "InvalidImageName", "ErrImageNeverPull"))
DEFAULT_RESTART_LIMIT = 3


def _scheduling_clauses(message):
    """The per-node-group reasons of a scheduler message ("0/5 nodes are available: 2 node(s) had ..., 3 ...")."""
    text = message.split(" preemption:")[0]
    text = text.split("are available:", 1)[-1]
    return [clause.strip(" .") for clause in re.split(r",\s*(?=\d+ )", text) if clause.strip(" .")]


def _never_schedules(message):
    clauses = _scheduling_clauses(message)
    return bool(clauses) and all(PERMANENT_SCHEDULING_TEXT.search(clause) for clause in clauses)


def hopeless(pods=None, events=None, deployment=None, restart_limit=DEFAULT_RESTART_LIMIT):
    """Whether a server that has not rolled out yet can still come up by waiting, from its pods and events.

    Hopeless: a container in CrashLoopBackOff after ``restart_limit`` restarts; an image that cannot be
    pulled (ErrImagePull, ImagePullBackOff, InvalidImageName, ErrImageNeverPull) unless the registry's
    answer is a network or throttling error; a container that cannot be configured
    (CreateContainerConfigError: a missing Secret key, a root image under runAsNonRoot) or that the NVIDIA
    container hook refuses for a driver older than the image's CUDA; pod creation
    refused by a quota or by admission (FailedCreate of the Deployment's ReplicaSet, no pod exists); a
    pod the scheduler rejects only for reasons that do not change by themselves (node selector or
    affinity, untolerated taints, a volume in another zone) with no cluster autoscaler scale-up under way.
    Volume mount errors are not hopeless: the missing Secret of a proxy appears within seconds, and a
    ReadWriteOnce claim frees up when the pod holding it ends.

    ``deployment`` names the server so that other servers' pods (owned by another Deployment's ReplicaSet,
    or labelled another ``app.kubernetes.io/instance``) and other ReplicaSets' events are left out.
    Returns ``{"hopeless": bool, "reason": str}``; the reason names the pod and what was seen.
    """
    limit = max(1, _integer(restart_limit) or DEFAULT_RESTART_LIMIT)
    pod_facts = [_pod_facts(p) for p in _mappings(pods) if _of_deployment(p, _text(deployment))]
    pods_by_name = {p["name"]: p for p in pod_facts}
    event_facts = _server_events(events, pods_by_name, _text(deployment))
    reasons = []
    for pod in pod_facts:
        for container in pod["containers"]:
            waiting, message = container["waiting_reason"], container["waiting_message"]
            if waiting == "CrashLoopBackOff" and container["restarts"] >= limit:
                reasons.append("%s restarted %d times and waits in CrashLoopBackOff (limit %d)"
                               % (container["label"], container["restarts"], limit))
            elif waiting in IMAGE_PULL_WAITING_REASONS and not TRANSIENT_PULL_TEXT.search(message):
                reasons.append(_clip("%s waits in %s: %s" % (container["label"], waiting, message)))
            elif waiting in WAITING_TOO_LONG_REASONS or _first_match(CUDA_DRIVER_TEXT, message):
                reasons.append(_clip("%s waits in %s: %s" % (container["label"], waiting, message)))
        if pod["scheduled"] is False and _never_schedules(pod["unschedulable_message"]) \
                and not _scale_up_under_way(event_facts, pod["name"]):
            reasons.append(_clip("%s cannot be scheduled and waiting will not change that: %s"
                                 % (pod["name"], pod["unschedulable_message"])))
    if not pod_facts:
        refused = (_create_refused_evidence(event_facts, QUOTA_TEXT)
                   or _create_refused_evidence(event_facts, ADMISSION_TEXT))
        reasons.extend(refused[-1:])
        reasons.extend(_describe_event(e) for e in event_facts[-1:] if e["reason"] == "FailedScheduling"
                       and _never_schedules(e["message"]) and not _scale_up_under_way(event_facts, e["object"]))
    return {"hopeless": bool(reasons), "reason": "; ".join(reasons)}


def _of_deployment(pod, deployment):
    """Whether a pod belongs to ``deployment`` (any pod when no deployment is named)."""
    if not deployment:
        return True
    metadata = _mapping(pod.get("metadata"))
    replica_set = re.compile(r"^%s-[a-z0-9]+$" % re.escape(deployment))
    owners = [_text(o.get("name")) for o in _mappings(metadata.get("ownerReferences")) if o.get("kind") == "ReplicaSet"]
    if owners:
        return any(replica_set.match(owner) for owner in owners)
    instance = _mapping(metadata.get("labels")).get("app.kubernetes.io/instance")
    return instance == deployment if instance else True


def _scale_up_under_way(events, pod_name):
    return any(e["reason"] == "TriggeredScaleUp" and e["object"] in (pod_name, "") for e in events)
