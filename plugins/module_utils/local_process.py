# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Local server processes with a state file each: start once, find again, stop exactly them.

A state file ``<state_dir>/<name>.json`` records pid, process start time, port, command and a
fingerprint of the configuration. The start time guards against pid reuse: a recorded pid whose
start time differs is some other process and is never signalled.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import time
import uuid

PORT_PLACEHOLDER = "{port}"
# Every process we start carries this variable with a token unique to that start, so that
# stop() finds the server and the workers it forked, and nothing else.
MARKER_VARIABLE = "VLLM_MIGRATION_PROCESS_TOKEN"


def fingerprint(argv, env):
    blob = json.dumps({"argv": list(argv), "env": dict(sorted((env or {}).items()))}, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def process_start_time(pid):
    """Kernel start time of ``pid`` (clock ticks since boot), or None if there is no such process."""
    fields = _stat_fields(pid)
    if not fields or fields[0] == "Z":  # no such process, or a zombie: it has exited
        return None
    return int(fields[19])


def free_port(host="127.0.0.1"):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((host, 0))
        return sock.getsockname()[1]
    finally:
        sock.close()


class LocalProcess(object):
    def __init__(self, name, state_dir):
        self.name = name
        self.state_dir = state_dir
        self.state_path = os.path.join(state_dir, "%s.json" % name)
        self.log_path = os.path.join(state_dir, "%s.log" % name)

    def read_state(self):
        try:
            with open(self.state_path) as handle:
                return json.load(handle)
        except (IOError, OSError, ValueError):
            return None

    def is_running(self, state=None):
        state = state if state is not None else self.read_state()
        if not state or not state.get("pid"):
            return False
        return process_start_time(state["pid"]) == state.get("start_time")

    def status(self):
        state = self.read_state() or {}
        return dict(state, running=self.is_running(state) if state else False,
                    state_file=self.state_path, log=self.log_path)

    def wait_healthy(self, is_healthy, seconds, interval=0.5):
        """Poll ``is_healthy(port)`` until it is true, the process is gone, or ``seconds`` have passed.

        Returns ``(status, healthy)``. Waiting here, one cheap probe every ``interval``, notices a server
        within half a second; an Ansible retry loop calling the module every few seconds would start a
        Python process per probe on the cores the server is booting on.
        """
        deadline = time.monotonic() + max(0.0, seconds)
        while True:
            status = self.status()
            healthy = bool(status["running"] and is_healthy(status.get("port")))
            if healthy or not status["running"] or time.monotonic() >= deadline:
                return status, healthy
            time.sleep(interval)

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, "rb") as handle:
                handle.seek(0, os.SEEK_END)
                handle.seek(max(0, handle.tell() - 16384))
                text = handle.read().decode("utf-8", "replace")
        except (IOError, OSError):
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def start(self, argv, env=None, cwd=None, port=None, host="127.0.0.1"):
        """Start ``argv`` in its own session with ``{port}`` replaced in it and in ``env``; return the new state."""
        port = port or free_port(host)
        command = [str(a).replace(PORT_PLACEHOLDER, str(port)) for a in argv]
        if not os.path.isdir(self.state_dir):
            os.makedirs(self.state_dir)
        token = uuid.uuid4().hex
        full_env = dict(os.environ)
        full_env.update({k: str(v).replace(PORT_PLACEHOLDER, str(port)) for k, v in (env or {}).items()})
        full_env[MARKER_VARIABLE] = token
        with open(self.log_path, "ab") as log:
            log.write(("\n=== %s starting: %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), " ".join(command))).encode())
            log.flush()
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    cwd=cwd, env=full_env, start_new_session=True, close_fds=True)
        state = {
            "name": self.name, "pid": proc.pid, "start_time": process_start_time(proc.pid),
            "port": port, "host": host, "argv": list(argv), "command": command,
            "fingerprint": fingerprint(argv, env), "log": self.log_path, "token": token,
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        tmp = self.state_path + ".tmp"
        with open(tmp, "w") as handle:
            json.dump(state, handle, indent=1)
        os.rename(tmp, self.state_path)
        return state

    def members(self, state=None):
        """Pids of live processes that carry this start's token (the server and what it forked)."""
        state = state if state is not None else self.read_state()
        if not state:
            return []
        found = set(processes_with_marker(state["token"])) if state.get("token") else set()
        # Started with start_new_session, the server leads a session its workers stay in: they count even when the
        # environment scan misses one (a full test run once leaked a server that way), and so does the leader.
        if state.get("pid"):
            found.update(processes_in_session(state["pid"]))
        if self.is_running(state):
            found.add(state["pid"])
        return sorted(found)

    def stop(self, grace=20.0):
        """Stop every process of the recorded start; remove the state file. True if any was stopped."""
        state = self.read_state()
        if state is None:
            return False
        pids = self.members(state)
        _signal_all(pids, signal.SIGTERM)
        deadline = time.time() + grace
        while time.time() < deadline and any(process_start_time(p) is not None for p in pids):
            time.sleep(0.2)
        survivors = [p for p in pids if process_start_time(p) is not None]
        _signal_all(survivors, signal.SIGKILL)
        # SIGKILL is delivered asynchronously: on a busy machine a killed process is still listed for a moment,
        # and a caller that starts a replacement next must not find the old one alive
        deadline = time.time() + 10.0
        while time.time() < deadline and any(process_start_time(p) is not None for p in survivors):
            time.sleep(0.1)
        os.remove(self.state_path)
        return bool(pids)


def _pids():
    """Every pid /proc lists now."""
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]


def processes_with_marker(token):
    needle = ("%s=%s" % (MARKER_VARIABLE, token)).encode()
    found = []
    for pid in _pids():
        try:
            with open("/proc/%d/environ" % pid, "rb") as handle:
                if needle in handle.read().split(b"\0"):
                    found.append(pid)
        except (IOError, OSError):
            continue
    return found


def _stat_fields(pid):
    """The fields of /proc/<pid>/stat after the command name (state, ppid, pgrp, session, ...), or None.

    The command name may contain spaces and parentheses; the fields after the last ')' are fixed."""
    try:
        with open("/proc/%s/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()
    except (IOError, OSError, IndexError):
        return None


def processes_in_session(session_id):
    """Pids of live (not zombie) processes in the session ``session_id``."""
    found = []
    for pid in _pids():
        fields = _stat_fields(pid)
        if fields and fields[0] != "Z" and int(fields[3]) == session_id:
            found.append(pid)
    return found


def _signal_all(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except OSError:
            pass
