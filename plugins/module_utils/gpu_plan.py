# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""GPU planning as plain functions: which vLLM servers share which GPU, whether the
``--gpu-memory-utilization`` of the servers sharing one GPU fits, and whether the GPU nodes' NVIDIA
driver is new enough for the CUDA of the vLLM image.

vLLM reserves ``--gpu-memory-utilization`` of the *whole* GPU's memory at start and refuses to start
when less is free, so servers that share a physical GPU (time-slicing) must sum to at most
``max_utilization`` (0.9 leaves room for the CUDA contexts). With exclusive GPUs or MIG devices each
server has its device to itself, and the question is only whether there are enough devices.

Nothing here talks to a cluster: the capacity comes from the user's settings or from Node objects
(``status.allocatable`` and the labels of NVIDIA's GPU feature discovery) read by the role.
"""

from __future__ import annotations

import copy
import re

SHARING = ("exclusive", "time-slicing", "mig")
MAX_UTILIZATION = 0.9
# vLLM's own default when a server is given no --gpu-memory-utilization.
VLLM_DEFAULT_UTILIZATION = 0.9
UTILIZATION_FLAG = "--gpu-memory-utilization"

# The oldest Linux driver that runs an application built with each CUDA major version under CUDA's
# minor version compatibility (NVIDIA's CUDA release notes, "CUDA Toolkit and Corresponding Driver
# Versions"). Older drivers fail at container start ("unsatisfied condition: cuda>=...") or at CUDA
# initialisation ("The NVIDIA driver on your system is too old").
CUDA_MIN_DRIVER = {11: "450.80.02", 12: "525.60.13", 13: "580.65.06"}

# Labels of NVIDIA's GPU feature discovery (GPU operator); the older names first went deprecated.
DRIVER_LABELS = (("nvidia.com/cuda.driver-version.major", "nvidia.com/cuda.driver-version.minor",
                  "nvidia.com/cuda.driver-version.revision"),
                 ("nvidia.com/cuda.driver.major", "nvidia.com/cuda.driver.minor", "nvidia.com/cuda.driver.rev"))
DRIVER_FULL_LABEL = "nvidia.com/cuda.driver-version.full"
MIG_STRATEGY_LABEL = "nvidia.com/mig.strategy"


class GpuPlanError(ValueError):
    pass


# --- servers ---------------------------------------------------------------------------------------

def server_utilization(instance):
    """The ``--gpu-memory-utilization`` a planned server starts with (the last one given wins, as in
    vLLM's argument parser; vLLM's default 0.9 when none is given)."""
    args = [str(a) for a in instance.get("args") or []]
    value = None
    for index, arg in enumerate(args):
        if arg == UTILIZATION_FLAG and index + 1 < len(args):
            value = args[index + 1]
        elif arg.startswith(UTILIZATION_FLAG + "="):
            value = arg.split("=", 1)[1]
    if value is None:
        return VLLM_DEFAULT_UTILIZATION
    try:
        number = float(value)
    except ValueError:
        raise GpuPlanError("server '%s' for model '%s': %s %r is not a number"
                           % (instance.get("name"), instance.get("key"), UTILIZATION_FLAG, value)) from None
    if not 0 < number <= 1:
        raise GpuPlanError("server '%s' for model '%s': %s must lie in (0, 1], not %s"
                           % (instance.get("name"), instance.get("key"), UTILIZATION_FLAG, value))
    return number


def _pods(instances):
    """One entry per GPU pod: every replica of every server that requests GPUs."""
    pods = []
    for instance in instances:
        gpu = int(instance.get("gpu") or 0)
        if gpu <= 0:
            continue
        utilization = server_utilization(instance)
        for replica in range(int(instance.get("replicas") or 1)):
            pods.append({"key": instance["key"], "name": instance.get("name", instance["key"]), "replica": replica,
                         "gpu": gpu, "utilization": utilization,
                         "node_selector": instance.get("node_selector") or {},
                         "tolerations": instance.get("tolerations") or []})
    return pods


# --- capacity --------------------------------------------------------------------------------------

def _int(value, default=0):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _node_sharing(labels, resource, replicas):
    strategy = labels.get(MIG_STRATEGY_LABEL, "none")
    if resource.startswith("nvidia.com/mig-") or (strategy == "single" and resource == "nvidia.com/gpu"):
        return "mig"
    # MPS splits memory per replica, but how vLLM sizes itself under it is not checked here: plan it as
    # time-slicing, the stricter rule.
    if labels.get(resource + ".sharing-strategy") in ("time-slicing", "mps") or replicas > 1:
        return "time-slicing"
    return "exclusive"


def nodes_capacity(nodes, resource="nvidia.com/gpu"):
    """GPU nodes as the plan sees them, from Node objects (or a ``k8s_info`` result listing them).

    Per schedulable node offering ``resource``: its name, labels and taints, the devices (physical
    GPUs, or MIG devices) from the label ``<resource>.count`` of GPU feature discovery (else
    allocatable / replicas), the time-slicing replicas per device (``<resource>.replicas``) and the
    sharing (``exclusive``, ``time-slicing``, ``mig``).
    """
    if isinstance(nodes, dict):
        nodes = nodes.get("resources") or []
    found = []
    for node in nodes or []:
        metadata, spec, status = node.get("metadata") or {}, node.get("spec") or {}, node.get("status") or {}
        allocatable = _int((status.get("allocatable") or {}).get(resource))
        if allocatable <= 0 or spec.get("unschedulable"):
            continue
        labels = metadata.get("labels") or {}
        replicas = max(1, _int(labels.get(resource + ".replicas"), 1))
        devices = allocatable // replicas if replicas > 1 else allocatable
        counted = _int(labels.get(resource + ".count"))
        if counted and counted * replicas == allocatable:
            devices = counted
        found.append({"name": metadata.get("name", "?"), "labels": labels, "taints": spec.get("taints") or [],
                      "devices": devices, "replicas": replicas,
                      "sharing": _node_sharing(labels, resource, replicas)})
    return found


def settings_capacity(capacity):
    """GPU nodes from the user's settings (``vllm_server_gpu_capacity``): ``gpus_per_node`` (a number, with
    ``nodes``, or a list with one number per node), ``sharing`` (``exclusive``, ``time-slicing``, ``mig``),
    ``replicas`` (time-slicing replicas per GPU) and ``gpus`` (at most this many in all, e.g. a quota)."""
    capacity = dict(capacity or {})
    unknown = set(capacity) - {"nodes", "gpus_per_node", "gpus", "sharing", "replicas"}
    if unknown:
        raise GpuPlanError("vllm_server_gpu_capacity: unknown keys %s (known: nodes, gpus_per_node, gpus, sharing, "
                           "replicas)" % ", ".join(sorted(unknown)))
    sharing = capacity.get("sharing", "exclusive")
    if sharing not in SHARING:
        raise GpuPlanError("vllm_server_gpu_capacity.sharing must be one of %s, not %r" % (", ".join(SHARING), sharing))
    replicas = _int(capacity.get("replicas", 1), -1)
    if replicas < 1:
        raise GpuPlanError("vllm_server_gpu_capacity.replicas must be a whole number >= 1")
    if sharing != "time-slicing":
        replicas = 1
    per_node = capacity.get("gpus_per_node")
    if per_node is None:
        per_node = [_int(capacity.get("gpus"), -1)] if "gpus" in capacity else []
    elif not isinstance(per_node, list):
        per_node = [per_node] * max(0, _int(capacity.get("nodes", 1), -1))
    counts = [_int(n, -1) for n in per_node]
    if not counts or any(n < 0 for n in counts):
        raise GpuPlanError("vllm_server_gpu_capacity needs gpus_per_node (a number with nodes, or a list of numbers) "
                           "or gpus, whole numbers >= 0")
    limit = _int(capacity.get("gpus"), -1) if "gpus" in capacity else None
    nodes = []
    for index, count in enumerate(counts):
        if limit is not None:
            count = min(count, max(0, limit - sum(n["devices"] for n in nodes)))
        # Labels unknown (None): any node selector may match these nodes.
        nodes.append({"name": "node-%d" % (index + 1), "labels": None, "taints": [], "devices": count,
                      "replicas": replicas, "sharing": sharing})
    return [n for n in nodes if n["devices"] > 0]


# --- eligibility: node selector and taints ---------------------------------------------------------

def _tolerates(tolerations, taint):
    for toleration in tolerations:
        effect = toleration.get("effect")
        if effect and effect != taint.get("effect"):
            continue
        if toleration.get("operator", "Equal") == "Exists":
            if not toleration.get("key") or toleration.get("key") == taint.get("key"):
                return True
        elif toleration.get("key") == taint.get("key") and toleration.get("value", "") == taint.get("value", ""):
            return True
    return False


def eligible(pod, node):
    """Whether the scheduler could put ``pod`` on ``node``: node selector labels and NoSchedule/NoExecute taints."""
    labels = node.get("labels")
    if labels is not None and any(labels.get(key) != str(value) for key, value in (pod.get("node_selector") or {}).items()):
        return False
    return all(_tolerates(pod.get("tolerations") or [], taint) for taint in node.get("taints") or []
               if taint.get("effect") in ("NoSchedule", "NoExecute"))


# --- placement ------------------------------------------------------------------------------------

def _fresh(nodes):
    state = copy.deepcopy(nodes)
    for node in state:
        node["slots"] = [[] for _device in range(node["devices"])]  # pods per device
    return state


def _fits_node(node, pod):
    if node["sharing"] == "time-slicing":
        return sum(node["replicas"] - len(s) for s in node["slots"]) >= pod["gpu"]
    return sum(1 for s in node["slots"] if not s) >= pod["gpu"]


def _place_on(node, pod):
    chosen = []
    for _slot in range(pod["gpu"]):
        if node["sharing"] == "time-slicing":
            # The device plugin spreads replicas over the GPUs where it can; that is what we expect, and
            # why the worst case is checked separately.
            free = [i for i, s in enumerate(node["slots"]) if len(s) < node["replicas"]]
            index = min(free, key=lambda i: (i in chosen, len(node["slots"][i]), i))
        else:
            index = next(i for i, s in enumerate(node["slots"]) if not s)
        node["slots"][index].append(pod)
        chosen.append(index)
    return chosen


def _place(pods, nodes, together):
    """First fit, largest first, of ``pods`` on ``nodes``; the pods of ``together`` all on one node.
    Returns ({pod index: (node, [device indexes])}, [unplaced pod indexes], nodes with their slots)."""
    state = _fresh(nodes)
    order = sorted(range(len(pods)), key=lambda i: (-pods[i]["gpu"], -pods[i]["utilization"], pods[i]["key"]))
    placed, unplaced = {}, []
    group = [i for i in order if pods[i]["key"] in together]
    if group:
        for candidate in range(len(state)):
            trial = _fresh(nodes)
            node = trial[candidate]
            if all(eligible(pods[i], node) for i in group) and _fits_group(node, [pods[i] for i in group]):
                state = trial
                for i in group:
                    placed[i] = (node["name"], _place_on(node, pods[i]))
                break
        else:
            unplaced += group
    for i in order:
        if i in placed or i in unplaced:
            continue
        node = next((n for n in state if eligible(pods[i], n) and _fits_node(n, pods[i])), None)
        if node is None:
            unplaced.append(i)
        else:
            placed[i] = (node["name"], _place_on(node, pods[i]))
    return placed, unplaced, state


def _fits_group(node, pods):
    trial = _fresh([{k: v for k, v in node.items() if k != "slots"}])[0]
    for pod in pods:
        if not _fits_node(trial, pod):
            return False
        _place_on(trial, pod)
    return True


def _describe_pod(pod):
    return "%s %s (%d GPU%s)" % (pod["key"] + ("#%d" % pod["replica"] if pod["replica"] else ""),
                                 _number(pod["utilization"]), pod["gpu"], "" if pod["gpu"] == 1 else "s")


def _describe_nodes(nodes):
    if not nodes:
        return "no GPU node"
    parts = []
    for node in nodes:
        what = {"exclusive": "exclusive", "mig": "MIG devices",
                "time-slicing": "time-sliced x%d" % node["replicas"]}[node["sharing"]]
        parts.append("%s: %d %s" % (node["name"], node["devices"], what))
    return ", ".join(parts)


def _number(value):
    return ("%.3f" % value).rstrip("0").rstrip(".")


def _worst_cases(pods, nodes, max_utilization):
    """Per time-sliced node, the R largest slot utilizations of the pods that may land there: the device
    plugin can hand all R replicas of one GPU to them (it spreads replicas only where it can)."""
    worst = []
    for node in nodes:
        if node["sharing"] != "time-slicing":
            continue
        # One entry per replica a pod takes (a pod with gpu: 2 takes two).
        slots = sorted((p for p in pods if eligible(p, node) for _slot in range(p["gpu"])),
                       key=lambda p: -p["utilization"])[:node["replicas"]]
        total = sum(p["utilization"] for p in slots)
        worst.append({"node": node["name"], "replicas": node["replicas"], "utilization": round(total, 4),
                      "servers": sorted({p["key"] for p in slots}), "fits": total <= max_utilization + 1e-9})
    return worst


def _simulate(pods, nodes, together, max_utilization):
    placed, unplaced, state = _place(pods, nodes, together)
    devices = []
    for node in state:
        for index, slot in enumerate(node["slots"]):
            if slot:
                total = sum(p["utilization"] for p in slot)
                devices.append({"node": node["name"], "gpu": index, "sharing": node["sharing"],
                                "servers": [p["key"] for p in slot], "utilization": round(total, 4),
                                "fits": total <= (max_utilization if len(slot) > 1 or node["sharing"] == "time-slicing"
                                                  else 1.0) + 1e-9})
    worst = _worst_cases([p for i, p in enumerate(pods) if i in placed], state, max_utilization)
    return {"placed": placed, "unplaced": [pods[i] for i in unplaced], "devices": devices, "worst": worst,
            "fits": not unplaced and all(d["fits"] for d in devices) and all(w["fits"] for w in worst)}


def _problems(result, max_utilization, together):
    problems = []
    if result["unplaced"]:
        problems.append("no GPU left for %s on the nodes it may land on (node selector, tolerations)"
                        % ", ".join(_describe_pod(p) for p in result["unplaced"]))
        if len(together) > 1 and together & {p["key"] for p in result["unplaced"]}:
            problems.append("the servers %s mount the ReadWriteOnce model cache and must share one node"
                            % ", ".join(sorted(together)))
    for device in result["devices"]:
        if not device["fits"]:
            problems.append("%s GPU %d is shared by %s whose utilizations sum to %s > %s"
                            % (device["node"], device["gpu"], ", ".join(device["servers"]),
                               _number(device["utilization"]), _number(max_utilization)))
    for worst in result["worst"]:
        if not worst["fits"]:
            problems.append("on %s the device plugin may give all %d replicas of one time-sliced GPU to %s, "
                            "whose largest utilizations sum to %s > %s"
                            % (worst["node"], worst["replicas"], ", ".join(worst["servers"]),
                               _number(worst["utilization"]), _number(max_utilization)))
    return problems


def gpu_plan(instances, settings=None):
    """Which servers share which GPU, and whether that fits, before anything is applied.

    ``instances``: the servers as ``cluster_plan.server_plan`` plans them (``key``, ``name``, ``gpu``,
    ``replicas``, ``args``, ``node_selector``, ``tolerations``). ``settings``:

    - ``capacity``: the user's ``vllm_server_gpu_capacity`` (see ``settings_capacity``); empty to read
      the ``nodes``;
    - ``nodes``: Node objects or the ``k8s_info`` result listing them (a failed lookup skips the plan
      with its message as the reason);
    - ``resource`` (``nvidia.com/gpu``), ``max_utilization`` (0.9), ``serial`` (plan each server
      alone, as serial mode deploys them), ``together``: keys of servers that must share one node
      (they mount a ReadWriteOnce claim), ``start_in_turn`` (true: servers that may share a GPU start one
      after another).

    Returns ``status`` (``fits``, ``refused``, ``skipped``, ``no_gpu``), ``fits``, ``serial_fits``
    (every server fits alone), ``serial_recommended``, the ``servers`` and their ``utilization``,
    ``devices`` (the expected placement: node, GPU, servers, summed utilization), ``worst_case`` (time
    slicing), the ``capacity``, ``problems``, ``start_waves`` (see ``start_waves``: one wave of all servers
    when ``start_in_turn`` is false, in serial mode, or when the nodes could not be read), ``start_order`` and a
    ``message`` with the numbers.
    """
    settings = dict(settings or {})
    resource = settings.get("resource") or "nvidia.com/gpu"
    max_utilization = float(settings.get("max_utilization") or MAX_UTILIZATION)
    if not 0 < max_utilization <= 1:
        raise GpuPlanError("vllm_server_gpu_max_utilization must lie in (0, 1], not %s" % max_utilization)
    serial = bool(settings.get("serial"))
    together = set(settings.get("together") or [])
    pods = _pods(instances)
    servers = [{"key": i["key"], "gpu": int(i.get("gpu") or 0), "replicas": int(i.get("replicas") or 1),
                "utilization": server_utilization(i) if int(i.get("gpu") or 0) > 0 else 0.0} for i in instances]
    plan = {"status": "", "fits": None, "serial": serial, "serial_fits": None, "serial_recommended": False,
            "resource": resource, "max_utilization": max_utilization, "servers": servers, "devices": [],
            "worst_case": [], "capacity": [], "capacity_source": "", "problems": [], "message": "",
            "start_waves": [[s["key"] for s in servers]] if servers else [], "start_order": ""}
    if not pods:
        plan.update(status="no_gpu", fits=True, message="No server requests a GPU: nothing to plan.")
        return plan

    if settings.get("capacity"):
        nodes, source = settings_capacity(settings["capacity"]), "vllm_server_gpu_capacity"
    else:
        lookup = settings.get("nodes")
        reason = _lookup_problem(lookup)
        if reason:
            plan.update(status="skipped", message="GPU plan skipped: %s. Set vllm_server_gpu_capacity to plan "
                        "without reading the nodes (and to start servers that share a GPU one after another; "
                        "now all start at once)." % reason)
            return plan
        listed = lookup.get("resources") if isinstance(lookup, dict) else lookup
        nodes, source = nodes_capacity(listed, resource), "the nodes' %s and GPU feature discovery labels" % resource
    plan["capacity"] = [{k: n[k] for k in ("name", "devices", "replicas", "sharing")} for n in nodes]
    plan["capacity_source"] = source

    whole = _simulate(pods, nodes, together, max_utilization)
    alone = [_simulate([p for p in pods if p["key"] == s["key"]], nodes, together, max_utilization)
             for s in servers if s["gpu"] > 0]
    plan["serial_fits"] = all(r["fits"] for r in alone)
    chosen = whole if not serial else _merge_alone(alone)
    if not serial and settings.get("start_in_turn", True):
        plan["start_waves"], plan["start_order"] = start_waves([s["key"] for s in servers], pods, nodes)
    plan["devices"], plan["worst_case"] = chosen["devices"], chosen["worst"]
    plan["fits"] = plan["serial_fits"] if serial else whole["fits"]
    plan["serial_recommended"] = not whole["fits"] and plan["serial_fits"]
    plan["problems"] = _problems(chosen, max_utilization, together)
    summary = "%d GPU server%s (%s) need %d GPU%s; available from %s: %s" % (
        len(pods), "" if len(pods) == 1 else "s", ", ".join(_describe_pod(p) for p in pods),
        sum(p["gpu"] for p in pods), "" if sum(p["gpu"] for p in pods) == 1 else "s", source, _describe_nodes(nodes))
    if plan["fits"]:
        plan["status"] = "fits"
        plan["message"] = " ".join(part for part in (
            "GPU plan fits%s: %s." % (" (one server at a time)" if serial else "", summary),
            _describe_devices(plan["devices"]), plan["start_order"]) if part)
    else:
        plan["status"] = "refused"
        plan["message"] = "GPU plan does not fit%s: %s. %s. %s" % (
            " even one server at a time" if serial else "", summary, "; ".join(plan["problems"]),
            _advice(plan, serial))
    return plan


def start_waves(keys, pods, nodes):
    """In which waves the servers ``keys`` start: those that may share a physical GPU one after another.

    vLLM sizes its KV cache from the GPU memory free while it starts, so a server starting beside another
    one's start-up allocations sees too little and fails ("No available memory for the cache blocks"), even
    when the steady states fit. The device plugin may hand the replicas of one time-sliced (or MPS) GPU to
    any pods on its node, so every GPU server that may land on such a node shares with every other one that
    may: they start in turn, in the order of ``keys``. Servers on exclusive GPUs, MIG devices or no GPU start
    in the first wave. The replicas of one server are one Deployment and start together.

    Returns (waves: a list of lists of keys, the first holding every server that needs not wait;
    a sentence for the plan's message, empty when all start at once).
    """
    group_of = {}  # key -> the set of keys that may share a GPU with it (shared set objects, merged)
    for node in nodes:
        if node["sharing"] != "time-slicing":
            continue
        sharing = {p["key"] for p in pods if eligible(p, node)}
        if len(sharing) < 2:
            continue
        merged = set(sharing)
        for key in sharing:
            merged |= group_of.get(key, set())
        for key in merged:
            group_of[key] = merged
    waves = [[]]
    seen = {}
    for key in keys:
        group = group_of.get(key)
        position = 0
        if group is not None:
            position = seen[id(group)] = seen.get(id(group), -1) + 1
        while len(waves) <= position:
            waves.append([])
        waves[position].append(key)
    if len(waves) == 1:
        return waves, ""
    groups = {id(group_of[k]): group_of[k] for k in keys if k in group_of}  # in the order of keys
    turns = [" then ".join(k for k in keys if k in group) for group in groups.values()]
    return waves, ("Start order: %s (servers that may share a time-sliced GPU start one after another, each once "
                   "the one before is ready: vLLM sizes its cache from the memory free at its start); "
                   "%d waves." % ("; ".join(turns), len(waves)))


def _merge_alone(results):
    merged = {"devices": [], "worst": [], "unplaced": []}
    for result in results:
        merged["devices"] += result["devices"]
        merged["worst"] += result["worst"]
        merged["unplaced"] += result["unplaced"]
    return merged


def _describe_devices(devices):
    if not devices:
        return ""
    return "Placement: " + "; ".join("%s GPU %d: %s = %s" % (d["node"], d["gpu"], " + ".join(d["servers"]),
                                                             _number(d["utilization"])) for d in devices) + "."


def _advice(plan, serial):
    advice = []
    if not serial and plan["serial_fits"]:
        advice.append("set vllm_migration_serial_models: true (one model at a time) or leave it at auto")
    advice.append("lower vllm_server_gpu_memory_utilization (0.15 suffices for these small models)")
    advice.append("share GPUs with time-slicing or MIG (docs/cluster.md, 'GPUs')")
    advice.append("or correct vllm_server_gpu_capacity when the nodes are not what this plan read "
                  "(for example GPU nodes an autoscaler adds on demand)")
    return "To fit: " + "; ".join(advice) + "."


def _lookup_problem(lookup):
    if lookup is None:
        return "the GPU nodes were not read"
    if isinstance(lookup, dict):
        if lookup.get("skipped"):
            return "the GPU nodes were not read"
        # A k8s_info that failed (registered with failed_when: false) has no resources, only its message.
        if lookup.get("failed") or "resources" not in lookup:
            return "the nodes cannot be listed (%s)" % (lookup.get("msg") or "no permission to list nodes?")
        if not lookup.get("resources"):
            return "the API listed no nodes (no permission to see them, or not a real cluster)"
        return ""
    return "" if lookup else "the API listed no nodes"


# --- driver against the image's CUDA ---------------------------------------------------------------

def _version(text):
    parts = re.findall(r"\d+", str(text or ""))
    return tuple(int(p) for p in parts) if parts else None


def node_driver(labels):
    """The NVIDIA driver version a node's GPU feature discovery labels give (a tuple, or None)."""
    labels = labels or {}
    full = _version(labels.get(DRIVER_FULL_LABEL))
    if full:
        return full
    for names in DRIVER_LABELS:
        if names[0] in labels:
            parts = [labels[n] for n in names if n in labels]
            return tuple(_int(p) for p in parts)
    return None


def driver_check(nodes, cuda, instances=None, resource="nvidia.com/gpu", min_drivers=None, min_driver=""):
    """Whether every GPU node the servers may land on has a driver new enough for the image's CUDA.

    ``nodes``: Node objects or the ``k8s_info`` result; ``cuda``: the image's CUDA version (``"13.0"``,
    ``13``; empty when unknown); ``instances``: the planned servers (their node selectors and
    tolerations decide which nodes count); ``min_driver`` overrides the table for every CUDA version.
    Returns ``status`` (``ok``, ``too_old``, ``skipped``), the ``required`` driver, per node its
    ``driver`` (or ``unlabelled``), and a ``message`` with the numbers; a skip says why.
    """
    result = {"status": "skipped", "cuda": str(cuda or ""), "required": "", "nodes": [], "message": ""}
    pods = _pods(instances or [])
    if instances is not None and not pods:
        result["message"] = "Driver check skipped: no server requests a GPU."
        return result
    if not cuda:
        result["message"] = ("Driver check skipped: the CUDA version of the image is unknown; set "
                             "vllm_server_image_cuda (for example 12.9 or 13.0).")
        return result
    major = (_version(cuda) or (0,))[0]
    required = str(min_driver or (min_drivers or CUDA_MIN_DRIVER).get(major, CUDA_MIN_DRIVER.get(major, "")))
    if not required:
        result["message"] = "Driver check skipped: no minimum driver is known for CUDA %s; set vllm_server_min_driver." % cuda
        return result
    result["required"] = required
    problem = _lookup_problem(nodes)
    if problem:
        result["message"] = "Driver check skipped: %s." % problem
        return result
    listed = nodes_capacity(nodes, resource)
    listed = [n for n in listed if not pods or any(eligible(p, n) for p in pods)]
    if not listed:
        result["message"] = "Driver check skipped: no node offers %s to these servers." % resource
        return result
    need = _version(required)
    too_old = []
    for node in listed:
        driver = node_driver(node["labels"])
        entry = {"node": node["name"], "driver": ".".join(str(p) for p in driver) if driver else "unlabelled"}
        if driver:
            # Compare only as many parts as the labels give (a major-only label compares the major).
            entry["ok"] = driver >= need[:len(driver)]
            if not entry["ok"]:
                too_old.append(entry)
        result["nodes"].append(entry)
    labelled = [n for n in result["nodes"] if n["driver"] != "unlabelled"]
    if too_old:
        result["status"] = "too_old"
        result["message"] = ("The NVIDIA driver is too old for the image's CUDA %s (needs >= %s): %s. Upgrade the "
                             "driver (GPU operator), keep the servers off those nodes (vllm_migration_placement), "
                             "or use an image built for an older CUDA (vllm_server_image_cuda / vllm_server_min_driver)."
                             % (cuda, required, ", ".join("%s has %s" % (n["node"], n["driver"]) for n in too_old)))
    elif not labelled:
        result["message"] = ("Driver check skipped: no GPU node carries the GPU feature discovery label %s "
                             "(nodes: %s)." % (DRIVER_LABELS[0][0], ", ".join(n["node"] for n in result["nodes"])))
    else:
        result["status"] = "ok"
        unlabelled = [n["node"] for n in result["nodes"] if n["driver"] == "unlabelled"]
        result["message"] = "NVIDIA driver >= %s for CUDA %s on %s%s." % (
            required, cuda, ", ".join("%s (%s)" % (n["node"], n["driver"]) for n in labelled),
            ("; not checked (no label): " + ", ".join(unlabelled)) if unlabelled else "")
    return result
