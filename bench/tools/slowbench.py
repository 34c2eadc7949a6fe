#!/usr/bin/env python3
"""Helpers of bench/slow-clients.sh (Python 3 standard library only; loopback only).

  slowbench.py normal --port P [--rate 100] [--connections 4] [--new-share 0.5] --duration S --out FILE [--raw CSV]
      A "normal" client at a fixed, modest rate, open loop (asyncio, one thread): request k is sent at
      start + k/RATE whatever the earlier ones are doing, so a stalled request never delays the next (no
      coordinated omission); its latency counts from its send (connect included) to the end of its answer.
      A share of the requests (--new-share) goes on a new connection each (Connection: close); the others take
      an idle keep-alive connection, or open one when none is idle (at most --connections are kept idle). A
      request on a reused connection that the server closed as it went out is sent once more on a new
      connection, as HTTP clients do (counted: stale_keepalive_retries). A request fails on a connection error,
      no complete answer within --timeout, or a status other than 2xx. "lateness" = how late the client itself
      sent (its own scheduling delay: a check on the client, not on the server).
      Writes key=value lines to --out.

  slowbench.py idle --port P --count N [--after-request-share 0.5] --duration S --out FILE
      Opens N connections (over about a second) and leaves them silent until the end: a share of them first
      sends one GET and reads its answer (an idle keep-alive connection), the rest never send a byte. Records
      which the server closed and when. Writes key=value lines to --out.

  slowbench.py events --since-ms T FILE     the control plane's /api/v1/events JSON: the events at or after T (epoch ms)
  slowbench.py state FILE                   the control plane's /api/v1/state JSON: one line per backend (status, active)
  slowbench.py haproxy-stat SOCKET          HAProxy's `show stat`: the frontend's and each server's counters that matter here
"""
import argparse
import json
import re
import selectors
import socket
import sys
import time
from datetime import datetime, timezone


def pct(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


class Pool:
    """Idle keep-alive connections of the normal client: a request takes one, or opens one when none is idle."""

    def __init__(self, cap):
        self.idle = []
        self.cap = cap
        self.opened = 0


async def read_response(reader, timeout_at):
    """Status and body of one HTTP/1.1 response (Content-Length, chunked, or up to EOF); whether the server closes."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    close = headers.get("connection", "").lower() == "close"
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            body += await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        body = await reader.read()
        close = True
    return status, body, close


async def normal_main(a):
    import asyncio
    loop = asyncio.get_running_loop()
    pool = Pool(a.connections)
    results = []   # (kind, due_offset_s, latency_ms, lateness_ms, outcome)
    in_flight = [0, 0]   # now, most
    stale = [0]          # requests sent again after a reused connection turned out closed
    request_keepalive = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (a.path, a.host, a.port)).encode()
    request_close = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n" % (a.path, a.host, a.port)).encode()

    async def one(kind, due):
        sent = loop.time()
        in_flight[0] += 1
        in_flight[1] = max(in_flight[1], in_flight[0])
        outcome = "ok"
        conn = None
        try:
            async def exchange():
                nonlocal conn
                request = request_keepalive if kind == "keepalive" else request_close
                reused = False
                while kind == "keepalive" and pool.idle:
                    c = pool.idle.pop()
                    if c[0].at_eof() or c[1].is_closing():   # the server closed it while idle
                        c[1].close()
                        continue
                    conn, reused = c, True
                    break
                if not reused:
                    conn = await asyncio.open_connection(a.host, a.port)
                    pool.opened += 1
                conn[1].write(request)
                try:
                    return await read_response(conn[0], None)
                except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError) as e:
                    # A reused keep-alive connection the server closed as the request went out (its idle timeout):
                    # as HTTP clients do, send the request again once on a new connection (nothing was answered).
                    if not reused or (isinstance(e, asyncio.IncompleteReadError) and e.partial):
                        raise
                    conn[1].close()
                    stale[0] += 1
                    conn = await asyncio.open_connection(a.host, a.port)
                    pool.opened += 1
                    conn[1].write(request)
                    return await read_response(conn[0], None)
            status, body, close = await asyncio.wait_for(exchange(), a.timeout)
            if not 200 <= status < 300:
                outcome = "status_%d" % status
            elif a.expect and not any(e.encode() in body for e in a.expect):
                outcome = "unexpected_body"
            if kind == "keepalive" and not close and outcome == "ok" and len(pool.idle) < pool.cap:
                pool.idle.append(conn)
                conn = None
        except asyncio.TimeoutError:
            outcome = "timeout"
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, IndexError) as e:
            outcome = "error_" + type(e).__name__
        finally:
            in_flight[0] -= 1
            if conn is not None:
                conn[1].close()
        done = loop.time()
        results.append((kind, due - start, (done - sent) * 1000.0, (sent - due) * 1000.0, outcome))

    start = loop.time() + 0.2
    n = int(a.duration * a.rate)
    tasks = []
    for k in range(n):
        due = start + k / a.rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        # a share (--new-share) of the requests on a new connection each, spread evenly
        kind = "new" if int((k + 1) * a.new_share) > int(k * a.new_share) else "keepalive"
        tasks.append(asyncio.ensure_future(one(kind, due)))
    await asyncio.gather(*tasks)
    for conn in pool.idle:
        conn[1].close()
    return results, in_flight[1], pool.opened, stale[0]


def normal(a):
    import asyncio
    results, most_in_flight, opened, stale = asyncio.run(normal_main(a))
    lat = sorted(r[2] for r in results)
    late = sorted(r[3] for r in results)
    errors = sorted((r for r in results if r[4] != "ok"), key=lambda r: r[1])
    kinds = {}
    for r in errors:
        kinds[r[4]] = kinds.get(r[4], 0) + 1
    out = {
        "requests": len(results),
        "errors": len(errors),
        "error_kinds": " ".join("%s:%d" % kv for kv in sorted(kinds.items())) or "-",
        "rate_per_s": "%.1f" % (len(results) / a.duration),
        "p50_ms": "%.2f" % pct(lat, 50), "p90_ms": "%.2f" % pct(lat, 90), "p99_ms": "%.2f" % pct(lat, 99),
        "p999_ms": "%.2f" % pct(lat, 99.9), "max_ms": "%.2f" % (lat[-1] if lat else float("nan")),
        "over_100ms": sum(1 for v in lat if v >= 100.0),
        "client_lateness_p99_ms": "%.2f" % pct(late, 99), "client_lateness_max_ms": "%.2f" % (late[-1] if late else float("nan")),
        "most_in_flight": most_in_flight, "connections_opened": opened, "stale_keepalive_retries": stale,
        "first_error_s": "%.1f" % errors[0][1] if errors else "-",
    }
    for kind in ("keepalive", "new"):
        ks = sorted(r[2] for r in results if r[0] == kind)
        out[kind + "_requests"] = len(ks)
        out[kind + "_p99_ms"] = "%.2f" % pct(ks, 99) if ks else "-"
    # the worst second: its p99, when it was
    by_s = {}
    for r in results:
        by_s.setdefault(int(r[1]), []).append(r[2])
    worst = max(by_s.items(), key=lambda kv: pct(sorted(kv[1]), 99)) if by_s else None
    out["worst_second"] = "%d s (p99 %.1f ms)" % (worst[0], pct(sorted(worst[1]), 99)) if worst else "-"
    with open(a.out, "w") as f:
        for k, v in out.items():
            f.write("%s=%s\n" % (k, v))
    if a.raw:
        with open(a.raw, "w") as f:
            f.write("kind,due_s,latency_ms,lateness_ms,outcome\n")
            for r in sorted(results, key=lambda r: r[1]):
                f.write("%s,%.3f,%.3f,%.3f,%s\n" % r)


def idle(a):
    sel = selectors.DefaultSelector()
    start = time.monotonic()
    n_req = int(round(a.count * a.after_request_share))
    opened = {"silent": 0, "after_request": 0}
    failed = 0
    closed = {"silent": [], "after_request": []}
    live = {}
    for i in range(a.count):
        kind = "after_request" if i < n_req else "silent"
        try:
            s = socket.create_connection((a.host, a.port), timeout=5)
            if kind == "after_request":
                s.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (a.path, a.host, a.port)).encode())
                buf = b""
                while b"\r\n\r\n" not in buf:
                    chunk = s.recv(4096)
                    if not chunk:
                        raise OSError("closed before the answer")
                    buf += chunk
                # The stand-ins' answers are a few bytes: headers and body arrive together.
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, kind)
            live[s] = kind
            opened[kind] += 1
        except OSError:
            failed += 1
        # spread the opening over about a second
        time.sleep(1.0 / max(a.count, 1))
    end = start + a.duration
    while live and time.monotonic() < end:
        for key, _ in sel.select(timeout=max(0.0, min(0.5, end - time.monotonic()))):
            s = key.fileobj
            try:
                data = s.recv(65536)
            except (ConnectionResetError, OSError):
                data = b""
            if not data:   # closed (FIN or RST) by the server; any answer bytes (e.g. a 408) are read and ignored
                closed[key.data].append(time.monotonic() - start)
                sel.unregister(s)
                s.close()
                del live[s]
    for s in list(live):
        sel.unregister(s)
        s.close()
    out = {"opened": opened["silent"] + opened["after_request"], "failed_to_open": failed}
    for kind in ("silent", "after_request"):
        c = sorted(closed[kind])
        out[kind + "_opened"] = opened[kind]
        out[kind + "_closed_by_server"] = len(c)
        out[kind + "_first_close_s"] = "%.1f" % c[0] if c else "-"
        out[kind + "_median_close_s"] = "%.1f" % c[len(c) // 2] if c else "-"
    with open(a.out, "w") as f:
        for k, v in out.items():
            f.write("%s=%s\n" % (k, v))


def events(a):
    with open(a.file) as f:
        data = json.load(f)
    items = data if isinstance(data, list) else data.get("events", data.get("items", []))
    for e in items:
        at = e.get("at", "")
        m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z$", at or "")
        if not m:
            continue
        frac = float(m.group(2) or 0.0)
        ms = int((datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp() + frac) * 1000)
        if ms < a.since_ms:
            continue
        rest = " ".join("%s=%s" % (k, v) for k, v in e.items() if k not in ("at", "type") and v not in (None, "", [], {}))
        print("%+.1f s %s %s" % ((ms - a.since_ms) / 1000.0, e.get("type", "?"), rest))


def state(a):
    with open(a.file) as f:
        data = json.load(f)
    routing = data.get("routing") or {}
    active = routing.get("active", [])
    for v in data.get("verdicts", []):
        bid = v.get("backendId", "?")
        flags = ",".join(v.get("flags") or []) or "-"
        print("%s status=%s active=%s flags=%s since=%s" % (bid, v.get("status", "?"), "yes" if bid in active else "no", flags, v.get("since", "?")))
    print("routing: %s" % routing.get("reason", "?"))


def haproxy_stat(a):
    """HAProxy's `show stat` over its stats socket: the frontend's and each server's figures that matter here."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(3)
    s.connect(a.socket)
    s.sendall(b"show stat\n")
    buf = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    s.close()
    lines = buf.decode().splitlines()
    header = lines[0].lstrip("# ").split(",")
    for line in lines[1:]:
        if not line.strip():
            continue
        row = dict(zip(header, line.split(",")))
        if row.get("svname") == "FRONTEND":
            keys = ("scur", "smax", "stot", "req_tot", "ereq", "hrsp_2xx", "hrsp_4xx", "hrsp_5xx")
        elif row.get("svname") in ("BACKEND",):
            continue
        else:
            keys = ("status", "scur", "smax", "stot", "qmax", "econ", "eresp", "chkfail", "chkdown", "downtime", "hrsp_5xx")
        print("%s/%s %s" % (row.get("pxname"), row.get("svname"), " ".join("%s=%s" % (k, row.get(k, "")) for k in keys)))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    n = sub.add_parser("normal")
    n.add_argument("--host", default="127.0.0.1")
    n.add_argument("--port", type=int, required=True)
    n.add_argument("--path", default="/")
    n.add_argument("--rate", type=float, default=100.0)
    n.add_argument("--connections", type=int, default=4)
    n.add_argument("--new-share", type=float, default=0.5)
    n.add_argument("--duration", type=float, required=True)
    n.add_argument("--timeout", type=float, default=5.0)
    n.add_argument("--expect", action="append", default=[])
    n.add_argument("--out", required=True)
    n.add_argument("--raw")
    i = sub.add_parser("idle")
    i.add_argument("--host", default="127.0.0.1")
    i.add_argument("--port", type=int, required=True)
    i.add_argument("--path", default="/")
    i.add_argument("--count", type=int, required=True)
    i.add_argument("--after-request-share", type=float, default=0.5)
    i.add_argument("--duration", type=float, required=True)
    i.add_argument("--out", required=True)
    e = sub.add_parser("events")
    e.add_argument("--since-ms", type=int, required=True)
    e.add_argument("file")
    s = sub.add_parser("state")
    s.add_argument("file")
    h = sub.add_parser("haproxy-stat")
    h.add_argument("socket")
    a = p.parse_args()
    if a.cmd in ("normal", "idle") and a.host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("slowbench: loopback only")
    {"normal": normal, "idle": idle, "events": events, "state": state, "haproxy-stat": haproxy_stat}[a.cmd](a)


if __name__ == "__main__":
    main()
