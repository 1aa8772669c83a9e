# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# Apache License 2.0 (see LICENSE)
"""Serve the Kubernetes API emulator of the tests (tests/emulator/kube_emulator.py) until SIGTERM,
for the molecule scenarios `emulator` and `cutover`. Writes <dir>/kubeconfig (pointing at it) and
<dir>/emulator.pid.

With --cutover (scenario `cutover`) it also serves a stub vLLM /v1/embeddings (the emulator runs no pods),
seeds the namespace and the decide role's report ConfigMap for minilm at that URL, as the emulator tests
do (tests/emulator/cutover_scenarios.py), and writes the endpoint record to <dir>/endpoints.json.

    python molecule/emulator/run_emulator.py --dir DIR [--port PORT] [--kubernetes] [--cutover]
"""

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "emulator"))
sys.path.insert(0, str(ROOT / ".collections"))

from kube_emulator import RunningEmulator  # noqa: E402  (needs the path above)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True, type=Path, help="where kubeconfig and emulator.pid go")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--kubernetes", action="store_true", help="plain Kubernetes: no OpenShift Route kind")
    parser.add_argument("--cutover", action="store_true", help="a stub vLLM and the report a cutover acts on")
    args = parser.parse_args()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with RunningEmulator(port=args.port, openshift=not args.kubernetes) as emulator, contextlib.ExitStack() as stack:
        args.dir.mkdir(parents=True, exist_ok=True)
        if args.cutover:
            seed_cutover(emulator, stack, args.dir)
        kubeconfig = args.dir / "kubeconfig"
        kubeconfig.write_text(json.dumps(emulator.kubeconfig()))
        kubeconfig.chmod(0o600)
        (args.dir / "emulator.pid").write_text(str(os.getpid()))
        print("Kubernetes API emulator on %s, kubeconfig %s" % (emulator.url, kubeconfig), flush=True)
        stop.wait()


def seed_cutover(emulator, stack, directory):
    # Imported here: they need the collection on sys.path, and only this scenario uses them.
    from cutover_scenarios import endpoint, seed  # pylint: disable=import-outside-toplevel
    from stub_embeddings import StubEmbeddings  # pylint: disable=import-outside-toplevel

    stub = stack.enter_context(StubEmbeddings())
    seed(argparse.Namespace(emulator=emulator), stub.url)
    (directory / "endpoints.json").write_text(json.dumps({"minilm": endpoint(stub.url)}))


if __name__ == "__main__":
    main()
