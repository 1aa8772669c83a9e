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

    def counted(self):
        """Indexes of the successful requests answered within the window."""
        window = self.window if self.window is not None else self.elapsed
        return [i for i, outcome in enumerate(self.outcomes)
                if outcome == OK and self.starts[i] + self.latencies[i] <= window]

    def add(self, start, latency, outcome, index, detail=None):
        self.starts.append(start)
        self.latencies.append(latency)
        self.outcomes.append(outcome)
        self.spec_index.append(index)
        if outcome != OK:
            shown = self.error_samples.setdefault(outcome, [])
            if len(shown) < ERROR_SAMPLES and detail and detail not in shown:
                shown.append(detail)


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


async def closed_loop(session, prepared, concurrency, duration, max_requests=0, first=0):
    """``concurrency`` workers send ``prepared`` (a list of (url, body)) cyclically from index ``first``
    until ``duration`` seconds have passed or ``max_requests`` were started."""
    samples = Samples()
    counter = [0]
    clock = time.perf_counter
    started = clock()
    deadline = started + duration
    cpu = time.process_time()

    async def worker():
        while True:
            number = counter[0]
            if (max_requests and number >= max_requests) or clock() >= deadline:
                return
            counter[0] = number + 1
            index = (first + number) % len(prepared)
            url, body = prepared[index]
            begin = clock()
            outcome, detail = await send(session, url, body)
            samples.add(begin - started, clock() - begin, outcome, index, detail)

    await asyncio.gather(*(worker() for _worker in range(concurrency)))
    samples.elapsed = clock() - started
    # Stopped by the request count before the deadline: everything counts.
    samples.window = min(duration, samples.elapsed) if not max_requests or counter[0] < max_requests else samples.elapsed
    samples.client_cpu_s = time.process_time() - cpu
    return samples


async def open_loop(session, prepared, rate, duration, max_requests=0, first=0):
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
        samples.add(scheduled - started, clock() - scheduled, outcome, index, detail)

    tasks = []
    for number in range(total):
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


async def _sweep(model_key, targets, workload, mode, levels, duration, max_requests, warmup, timeout,
                 max_connections, reference_first, progress, table):
    specs = workload["requests"]
    connections = max(int(max(levels)), 1) if mode == "closed" else max_connections
    sessions = [target.session(connections, timeout) for target in targets]
    try:
        prepared = [[encode_request(t.server_type, t.base_url, t.model, spec) for spec in specs] for t in targets]
        if table is None:
            tokens = []
            for target, session, bodies in zip(targets, sessions, prepared):
                progress("%s: calibrating the %s (%d distinct requests)" % (model_key, target.role, len(specs)))
                tokens.append(await calibrate(session, target, model_key, specs, bodies))
            table = request_table(specs, tokens[0], tokens[-1])
        measured = []
        for number, level in enumerate(levels):
            # Alternate who goes first, so slow drift of the machine (heat, other load) hits both sides.
            order = list(range(len(targets)))
            if (number + int(reference_first)) % 2:
                order.reverse()
            runs = {}
            for i in order:
                label = "concurrency %s" % level if mode == "closed" else "%s requests/s" % level
                progress("%s: %s, level %d of %d (%s)" % (model_key, targets[i].role, number + 1, len(levels), label))
                if warmup > 0:
                    await closed_loop(sessions[i], prepared[i], int(level) if mode == "closed" else 1, warmup, 0,
                                      first=number)
                if mode == "closed":
                    runs[targets[i].role] = await closed_loop(sessions[i], prepared[i], int(level), duration,
                                                              max_requests, first=number)
                else:
                    runs[targets[i].role] = await open_loop(sessions[i], prepared[i], float(level), duration,
                                                            max_requests, first=number)
            measured.append((level, runs))
        return measured, table
    finally:
        for session in sessions:
            await session.close()


def run_sweep(model_key, targets, workload, levels, mode="closed", duration=10.0, max_requests=0, warmup=2.0,
              timeout=60.0, max_connections=64, reference_first=False, progress=None, table=None):
    """Measure every level on every target (``targets``: candidate, then reference); returns
    ``(measured, request_table)`` with ``measured`` a list of ``(level, {role: Samples})``.
    The first level starts with the candidate (the reference with ``reference_first``), then they alternate.
    ``table``: the request table of an earlier sweep of the same workload on the same targets; with it the
    calibration pass is skipped (the caller checks that it belongs to this workload)."""
    levels = _levels_of(mode, levels)
    if table is not None and len(table) != len(workload["requests"]):
        raise ValueError("the request table has %d rows for %d requests" % (len(table), len(workload["requests"])))
    return asyncio.run(_sweep(model_key, targets, workload, mode, levels, float(duration), int(max_requests or 0),
                              float(warmup), float(timeout), int(max_connections), bool(reference_first),
                              progress or (lambda message: None), table))
