"""HTTP transport shared by the connectors: one pooled ``requests`` session per
connector, and the two transport failures every platform has in common."""
from __future__ import annotations

from typing import Any

import requests

from .base import ChannelError, ConnectorError, ErrorKind


class Transport:
    def __init__(self, base_url: str, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send one request.  A connection refused before anything was sent is
        TRANSIENT; a read timeout after sending is UNKNOWN_OUTCOME (the platform
        may have committed it: look the object up before creating it again)."""
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        try:
            return self.session.request(method, url, timeout=(min(self.timeout, 5.0), self.timeout), **kwargs)
        except requests.exceptions.ConnectTimeout as exc:
            raise ConnectorError(ChannelError(ErrorKind.TRANSIENT, "connect_timeout", str(exc))) from exc
        except requests.exceptions.ConnectionError as exc:
            if isinstance(exc, requests.exceptions.ReadTimeout) or "Read timed out" in str(exc):
                raise ConnectorError(ChannelError(ErrorKind.UNKNOWN_OUTCOME, "timeout", str(exc))) from exc
            raise ConnectorError(ChannelError(ErrorKind.TRANSIENT, "connection", str(exc))) from exc
        except requests.exceptions.Timeout as exc:
            raise ConnectorError(ChannelError(ErrorKind.UNKNOWN_OUTCOME, "timeout", str(exc))) from exc

    def close(self) -> None:
        self.session.close()
