"""Start the Caikit runtime bound to one address.

Caikit's HTTP server hard-codes uvicorn's host to 0.0.0.0 and refuses a host in its
server_config, so the local platform sets it here before running ``python -m caikit.runtime``.
The address comes from CAIKIT_BIND_HOST (default 127.0.0.1).
"""

import os
import runpy

import uvicorn

_uvicorn_config_init = uvicorn.Config.__init__


def _bound_config_init(self, *args, **kwargs):
    kwargs["host"] = os.environ.get("CAIKIT_BIND_HOST", "127.0.0.1")
    _uvicorn_config_init(self, *args, **kwargs)


uvicorn.Config.__init__ = _bound_config_init
runpy.run_module("caikit.runtime", run_name="__main__", alter_sys=True)
