"""口令 — Argon2id hashing with rehash-on-login, and the strength rules for new passwords."""

from __future__ import annotations

import contextlib
import re
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from civicgrid.auth import commonpw
from civicgrid.config import Settings, get_settings
from civicgrid.errors import Invalid
from civicgrid.kit.i18n import _


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(
        time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
    )


def hasher(settings: Settings | None = None) -> PasswordHasher:
    s = settings or get_settings()
    return _hasher(s.password_time_cost, s.password_memory_kib, s.password_parallelism)


def hash_password(password: str, settings: Settings | None = None) -> str:
    return hasher(settings).hash(password)


@lru_cache(maxsize=4)
def _dummy_hash(time_cost: int, memory_kib: int, parallelism: int) -> str:
    return _hasher(time_cost, memory_kib, parallelism).hash("civicgrid-no-such-user")


def verify_password(
    stored: str | None, password: str, settings: Settings | None = None
) -> tuple[bool, str | None]:
    """(matches, new hash to store or None).

    A stored hash made with other parameters than today's is re-hashed on success (the caller
    stores the new hash). With no stored hash the work of a verification is still done, so an
    unknown user name takes as long as a wrong password.
    """
    s = settings or get_settings()
    ph = hasher(s)
    if not stored:
        with contextlib.suppress(VerificationError):
            ph.verify(_dummy_hash(*_params(s)), password + "\x00")
        return False, None
    try:
        ph.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False, None
    return True, (ph.hash(password) if ph.check_needs_rehash(stored) else None)


def _params(s: Settings) -> tuple[int, int, int]:
    return s.password_time_cost, s.password_memory_kib, s.password_parallelism


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    return commonpw.load()


_BASE_WORDS = frozenset(commonpw.BASE_WORDS)
_TAIL = re.compile(r"[\d\W_]+$")
_HEAD = re.compile(r"^[\d\W_]+")
_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "abcdefghijklmnopqrstuvwxyz")


def _is_run(text: str) -> bool:
    """One character repeated, or a straight run along the alphabet, digits or a keyboard row."""
    if len(set(text)) <= 2:
        return True
    return any(text in row or text in row[::-1] for row in _ROWS)


_SUFFIXES = frozenset(commonpw.SUFFIXES)


_DATE = re.compile(r"(19|20)\d\d(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])")


def _pieces(text: str, vocabulary: frozenset[str], parts: int = 2) -> bool:
    """``text`` is the concatenation of at most ``parts`` words of ``vocabulary``."""
    if text in vocabulary:
        return True
    if parts <= 1:
        return False
    return any(
        text[:i] in vocabulary and _pieces(text[i:], vocabulary, parts - 1)
        for i in range(1, len(text))
    )


def _is_simple_affix(text: str) -> bool:
    """Digits/symbols around a word that add little: usual suffixes, a date, a run, ≤ 4 chars."""
    digits = re.sub(r"\D", "", text)
    return (
        len(text) <= 4
        or _pieces(digits, _SUFFIXES)
        or _DATE.fullmatch(digits) is not None
        or (len(digits) >= 3 and _is_run(digits))
    )


def password_problem(password: str, *, username: str | None = None, min_length: int = 10) -> str:
    """Why ``password`` is refused, or "" when it is acceptable (messages in Chinese)."""
    if len(password) < min_length:
        return _("密码太短：至少需要 {n} 个字符").format(n=min_length)
    if len(password) > 256:
        return _("密码太长：最多 256 个字符")
    lowered = password.lower()
    if lowered in _common():
        return _("密码过于常见，很容易被猜中，请换一个")
    core = _HEAD.sub("", _TAIL.sub("", lowered))
    affix = lowered.replace(core, "", 1) if core else lowered
    simple_core = _pieces(core, _BASE_WORDS) or (len(core) >= 3 and _is_run(core))
    if _is_run(lowered) or (simple_core and _is_simple_affix(affix)):
        return _("密码由常见单词或简单序列加数字符号组成，很容易被猜中，请换一个")
    if lowered.isdigit() and len(lowered) < 16:
        return _("纯数字密码（如生日、手机号）很容易被猜中，请加入字母")
    if username and len(username) >= 3 and username.lower() in lowered:
        return _("密码不能包含用户名")
    return ""


def check_password(
    password: str, *, username: str | None = None, settings: Settings | None = None
) -> None:
    """Raise ``Invalid`` (422, Chinese message) when ``password`` may not be used."""
    s = settings or get_settings()
    problem = password_problem(password, username=username, min_length=s.password_min_length)
    if problem:
        raise Invalid(problem, field="password")
