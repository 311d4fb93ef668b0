"""Password hashing with argon2 (argon2-cffi's RFC 9106 defaults) and the policy.

One hash or check takes about 90 ms of CPU and 64 MiB. In a gevent web
process that would hold every socket of the process, so it runs on gevent's
native thread pool (argon2's C code releases the GIL) and only the greenlet
that asked waits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.errors import BadInput

MIN_LENGTH = 10
#: argon2 takes any length, but a megabyte "password" is a way to burn CPU.
MAX_LENGTH = 256

T = TypeVar("T")

_hasher = PasswordHasher()


def _off_the_loop(work: Callable[[], T]) -> T:
    try:
        from gevent import get_hub, monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return work()
    if not monkey.is_module_patched("threading"):
        return work()
    return get_hub().threadpool.apply(work)


#: Verified against when no account matches, so a missing account costs as
#: much time as a wrong password and the two cannot be told apart.
_DECOY = _hasher.hash("storechat decoy password")


def check_policy(password: object) -> str:
    if not isinstance(password, str):
        raise BadInput("the password must be text")
    if len(password) < MIN_LENGTH:
        raise BadInput(f"the password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise BadInput(f"the password must have at most {MAX_LENGTH} characters")
    if not password.strip():
        raise BadInput("the password cannot be only spaces")
    return password


def hash_password(password: str) -> str:
    check_policy(password)
    return _off_the_loop(lambda: _hasher.hash(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; takes the same time for a missing hash."""
    if not isinstance(password, str) or len(password) > MAX_LENGTH:
        return False

    def check() -> bool:
        try:
            return _hasher.verify(password_hash or _DECOY, password)
        except (VerificationError, InvalidHashError):
            return False

    return _off_the_loop(check) and password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)
