"""Errors raised while talking to a registry.

Every message is one line meant for the user and never contains a credential: code that builds
these messages only ever has usernames, hosts, repositories and digests at hand.
"""

from __future__ import annotations


class RegistryError(Exception):
    """A push failed; the message says what happened and, where we can tell, how to fix it."""


class TransientError(RegistryError):
    """A failure worth retrying: connection trouble, 5xx, 429.

    `retry_after` is the wait in seconds the registry asked for (its Retry-After header), if any.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthError(RegistryError):
    """The registry or its token server refused our credentials (or we had none)."""
