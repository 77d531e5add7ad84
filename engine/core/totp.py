"""Time-based one-time codes (RFC 6238 over RFC 4226's HOTP, SHA-1, 6 digits, 30 s): the
second factor of a web sign-in, as every authenticator app computes it. Pure: the caller
gives the secret and the time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from urllib.parse import quote, urlencode

PERIOD = 30
DIGITS = 6


def step_of(unix_time: float) -> int:
    """The 30-second step a moment falls in."""
    return int(unix_time // PERIOD)


def code(secret: str, step: int) -> str:
    """The code of a base32 ``secret`` at a time step."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10 ** DIGITS).zfill(DIGITS)


def matching_step(secret: str, given: str, unix_time: float, window: int = 1) -> int | None:
    """The step whose code is ``given``, within ``window`` steps of now (a phone's clock
    drifts), or None."""
    given = given.strip().replace(" ", "")
    now = step_of(unix_time)
    for step in range(now - window, now + window + 1):
        if hmac.compare_digest(code(secret, step), given):
            return step
    return None


def uri(secret: str, account: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads (from a QR code or typed)."""
    label = quote(f"{issuer}:{account}")
    query = urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1",
                       "digits": DIGITS, "period": PERIOD})
    return f"otpauth://totp/{label}?{query}"
