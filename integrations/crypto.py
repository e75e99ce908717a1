"""Partner credentials at rest: Fernet with keys derived from SECRET_KEY and each of
SECRET_KEY_FALLBACKS (HKDF, own context), combined in a MultiFernet.

New values are encrypted with the current SECRET_KEY; values encrypted under a key that was
rotated into SECRET_KEY_FALLBACKS still decrypt, and ``manage.py reencrypt_credentials``
re-encrypts them with the current key. A value no key can decrypt raises
``CredentialUnreadable`` (and is logged): it is never silently read as an empty credential."""

from __future__ import annotations

import base64
import functools
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

logger = logging.getLogger(__name__)


class CredentialUnreadable(Exception):
    """A stored credential that none of SECRET_KEY / SECRET_KEY_FALLBACKS can decrypt."""

    def __init__(self, what: str = "credential"):
        super().__init__(
            f"The stored {what} cannot be decrypted with SECRET_KEY or any of "
            "SECRET_KEY_FALLBACKS: put the old key back into DJANGO_SECRET_KEY_FALLBACKS, or "
            "enter the credential again."
        )
        self.what = what


@functools.cache
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"keel", info=b"integrations/credentials"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _keys() -> tuple[str, ...]:
    return (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ()))


@functools.cache
def _multi(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([_fernet(k) for k in keys])


def encrypt(plain: str) -> str:
    if not plain:
        return ""
    return _fernet(settings.SECRET_KEY).encrypt(plain.encode()).decode()


def decrypt(token: str, *, what: str = "credential") -> str:
    """The clear text ('' only when nothing is stored); raises ``CredentialUnreadable``."""
    if not token:
        return ""
    try:
        return _multi(_keys()).decrypt(token.encode()).decode()
    except InvalidToken:
        logger.error("%s cannot be decrypted with SECRET_KEY or SECRET_KEY_FALLBACKS", what)
        raise CredentialUnreadable(what) from None


def is_readable(token: str) -> bool:
    if not token:
        return True
    try:
        _multi(_keys()).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def is_current(token: str) -> bool:
    """Whether the value is encrypted with the current SECRET_KEY (nothing to re-encrypt)."""
    if not token:
        return True
    try:
        _fernet(settings.SECRET_KEY).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def reencrypt(token: str, *, what: str = "credential") -> str:
    """The same clear text encrypted with the current SECRET_KEY; raises ``CredentialUnreadable``."""
    if not token:
        return ""
    try:
        return _multi(_keys()).rotate(token.encode()).decode()
    except InvalidToken:
        logger.error("%s cannot be decrypted with SECRET_KEY or SECRET_KEY_FALLBACKS", what)
        raise CredentialUnreadable(what) from None
