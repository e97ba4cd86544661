"""HTTP probes: what a URL answered, and the server's clock from its Date header."""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Dict, Optional, Union

import requests


@dataclass(frozen=True)
class Answer:
    url: str
    status: Optional[int] = None  # None: no HTTP answer at all
    server_time: Optional[float] = None  # from the Date header, seconds since the epoch
    local_time: float = 0.0  # our clock when the answer arrived
    body: Any = None  # decoded JSON, if it was JSON
    error: str = ""  # why there was no answer

    @property
    def reached(self) -> bool:
        return self.status is not None


class Web:
    """GETs each URL once (checks share answers); ``verify`` is requests' TLS setting."""

    def __init__(self, verify: Union[bool, str] = True, timeout: float = 5.0):
        self.verify = verify
        self.timeout = timeout
        self._answers: Dict[str, Answer] = {}

    def get(self, url: str) -> Answer:
        if url not in self._answers:
            self._answers[url] = self._fetch(url)
        return self._answers[url]

    def _fetch(self, url: str) -> Answer:
        try:
            response = requests.get(url, timeout=self.timeout, verify=self.verify, allow_redirects=False)
        except requests.RequestException as problem:
            return Answer(url, local_time=time.time(), error=_reason(problem))
        local_time = time.time()
        try:
            body = response.json()
        except ValueError:
            body = None
        return Answer(url, response.status_code, _date(response.headers.get("Date")), local_time, body)


def _date(header: Optional[str]) -> Optional[float]:
    if not header:
        return None
    try:
        return parsedate_to_datetime(header).timestamp()
    except (TypeError, ValueError):
        return None


def _reason(problem: requests.RequestException) -> str:
    """The innermost cause, which names the real trouble (DNS, refused, certificate)."""
    cause: BaseException = problem
    for _depth in range(10):
        inner = cause.__cause__ or cause.__context__
        if inner is None:
            break
        cause = inner
    text = str(cause) or type(cause).__name__
    return text if len(text) < 300 else text[:300] + "..."
