"""Personal data at rest: AES-256-GCM tokens, a keyed hash for matching, and masking for display."""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SECRETS_FILE = Path(__file__).resolve().parent.parent / ".streamlit" / "secrets.toml"
PII_FIELDS = ("name", "national_id", "phone", "address")
_PREFIX = "v1:"


class KeyMissing(Exception):
    pass


def _secrets_file() -> Path:
    return Path(os.environ.get("LOANWATCH_SECRETS_FILE", SECRETS_FILE))


def read_secret(name: str) -> str | None:
    """A secret from the environment (LOANWATCH_<NAME>) or from .streamlit/secrets.toml [loanwatch]."""
    value = os.environ.get(f"LOANWATCH_{name.upper()}")
    if value:
        return value
    path = _secrets_file()
    if path.exists():
        return tomllib.loads(path.read_text()).get("loanwatch", {}).get(name)
    return None


def ensure_secrets() -> None:
    """Add fresh random keys to .streamlit/secrets.toml for whichever of secret_key and cookie_key is not
    configured (in the environment or the file): the first run of a workspace works without set-up."""
    missing = [name for name in ("secret_key", "cookie_key") if not read_secret(name)]
    if not missing:
        return
    path = _secrets_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text() if path.exists() else ""
    fresh = {"secret_key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
             "cookie_key": secrets.token_urlsafe(32)}
    lines = "".join(f'{name} = "{fresh[name]}"\n' for name in missing)
    if "[loanwatch]" in text:
        text = text.replace("[loanwatch]\n", "[loanwatch]\n" + lines, 1)
    else:
        text += "\n[loanwatch]\n" + lines
    path.write_text(text)
    path.chmod(0o600)
    _keys.cache_clear()


@lru_cache(maxsize=4)
def _keys(raw: str) -> tuple[AESGCM, bytes]:
    key = base64.urlsafe_b64decode(raw.encode())
    if len(key) != 32:
        raise KeyMissing("LOANWATCH_SECRET_KEY must be 32 bytes, url-safe base64 encoded")
    return AESGCM(key), hashlib.sha256(b"loanwatch-blind-index" + key).digest()


def _current_keys() -> tuple[AESGCM, bytes]:
    raw = read_secret("secret_key")
    if not raw:
        raise KeyMissing("no encryption key: set LOANWATCH_SECRET_KEY or run `python cli.py demo` once "
                         "to create .streamlit/secrets.toml")
    return _keys(raw)


def encrypt_many(values: Iterable[str | None]) -> list[str | None]:
    aes, _ = _current_keys()
    out: list[str | None] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        nonce = os.urandom(12)
        out.append(_PREFIX + base64.urlsafe_b64encode(nonce + aes.encrypt(nonce, v.encode(), None)).decode())
    return out


def decrypt_many(tokens: Iterable[str | None]) -> list[str | None]:
    aes, _ = _current_keys()
    out: list[str | None] = []
    for t in tokens:
        if t is None:
            out.append(None)
            continue
        blob = base64.urlsafe_b64decode(t[len(_PREFIX):].encode())
        out.append(aes.decrypt(blob[:12], blob[12:], None).decode())
    return out


def blind_index_many(values: Iterable[str | None]) -> list[str | None]:
    """Keyed HMAC-SHA256 of each value: equal inputs match, the value cannot be read back."""
    _, mac_key = _current_keys()
    return [None if v is None else hmac.new(mac_key, v.encode(), hashlib.sha256).hexdigest()[:32] for v in values]


def mask(field: str, value: str | None) -> str | None:
    """Display form for roles that must not see the value: 138****5678, 3101**********1234, 张*, 上海市****."""
    if value is None:
        return None
    if field == "phone":
        digits = re.sub(r"\D", "", value)
        return digits[:3] + "****" + digits[-4:] if len(digits) >= 8 else "****"
    if field == "national_id":
        return value[:4] + "*" * max(len(value) - 8, 2) + value[-4:] if len(value) > 8 else "****"
    if field == "name":
        return value[0] + "*" * max(len(value) - 1, 1)
    if field == "address":
        return value[:6] + "****"
    raise ValueError(f"not a personal-data field: {field}")
