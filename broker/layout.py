"""Where each file of a broker directory lives (the directory `tilsyn broker init` fills).

The same names are used inside the compose deployment, where the directory is mounted at
/mosquitto/config, so a directory made on a host can be mounted as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tilsyn.broker.tls import TlsFiles


@dataclass(frozen=True)
class BrokerLayout:
    root: Path

    @property
    def config(self) -> Path:
        return self.root / "mosquitto.conf"

    @property
    def password_file(self) -> Path:
        return self.root / "passwd"

    @property
    def acl_file(self) -> Path:
        return self.root / "acl"

    @property
    def registry(self) -> Path:
        return self.root / "identities.json"

    @property
    def tls(self) -> TlsFiles:
        return TlsFiles.in_dir(self.root / "tls")

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def pid_file(self) -> Path:
        return self.root / "mosquitto.pid"

    @property
    def log_file(self) -> Path:
        return self.root / "mosquitto.log"

    @property
    def lock_file(self) -> Path:
        return self.root / ".lock"

    def is_initialised(self) -> bool:
        return self.config.exists() and self.registry.exists()
