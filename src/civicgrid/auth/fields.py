"""Keys at work: the field cipher, keyed hashes (blind indexes, pseudonyms) and phone numbers."""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import lru_cache

from civicgrid.config import Settings, get_settings
from civicgrid.errors import Invalid
from civicgrid.kit.crypto import FieldCipher
from civicgrid.kit.i18n import _


@lru_cache(maxsize=4)
def _cipher(field_keys: str, secret_key: str) -> FieldCipher:
    return FieldCipher.from_config(field_keys, secret_key)


def cipher(settings: Settings | None = None) -> FieldCipher:
    """The field cipher configured by CIVICGRID_FIELD_KEYS / CIVICGRID_SECRET_KEY."""
    s = settings or get_settings()
    return _cipher(s.field_keys, s.secret_key)


def decrypt(
    token: str | None, *, context: str = "", settings: Settings | None = None
) -> str | None:
    """Plaintext of an encrypted column value (None stays None)."""
    if token is None:
        return None
    return cipher(settings).decrypt(token, context=context)


def encrypt(
    value: str | None, *, context: str = "", settings: Settings | None = None
) -> str | None:
    if value is None:
        return None
    return cipher(settings).encrypt(value, context=context)


def keyed_hash(purpose: str, value: str, settings: Settings | None = None) -> str:
    """HMAC-SHA256 of ``value`` under a key derived from the secret key for ``purpose`` (hex)."""
    s = settings or get_settings()
    key = hashlib.sha256(f"civicgrid:{purpose}\x00{s.secret_key}".encode()).digest()
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


_PHONE = re.compile(r"^1[3-9]\d{9}$")


def normalize_phone(raw: str) -> str:
    """A mainland mobile number as 11 digits; ``Invalid`` otherwise."""
    digits = re.sub(r"[\s\-()]", "", raw or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not _PHONE.match(digits):
        raise Invalid(_("手机号格式不正确"), field="phone")
    return digits


def looks_like_phone(identifier: str) -> bool:
    try:
        normalize_phone(identifier)
    except Invalid:
        return False
    return True


def phone_index(phone: str, settings: Settings | None = None) -> str:
    """Blind index of a normalised phone number (the same one the registries use)."""
    return cipher(settings).blind_index(phone)
