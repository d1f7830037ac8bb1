"""The one way a secret is read: an environment variable, else the first line of a file.

A secret (the MQTT password, the kiosk page's token, a bridge's password) is never in the
config file (often world-readable) nor on a command line (ps shows it to every user). The
rule, the same for each:

* the environment variable wins when it is set and not empty (systemd: EnvironmentFile=);
* else the file's first line, without surrounding spaces; a file without one (empty, or a
  blank first line) is a mistake, not an empty secret;
* else None: no secret.

A file that cannot be read or holds no secret is a ConfigError of one line that names the
key (or option) giving the file, the file, and the fix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from edge.config.errors import ConfigError


@dataclass(frozen=True)
class Secret:
    """Where one secret comes from. `file_key` names the file in messages (a config key
    like mqtt.password_file, or an option like --password-file); `what` is the secret."""

    env: str
    file_key: str
    what: str

    def origin(self, file: Path | None, environ: Mapping[str, str] | None = None) -> str:
        """Where read() takes the secret from, for messages: "$ENV" or "KEY (FILE)"."""
        env = os.environ if environ is None else environ
        return f"${self.env}" if env.get(self.env) else f"{self.file_key} ({file})"

    def read(self, file: Path | None, environ: Mapping[str, str] | None = None) -> str | None:
        """$env if set and not empty, else the first line of `file`, else None."""
        env = os.environ if environ is None else environ
        if env.get(self.env):
            return env[self.env]
        if file is None:
            return None
        try:
            lines = Path(file).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(
                f"{self.file_key}: cannot read {file} ({exc.strerror or exc}); it must be "
                "readable by the dancepose user",
                self.file_key,
            ) from None
        except UnicodeDecodeError:
            raise ConfigError(
                f"{self.file_key}: {file} is not UTF-8 text; write the {self.what} on its "
                "first line",
                self.file_key,
            ) from None
        secret = lines[0].strip() if lines else ""
        if not secret:
            raise ConfigError(
                f"{self.file_key}: {file} has no {self.what} on its first line; write it "
                f"there, or set ${self.env}",
                self.file_key,
            )
        return secret
