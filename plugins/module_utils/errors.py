# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Errors that carry what a user needs: which model, which endpoint, what went wrong, what to do."""

from __future__ import annotations


class CheckError(Exception):
    """A verification could not be carried out (as opposed to a gate that failed).

    The message always names the model and the endpoint, states the cause and gives a hint,
    so a module can hand it to ``fail_json`` unchanged.
    """

    def __init__(self, model, endpoint, cause, hint=""):
        self.model = model
        self.endpoint = endpoint
        self.cause = cause
        self.hint = hint
        super().__init__(self.message)

    @property
    def message(self):
        text = "model '%s' at %s: %s" % (self.model, self.endpoint, str(self.cause).rstrip(". "))
        if self.hint:
            text += ". " + self.hint
        return text

    def as_dict(self):
        return {"model": self.model, "endpoint": self.endpoint, "cause": self.cause, "hint": self.hint}


class RequestRejected(CheckError):
    """The server answered 4xx for a request it considers invalid (400, 413, 422).

    Raised separately because for over-long inputs a rejection is a behaviour to compare,
    not a failure of the check.
    """

    def __init__(self, model, endpoint, status, detail):
        self.status = status
        self.detail = detail
        super().__init__(
            model, endpoint, "request rejected with HTTP %d: %s" % (status, detail),
            "The server considers this input invalid; check the input length and request parameters",
        )
