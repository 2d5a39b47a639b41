"""Demo keys: generated once into ``<data_dir>/demo.env`` (mode 0600) and reused.

The demo must run on a fresh clone without any configuration, but residents' ID numbers and
phones are always encrypted. When ``CIVICGRID_SECRET_KEY`` and ``CIVICGRID_FIELD_KEYS`` are not
configured, the demo generates both, stores them next to the demo database and reuses them on
every start, so the served app can decrypt what the generator encrypted.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from civicgrid.kit.crypto import FieldCipher, generate_key

ENV_FILE = "demo.env"
SECRET_VAR = "CIVICGRID_SECRET_KEY"  # noqa: S105 (a variable name, not a secret)
FIELD_VAR = "CIVICGRID_FIELD_KEYS"


@dataclass(frozen=True)
class DemoKeys:
    secret_key: str
    field_keys: str
    source: str  # "environment" | "created" | "reused"

    def cipher(self) -> FieldCipher:
        return FieldCipher.from_config(self.field_keys, self.secret_key)


def _read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text("utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _sep, value = line.partition("=")
        values[key.strip()] = value.strip()
    return values


def demo_keys(data_dir: Path, secret_key: str = "", field_keys: str = "") -> DemoKeys:
    """Configured keys if both are set, else the keys of ``demo.env`` (created when missing)."""
    if secret_key and field_keys:
        return DemoKeys(secret_key, field_keys, "environment")
    path = data_dir / ENV_FILE
    if path.exists():
        values = _read_env_file(path)
        if values.get(SECRET_VAR) and values.get(FIELD_VAR):
            return DemoKeys(values[SECRET_VAR], values[FIELD_VAR], "reused")
    data_dir.mkdir(parents=True, exist_ok=True)
    keys = DemoKeys(secrets.token_urlsafe(48), f"demo1:{generate_key()}", "created")
    content = (
        "# Keys of the civicgrid demo city (generated; never use them in production).\n"
        f"{SECRET_VAR}={keys.secret_key}\n{FIELD_VAR}={keys.field_keys}\n"
    )
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(content)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return keys
