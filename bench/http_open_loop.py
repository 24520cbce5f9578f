#!/usr/bin/env python3
"""Open-loop load on the HTTP USSD port: CONNS keep-alive connections send requests on a fixed
schedule (RATE requests/s in all), whatever the answers do, and each latency is counted from the
moment the request was due, not from when it could be sent (no coordinated omission). wrk, which
the headline figure uses, is closed-loop: at 200 busy connections its latency is queueing,
200 / throughput. This one answers the other question: at a stated rate, how long does a
gateway wait? (wrk2 does this; it is not in Debian.) Python stdlib only; prints, asserts nothing.

    http_open_loop.py HOST PORT [--conns 200] [--rate 5000] [--seconds 10] [--path /ussd]

The dialog mix is http_wrk.sh's: per session text "", "1", "1*1", "1*1*0", then the end
notification, then a new session id for the same number."""
import argparse
import asyncio
import time

TEXTS = ["", "1", "1%2A1", "1%2A1%2A0"]
SESSIONS_PER_CONN = 5


class Conn:
    def __init__(self, cid):
        self.cid = cid
        self.sess = [{"gen": 0, "step": 0} for _ in range(SESSIONS_PER_CONN)]
        self.idx = 0

    def next_request(self, path):
        self.idx = (self.idx + 1) % SESSIONS_PER_CONN
        s = self.sess[self.idx]
        sid = "o%d_%d_%d" % (self.cid, self.idx, s["gen"])
        if s["step"] < len(TEXTS):
            body = "sessionId=%s&serviceCode=%%2A100%%23&phoneNumber=%%2B99891%04d%03d&text=%s" % (
                sid, self.cid, self.idx, TEXTS[s["step"]])
            s["step"] += 1
            target = path
        else:
            body = "sessionId=%s&status=Incomplete" % sid
            s["step"] = 0
            s["gen"] += 1
            target = path + "/end"
        b = body.encode()
        return (b"POST %s HTTP/1.1\r\nHost: bench\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: %d\r\n\r\n" % (target.encode(), len(b))) + b


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    if length:
        await reader.readexactly(length)
    return status


async def run_conn(host, port, cid, interval, offset, t0, until, path, lat, errors):
    reader, writer = await asyncio.open_connection(host, port)
    c = Conn(cid)
    i = 0
    try:
        while True:
            due = t0 + offset + i * interval
            if due >= until:
                break
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            writer.write(c.next_request(path))
            status = await read_response(reader)
            lat.append(time.monotonic() - due)
            if status != 200:
                errors["status"] += 1
            i += 1
    except (ConnectionError, asyncio.IncompleteReadError):
        errors["socket"] += 1
    finally:
        writer.close()


def pct(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, int(round(p / 100.0 * (len(sorted_values) - 1))))
    return sorted_values[k]


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--conns", type=int, default=200)
    ap.add_argument("--rate", type=float, default=5000.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--path", default="/ussd")
    a = ap.parse_args()
    interval = a.conns / a.rate  # each connection's period
    lat, errors = [], {"status": 0, "socket": 0}
    t0 = time.monotonic() + 0.5
    until = t0 + a.seconds
    await asyncio.gather(*(run_conn(a.host, a.port, c, interval, interval * c / a.conns, t0, until, a.path, lat,
                                    errors) for c in range(a.conns)))
    elapsed = time.monotonic() - t0
    lat.sort()
    print("RESULT_OPEN conns=%d rate_target=%.0f requests=%d rate=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f "
          "max_ms=%.3f non200=%d socket_errors=%d" % (
              a.conns, a.rate, len(lat), len(lat) / elapsed, pct(lat, 50) * 1e3, pct(lat, 90) * 1e3,
              pct(lat, 99) * 1e3, (lat[-1] if lat else float("nan")) * 1e3, errors["status"], errors["socket"]))


if __name__ == "__main__":
    asyncio.run(main())
