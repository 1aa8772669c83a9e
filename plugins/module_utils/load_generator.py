# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""An asynchronous HTTP load generator for pooling servers (aiohttp, one pooled session per target).

Closed loop: ``concurrency`` workers, each sends its next request as soon as the previous one is
answered. Open loop: requests start on a fixed schedule (``rate`` per second) whether or not earlier
ones have been answered, and latency counts from the scheduled start, so a slow server cannot hide
its queueing (no coordinated omission). Both are bounded by a duration and optionally a request
count, after a warm-up whose requests are not counted.

Request bodies are encoded once before timing (benchmark_workload.encode_request); while measuring,
the generator only sends bytes and reads the whole answer. Answers are checked for content on a
calibration pass before the first level, which also reads the prompt tokens per request.
The statistics (percentiles, rates, ratios) live in performance.py.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time

try:
    import aiohttp
    HAS_AIOHTTP = True
    AIOHTTP_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the module via missing_required_lib
    aiohttp = None
    HAS_AIOHTTP = False
    AIOHTTP_IMPORT_ERROR = exc

from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark_workload import (
    check_answer, encode_request, estimated_tokens, text_count)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError

OK = "ok"
ERROR_CLASSES = ("timeout", "http_4xx", "http_5xx", "connection")
ERROR_SAMPLES = 3
# Below uvicorn's 5 s keep-alive (vLLM and Caikit both serve through it): a pooled connection idle
# while the other server is measured is closed by us first, never found dead by the next request.
KEEPALIVE_S = 3.0


def classify_status(status):
    """Outcome class of an HTTP status: ``ok`` for 2xx, ``http_5xx`` from 500, ``http_4xx`` otherwise."""
    if 200 <= status < 300:
        return OK
    return "http_5xx" if status >= 500 else "http_4xx"


def classify_exception(exc):
    """Outcome class of a transport exception: ``timeout`` or ``connection``.

    aiohttp's ServerTimeoutError is both a connection error and a TimeoutError; it is a timeout.
    """
    if isinstance(exc, asyncio.TimeoutError):
        return "timeout"
    return "connection"


class Target(object):
    """One server under test: its type (``openai`` or ``caikit``), base URL, model name, auth and TLS."""

    def __init__(self, role, server_type, base_url, model, api_key=None, validate_certs=True, ca_path=None):
        self.role = role
        self.server_type = server_type
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if api_key:
            self.headers["Authorization"] = "Bearer %s" % api_key
        self.validate_certs = validate_certs
        self.ca_path = ca_path

    def describe(self):
        return {"type": self.server_type, "url": self.base_url, "model": self.model}

    def ssl_setting(self):
        if not self.base_url.startswith("https"):
            return None
        if not self.validate_certs:
            return False
        return ssl.create_default_context(cafile=self.ca_path) if self.ca_path else ssl.create_default_context()

    def session(self, connections, timeout):
        connector = aiohttp.TCPConnector(limit=connections, limit_per_host=0, ssl=self.ssl_setting(),
                                         keepalive_timeout=KEEPALIVE_S)
        return aiohttp.ClientSession(connector=connector, headers=self.headers,
                                     timeout=aiohttp.ClientTimeout(total=timeout), raise_for_status=False)


class Samples(object):
    """What one measured run produced: per request its start offset, latency, outcome and spec index."""

    def __init__(self):
        self.starts = []
        self.latencies = []
        self.outcomes = []
        self.spec_index = []
        self.error_samples = {}
        self.elapsed = 0.0
        # The measurement window: rates count requests answered within it. When a run stops at its
        # duration, the answers still in flight afterwards (the drain, at falling concurrency) are timed
        # but not counted, so throughput is the steady state's, as wrk reports it.
        self.window = None
        self.client_cpu_s = 0.0
        # Why the run stopped sending before its duration (level_validity.StopRule), else None.
        self.stopped = None

    def counted(self):
        """Indexes of the successful requests answered within the window."""
        window = self.window if self.window is not None else self.elapsed
        return [i for i, outcome in enumerate(self.outcomes)
                if outcome == OK and self.starts[i] + self.latencies[i] <= window]

    def add(self, start, latency, outcome, index, detail=None, stop=None):
        """Record one answer; with ``stop`` (a StopRule), note why the run must stop sending."""
        self.starts.append(start)
        self.latencies.append(latency)
        self.outcomes.append(outcome)
        self.spec_index.append(index)
        if outcome != OK:
            shown = self.error_samples.setdefault(outcome, [])
            if len(shown) < ERROR_SAMPLES and detail and detail not in shown:
                shown.append(detail)
        if stop and self.stopped is None:
            self.stopped = stop.reason(self)


async def send(session, url, body):
    """POST one body; (outcome class, detail or None). The whole answer is read, as a consumer would."""
    try:
        async with session.post(url, data=body) as response:
            payload = await response.read()
            outcome = classify_status(response.status)
            if outcome == OK:
                return OK, None
            return outcome, "HTTP %d: %s" % (response.status, payload[:200].decode("utf-8", "replace").strip())
    except asyncio.TimeoutError:
        return "timeout", "no answer within the timeout"
    except aiohttp.ClientError as exc:
        return classify_exception(exc), "%s: %s" % (type(exc).__name__, exc)
    except OSError as exc:
        return "connection", "%s: %s" % (type(exc).__name__, exc)


async def closed_loop(session, prepared, concurrency, duration, max_requests=0, first=0, stop=None):
    """``concurrency`` workers send ``prepared`` (a list of (url, body)) cyclically from index ``first``
    until ``duration`` seconds have passed or ``max_requests`` were started, or ``stop`` (a StopRule) says so."""
    samples = Samples()
    counter = [0]
    clock = time.perf_counter
    started = clock()
    deadline = started + duration
    cpu = time.process_time()

    async def worker():
        while True:
            number = counter[0]
            if (max_requests and number >= max_requests) or clock() >= deadline or samples.stopped:
                return
            counter[0] = number + 1
            index = (first + number) % len(prepared)
            url, body = prepared[index]
            begin = clock()
            outcome, detail = await send(session, url, body)
            samples.add(begin - started, clock() - begin, outcome, index, detail, stop)

    await asyncio.gather(*(worker() for _worker in range(concurrency)))
    samples.elapsed = clock() - started
    # Stopped by the request count before the deadline: everything counts.
    samples.window = min(duration, samples.elapsed) if not max_requests or counter[0] < max_requests else samples.elapsed
    samples.client_cpu_s = time.process_time() - cpu
    return samples


async def open_loop(session, prepared, rate, duration, max_requests=0, first=0, stop=None):
    """Start a request every ``1/rate`` s for ``duration`` s (or ``max_requests``), without waiting for answers.

    Latency counts from the scheduled start, so time spent waiting for a free connection is included.
    """
    samples = Samples()
    clock = time.perf_counter
    total = int(rate * duration)
    if max_requests:
        total = min(total, max_requests)
    started = clock()
    cpu = time.process_time()

    async def one(number, scheduled):
        index = (first + number) % len(prepared)
        url, body = prepared[index]
        outcome, detail = await send(session, url, body)
        samples.add(scheduled - started, clock() - scheduled, outcome, index, detail, stop)

    tasks = []
    for number in range(total):
        if samples.stopped:
            break
        scheduled = started + number / float(rate)
        delay = scheduled - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(number, scheduled)))
    await asyncio.gather(*tasks)
    samples.elapsed = clock() - started
    samples.client_cpu_s = time.process_time() - cpu
    return samples


async def calibrate(session, target, model_key, specs, prepared):
    """Send every distinct request once; check each answer's content; return the tokens per request.

    Raises CheckError naming the model and endpoint when a server cannot serve the workload at all
    (unreachable, 4xx/5xx, wrong answer): timing it would measure errors, not serving.
    """
    tokens = []
    for spec, (url, body) in zip(specs, prepared):
        try:
            async with session.post(url, data=body) as response:
                raw = await response.read()
                status = response.status
        except asyncio.TimeoutError:
            raise CheckError(model_key, url, "no answer within the timeout on the calibration request",
                             "The server is overloaded or stuck; check its log, or raise timeout")
        except (aiohttp.ClientError, OSError) as exc:
            raise CheckError(model_key, url, "cannot connect (%s)" % exc,
                             "Check that the %s server is running and that the URL and port are right" % target.role)
        if classify_status(status) != OK:
            raise CheckError(model_key, url, "the %s answered HTTP %d to a %s request: %s"
                             % (target.role, status, spec["shape"], raw[:300].decode("utf-8", "replace").strip()),
                             "Check the model name (%s) and that the server serves this kind of model; "
                             "a 400 on long_chunk means the model's max_tokens is wrong in the catalog" % target.model)
        try:
            answer = json.loads(raw)
        except ValueError:
            raise CheckError(model_key, url, "the %s answered with something that is not JSON: %r" % (target.role, raw[:200]),
                             "Check that the URL points at the %s API" % target.server_type)
        problem, reported = check_answer(target.server_type, spec, answer)
        if problem:
            raise CheckError(model_key, url, "the %s's answer to a %s request: %s" % (target.role, spec["shape"], problem),
                             "The server does not serve this workload correctly; benchmarking it would time errors")
        tokens.append(reported)
    return tokens


def request_table(specs, candidate_tokens, reference_tokens):
    """Per request spec: shape, texts, tokens and where the token count came from (server or estimate)."""
    table = []
    for spec, ours, theirs in zip(specs, candidate_tokens, reference_tokens):
        reported = ours or theirs
        table.append({"shape": spec["shape"], "texts": text_count(spec),
                      "tokens": reported or estimated_tokens(spec), "tokens_reported": bool(reported)})
    return table


def _levels_of(mode, levels):
    if mode not in ("closed", "open"):
        raise ValueError("mode must be closed or open, got %r" % mode)
    if not levels or any(level <= 0 for level in levels):
        raise ValueError("levels must be positive %s" % ("concurrencies" if mode == "closed" else "rates"))
    return list(levels)


class NotSent(object):
    """A level the reference was not sent (its limits), with the reason; it has no samples."""

    def __init__(self, reason):
        self.reason = reason


async def _measure(session, bodies, mode, level, duration, max_requests, first, stop):
    if mode == "closed":
        return await closed_loop(session, bodies, int(level), duration, max_requests, first=first, stop=stop)
    return await open_loop(session, bodies, float(level), duration, max_requests, first=first, stop=stop)


async def _level(target, session, bodies, plan, level, number, table):
    """One level on one server: warm-up, then runs lengthened by ``plan.rule`` until the level is valid or the
    bound is reached (the last run is kept), stopped early by ``plan.stop_for(target)``. The samples carry
    ``verdict`` (ValidityRule.judge), ``windows_tried_s`` and ``load`` (what the server received at this level)."""
    stop = plan.stop_for(target)
    clock = time.perf_counter()
    sent, tried, samples = 0, [], None
    if plan.warmup > 0:
        warm = await closed_loop(session, bodies, int(level) if plan.mode == "closed" else 1, plan.warmup, 0,
                                 first=number, stop=stop)
        sent += len(warm.outcomes)
        if warm.stopped:  # the stop rule fired in the warm-up: nothing is measured
            warm.stopped = "during the warm-up: " + warm.stopped
            samples = warm
    duration, longer = plan.duration, None
    while samples is None or not samples.stopped and longer is not None:
        samples = await _measure(session, bodies, plan.mode, level, duration, plan.max_requests, number, stop)
        sent += len(samples.outcomes)
        tried.append(duration)
        verdict = plan.rule.judge(samples, table) if plan.rule else None
        longer = plan.rule.next_duration(duration, verdict) if plan.rule and not plan.max_requests else None
        if longer is not None and not samples.stopped:
            plan.progress("%s: %s, level %s not valid after %g s (%s): measuring again for %g s"
                          % (plan.model_key, target.role, level, duration, verdict["invalid_reason"], longer))
            duration = longer
    verdict = plan.rule.judge(samples, table) if plan.rule else None
    samples.verdict = verdict
    samples.windows_tried_s = tried
    samples.load = {"concurrency": int(level) if plan.mode == "closed" else None,
                    "rate": float(level) if plan.mode == "open" else None,
                    "requests": sent, "seconds": round(time.perf_counter() - clock, 2)}
    return samples


async def _sweep(model_key, targets, workload, levels, plan, table):
    specs = workload["requests"]
    connections = max(int(max(levels)), 1) if plan.mode == "closed" else plan.max_connections
    sessions = [target.session(plan.connections_for(target, connections), plan.timeout) for target in targets]
    try:
        prepared = [[encode_request(t.server_type, t.base_url, t.model, spec) for spec in specs] for t in targets]
        if table is None:
            tokens = []
            for target, session, bodies in zip(targets, sessions, prepared):
                plan.progress("%s: calibrating the %s (%d distinct requests)" % (model_key, target.role, len(specs)))
                tokens.append(await calibrate(session, target, model_key, specs, bodies))
            table = request_table(specs, tokens[0], tokens[-1])
        measured = []
        for number, level in enumerate(levels):
            # Alternate who goes first, so slow drift of the machine (heat, other load) hits both sides.
            order = list(range(len(targets)))
            if (number + int(plan.reference_first)) % 2:
                order.reverse()
            runs = {}
            for i in order:
                label = "concurrency %s" % level if plan.mode == "closed" else "%s requests/s" % level
                skip = plan.skip_reason(targets[i], level)
                if skip:
                    plan.progress("%s: %s, level %d of %d (%s): %s" % (model_key, targets[i].role, number + 1,
                                                                       len(levels), label, skip))
                    runs[targets[i].role] = NotSent(skip)
                    continue
                plan.progress("%s: %s, level %d of %d (%s)" % (model_key, targets[i].role, number + 1, len(levels), label))
                runs[targets[i].role] = await _level(targets[i], sessions[i], prepared[i], plan, level, number, table)
            measured.append((level, runs))
        return measured, table
    finally:
        for session in sessions:
            await session.close()


class SweepPlan(object):
    """How a sweep runs: mode, duration, warm-up, bounds, the validity rule, and the reference's limits."""

    def __init__(self, model_key="", mode="closed", duration=10.0, max_requests=0, warmup=2.0, timeout=60.0,
                 max_connections=64, reference_first=False, progress=None, rule=None, reference_limits=None,
                 reference_skip=None):
        self.model_key = model_key
        self.mode = mode
        self.duration = float(duration)
        self.max_requests = int(max_requests or 0)
        self.warmup = float(warmup)
        self.timeout = float(timeout)
        self.max_connections = int(max_connections)
        self.reference_first = bool(reference_first)
        self.progress = progress or (lambda message: None)
        self.rule = rule
        self.reference_limits = reference_limits
        # why the reference is not sent any level of this call (e.g. it was stopped at a lower level), or None
        self.reference_skip = reference_skip

    def _limits(self, target):
        return self.reference_limits if target.role == "reference" else None

    def stop_for(self, target):
        limits = self._limits(target)
        return limits.stop if limits and limits.stop else None

    def connections_for(self, target, connections):
        limits = self._limits(target)
        return min(connections, limits.max_concurrency) if limits else connections

    def skip_reason(self, target, level):
        if target.role != "reference":
            return None
        if self.reference_skip:
            return self.reference_skip
        return self.reference_limits.skip_reason(self.mode, level) if self.reference_limits else None


def run_sweep(model_key, targets, workload, levels, mode="closed", duration=10.0, max_requests=0, warmup=2.0,
              timeout=60.0, max_connections=64, reference_first=False, progress=None, table=None, rule=None,
              reference_limits=None, reference_skip=None):
    """Measure every level on every target (``targets``: candidate, then reference); returns
    ``(measured, request_table)`` with ``measured`` a list of ``(level, {role: Samples or NotSent})``.
    The first level starts with the candidate (the reference with ``reference_first``), then they alternate.
    ``table``: the request table of an earlier sweep of the same workload on the same targets; with it the
    calibration pass is skipped (the caller checks that it belongs to this workload).
    ``rule`` (level_validity.ValidityRule) lengthens a level that is not valid up to its bound;
    ``reference_limits`` (level_validity.ReferenceLimits) caps and stops the load on the reference;
    ``reference_skip``: a reason not to send the reference anything in this call."""
    levels = _levels_of(mode, levels)
    if table is not None and len(table) != len(workload["requests"]):
        raise ValueError("the request table has %d rows for %d requests" % (len(table), len(workload["requests"])))
    plan = SweepPlan(model_key, mode, duration, max_requests, warmup, timeout, max_connections, reference_first,
                     progress, rule, reference_limits, reference_skip)
    return asyncio.run(_sweep(model_key, targets, workload, levels, plan, table))
