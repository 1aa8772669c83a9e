# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""What every filter plugin of the collection shares: module_utils functions exposed as filters."""

from __future__ import annotations

import functools

from ansible.errors import AnsibleFilterError


def plain_errors(function):
    """Our ValueErrors become AnsibleFilterError: a clear task failure, not a traceback."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (ValueError, KeyError) as exc:
            raise AnsibleFilterError("%s: %s" % (function.__name__, exc.args[0] if exc.args else exc))
    return wrapper


def filter_map(functions):
    """``{filter name: function}`` with every function's errors made plain."""
    return {name: plain_errors(function) for name, function in functions.items()}
