# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# Apache License 2.0 (see LICENSE)
"""Serve the Kubernetes API emulator of the tests (tests/emulator/kube_emulator.py) until SIGTERM,
for the molecule scenario `emulator`. Writes <dir>/kubeconfig (pointing at it) and <dir>/emulator.pid.

    python molecule/emulator/run_emulator.py --dir DIR [--port PORT] [--kubernetes]
"""

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "emulator"))

from kube_emulator import RunningEmulator  # noqa: E402  (needs the path above)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True, type=Path, help="where kubeconfig and emulator.pid go")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--kubernetes", action="store_true", help="plain Kubernetes: no OpenShift Route kind")
    args = parser.parse_args()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with RunningEmulator(port=args.port, openshift=not args.kubernetes) as emulator:
        args.dir.mkdir(parents=True, exist_ok=True)
        kubeconfig = args.dir / "kubeconfig"
        kubeconfig.write_text(json.dumps(emulator.kubeconfig()))
        kubeconfig.chmod(0o600)
        (args.dir / "emulator.pid").write_text(str(os.getpid()))
        print("Kubernetes API emulator on %s, kubeconfig %s" % (emulator.url, kubeconfig), flush=True)
        stop.wait()


if __name__ == "__main__":
    main()
