"""Run a module's main() as Ansible would and return the JSON it printed."""

from __future__ import annotations

import contextlib
import json
from unittest import mock

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common import warnings
from ansible.module_utils.common.text.converters import to_bytes

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core before 2.19 reads the arguments from basic._ANSIBLE_ARGS only
    @contextlib.contextmanager
    def patch_module_args(args):
        with mock.patch.object(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))):
            yield


@contextlib.contextmanager
def _as_module_process():
    try:
        from ansible.module_utils import _internal
    except ImportError:  # ansible-core before 2.19 has no controller switch
        yield
        return
    if not hasattr(_internal, "is_controller"):
        yield
        return
    with mock.patch.object(_internal, "is_controller", False):
        yield


@pytest.fixture
def run_main(capsys):
    """``run_main(module.main, args)``: the result the module printed (it always exits)."""
    def run(main, args):
        # A module's warnings are process-global (a module process runs once); one run's must not reach the next.
        warnings._global_warnings.clear()
        warnings._global_deprecations.clear()
        # A module runs in a process of its own; here an earlier test may have imported controller code, which
        # (ansible-core 2.19) sends module warnings to the controller's display instead of the result.
        with patch_module_args(args), _as_module_process():
            with pytest.raises(SystemExit):
                main()
        return json.loads(capsys.readouterr().out)
    return run
