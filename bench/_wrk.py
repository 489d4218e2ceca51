"""Drive one URL with wrk and parse what it prints.

Requests/s and the latency percentiles come from wrk's own text output
(``--latency``); the error counters (connect/read/write/timeout and responses
that are not 2xx/3xx) come from a tiny Lua ``done()`` hook, which wrk exposes
but does not print in full.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

_DONE_LUA = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  local pts = {}
  for i = 1, 199 do pts[i] = string.format("%d", latency:percentile(i / 2)) end
  pts[200] = string.format("%d", latency.max)
  io.write(string.format(
    "WRKJSON {\"requests\":%d,\"duration_us\":%d,\"bytes\":%d,\"p50_us\":%d,\"p99_us\":%d,"
    .. "\"max_us\":%d,\"connect\":%d,\"read\":%d,\"write\":%d,\"status\":%d,\"timeout\":%d,"
    .. "\"pct_us\":[%s]}\n",
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout, table.concat(pts, ",")))
end
"""

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


class WrkMissing(RuntimeError):
    pass


@dataclass
class WrkResult:
    url: str
    requests: int = 0
    rps: float = 0.0
    p50_ms: float | None = None
    p99_ms: float | None = None
    non_2xx_3xx: int = 0
    socket_errors: dict = field(default_factory=dict)
    # Latency at the 0.5th, 1st, ... 99.5th percentile and the max (µs), to pool several runs.
    percentiles_us: list = field(default_factory=list)
    raw: str = ""

    @property
    def errors(self) -> int:
        return self.non_2xx_3xx + sum(self.socket_errors.values())

    def as_dict(self):
        d = asdict(self)
        d.pop("raw")
        d.pop("percentiles_us")
        return d


def duration_to_ms(text: str) -> float:
    """'812.00us' -> 0.812, '12.5ms' -> 12.5, '1.02s' -> 1020.0, '1.00m' -> 60000.0."""
    m = re.fullmatch(r"\s*([0-9.]+)\s*(us|ms|s|m|h)\s*", text)
    if not m:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(m.group(1)) * _UNITS_MS[m.group(2)]


def parse(output: str, url: str = "") -> WrkResult:
    res = WrkResult(url=url, raw=output)
    m = re.search(r"^Requests/sec:\s*([0-9.]+)", output, re.M)
    if m:
        res.rps = float(m.group(1))
    for pct, attr in (("50", "p50_ms"), ("99", "p99_ms")):
        m = re.search(rf"^\s*{pct}(?:\.0+)?%\s+([0-9.]+\s*(?:us|ms|s|m|h))\s*$", output, re.M)
        if m:
            setattr(res, attr, duration_to_ms(m.group(1)))
    m = re.search(r"^\s*(\d+) requests in", output, re.M)
    if m:
        res.requests = int(m.group(1))
    m = re.search(r"^\s*Non-2xx or 3xx responses:\s*(\d+)", output, re.M)
    if m:
        res.non_2xx_3xx = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if m:
        res.socket_errors = dict(zip(("connect", "read", "write", "timeout"), map(int, m.groups())))
    m = re.search(r"^WRKJSON (\{.*\})$", output, re.M)
    if m:
        j = json.loads(m.group(1))
        res.non_2xx_3xx = max(res.non_2xx_3xx, j["status"])
        for k in ("connect", "read", "write", "timeout"):
            res.socket_errors[k] = max(res.socket_errors.get(k, 0), j[k])
        res.percentiles_us = j.get("pct_us", [])
        if res.p99_ms is None:
            res.p99_ms = j["p99_us"] / 1000.0
        if res.p50_ms is None:
            res.p50_ms = j["p50_us"] / 1000.0
        if not res.requests:
            res.requests = j["requests"]
        if not res.rps and j["duration_us"]:
            res.rps = j["requests"] / (j["duration_us"] / 1e6)
    res.socket_errors = {k: v for k, v in res.socket_errors.items() if v}
    return res


def pooled_percentile(results, pct: float = 99.0):
    """Approximate percentile (ms) over several runs, pooling each run's percentile
    points weighted by its number of requests. None when no run has the points."""
    points = []
    for r in results:
        if r.percentiles_us and r.requests:
            w = r.requests / len(r.percentiles_us)
            points += [(v, w) for v in r.percentiles_us]
    if not points:
        return None
    points.sort()
    total = sum(w for _, w in points)
    acc = 0.0
    for value, w in points:
        acc += w
        if acc >= total * pct / 100.0 - 1e-9:
            return value / 1000.0
    return points[-1][0] / 1000.0


def run(url: str, *, duration: int, connections: int, threads: int = 2, headers=(), timeout_s: int = 10) -> WrkResult:
    wrk = shutil.which("wrk")
    if not wrk:
        raise WrkMissing("wrk is not installed: apt-get install -y wrk")
    threads = max(1, min(threads, connections))
    with tempfile.TemporaryDirectory(prefix="xiangpin-wrk-") as tmp:
        script = Path(tmp) / "done.lua"
        script.write_text(_DONE_LUA)
        cmd = [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", f"--timeout={timeout_s}s",
               "-s", str(script)]
        for h in headers:
            cmd += ["-H", h]
        cmd.append(url)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + timeout_s + 30)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}) on {url}:\n{proc.stdout}\n{proc.stderr}")
    return parse(proc.stdout, url)
