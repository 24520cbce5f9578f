#!/bin/bash
# 2,000 SMS injected at once into libgammu's dummy phone: yordamd (store, reassemble, answer,
# hand the replies to the modem) against gammu-smsd (files service, RunOnReceive queuing a reply,
# ReceiveFrequency = 0, LoopSleep = 0) in the same run. Prints both rates, both peak RSS figures,
# the ratio and receive-to-durable percentiles; asserts nothing.
#
# "Durable" is measured from outside: a part's file disappears from the phone's inbox when the
# daemon deletes it, which yordamd does only after the commit (gammu-smsd after writing its inbox
# file). For yordamd also directly: YORDAM_SMS_TRACE makes it write the CLOCK_MONOTONIC time and
# part count of every inbox commit, so injection-to-commit is printed per part, and `yordamctl
# status` gives read-from-the-modem-to-commit percentiles. Environment: N (default 2000), BUILD,
# NO_BUILD=1, KEEP=1, SMSD=0 (skip gammu-smsd).
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$SRC/build-bench}
N=${N:-2000}
if [[ -z "${NO_BUILD:-}" ]]; then
	[[ -f $BUILD/CMakeCache.txt ]] || cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$BUILD" -j"$(nproc)" --target yordamd yordamctl >/dev/null
fi
command -v gammu-smsd >/dev/null || echo "gammu-smsd not installed (scripts/setup-debian.sh): only yordamd is measured" >&2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/yordam-sms-bench.XXXXXX")
cleanup() { if [[ -n "${KEEP:-}" ]]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
SRC="$SRC" BUILD="$BUILD" N="$N" WORK="$WORK" SMSD="${SMSD:-1}" exec python3 - <<'PY'
import os, re, signal, subprocess, sys, time

SRC, BUILD, N, WORK = os.environ["SRC"], os.environ["BUILD"], int(os.environ["N"]), os.environ["WORK"]
TEXTS = ["HUQUQ", "ПРАВА", "RIGHTS", "1*2", "HELP", "Oʻzbekcha", "KETISH", "ДАВЛАТ"]


def part_file(n, number, text, when):
    coding = "Default_No_Compression" if all(ord(c) < 128 for c in text) else "Unicode_No_Compression"
    body = text.encode("utf-16-be").hex().upper()
    return ("[SMSBackup000]\nPDU = Deliver\nSMSC = \"+998901000000\"\nDateTime = %s\nState = UnRead\n"
            "Number = \"%s\"\nCoding = %s\nFolder = 1\nText00 = %s\n" % (when, number, coding, body))


def inject_all(phone):
    inbox = os.path.join(phone, "sms", "1")
    os.makedirs(inbox, exist_ok=True)
    files = []
    for n in range(1, N + 1):
        tmp = os.path.join(inbox, ".tmp-%d" % n)
        with open(tmp, "w") as f:
            f.write(part_file(n, "+99890%07d" % n, TEXTS[n % len(TEXTS)], "20250102T%02d%02d%02d" % (n // 3600 % 24, n // 60 % 60, n % 60)))
        files.append(tmp)
    t0 = time.monotonic()
    for n, tmp in enumerate(files, 1):
        os.rename(tmp, os.path.join(inbox, str(n)))
    return t0, inbox


def rss_peak(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1)) // 1024
    except OSError:
        return -1


def watch(inbox, t0, done, pid, timeout=600):
    """Poll the inbox: when each file vanished (durable), until done() holds. Returns (t_end, latencies, rss)."""
    present = set(str(n) for n in range(1, N + 1))  # all injected: some may be gone already
    gone = {}
    rss = 0
    while time.monotonic() - t0 < timeout:
        now = time.monotonic()
        cur = set(os.listdir(inbox))
        for name in present - cur:
            gone[name] = now - t0
        present = cur
        rss = max(rss, rss_peak(pid))
        if len(gone) >= N and done():
            return now, sorted(gone.values()), rss
        time.sleep(0.005)
    raise SystemExit("timed out: %d of %d durable" % (len(gone), N))


def pct(v, p):
    return v[min(len(v) - 1, int(len(v) * p / 100))] if v else float("nan")


def run_yordamd():
    d = os.path.join(WORK, "yordamd")
    phone = os.path.join(d, "phone")
    os.makedirs(phone)
    conf = os.path.join(d, "yordam.conf")
    with open(conf, "w") as f:
        f.write("""log: { level = "notice"; };
store: { path = "yordam.db"; key_file = "yordam.key"; };
content: { dir = "%s/menus/content"; fallback_language = "en"; import = "if-empty"; };
control: { socket = "yordamd.sock"; };
sms: { rate_limit = 0; };
modems = ( { name = "m1"; device = "%s"; connection = "none"; model = "dummy"; poll_ms = 100; } );
""" % (SRC, phone))
    log = open(os.path.join(d, "yordamd.log"), "wb")
    trace = os.path.join(d, "commits.trace")
    p = subprocess.Popen([os.path.join(BUILD, "firmware", "yordamd"), "-c", conf], stdout=log, stderr=log,
                         env=dict(os.environ, YORDAM_SMS_TRACE=trace))
    ctl = [os.path.join(BUILD, "firmware", "yordamctl"), "-s", os.path.join(d, "yordamd.sock"), "status"]

    def status():
        r = subprocess.run(ctl, capture_output=True, text=True)
        return r.stdout

    deadline = time.time() + 30
    while "m1: READY" not in status():
        if time.time() > deadline or p.poll() is not None:
            raise SystemExit("yordamd did not come up")
        time.sleep(0.1)
    idle = rss_peak(p.pid)

    def done():
        s = status()
        m = re.search(r"handled (\d+).*outbox queued (\d+) sending (\d+) retry (\d+) sent (\d+)", s)
        return m and int(m.group(1)) >= N and int(m.group(2)) == 0 and int(m.group(4)) == 0

    t0, inbox = inject_all(phone)
    t1, lat, rss = watch(inbox, t0, done, p.pid)
    s = status()
    p.send_signal(signal.SIGTERM)
    p.wait(30)
    parts = re.search(r"sent (\d+) failed", s.split("sms store")[1]).group(1)
    # injection to commit, per part: the daemon writes "<CLOCK_MONOTONIC ms> <parts>" per commit
    commit = []
    with open(trace) as f:
        for line in f:
            ms, n = line.split()
            commit += [int(ms) / 1000.0 - t0] * int(n)
    rc = re.search(r"rx-to-commit.*", s)
    return t1 - t0, lat, max(rss, idle), idle, int(parts), sorted(commit[:N]), rc.group(0) if rc else "?"


def run_smsd():
    d = os.path.join(WORK, "smsd")
    phone = os.path.join(d, "phone")
    for sub in ("inbox", "outbox", "sent", "error"):
        os.makedirs(os.path.join(d, sub))
    os.makedirs(phone)
    script = os.path.join(d, "reply.sh")
    with open(script, "w") as f:
        # queue one reply per received message, the way a files-service integration does
        f.write("#!/bin/sh\nprintf '%%s' 'Reply' > \"%s/outbox/OUTC20250101_000000_00_${SMS_1_NUMBER}_$$.txt\"\n"
                % d)
    os.chmod(script, 0o755)
    conf = os.path.join(d, "smsdrc")
    with open(conf, "w") as f:
        f.write("""[gammu]
device = %s
model = dummy
connection = none
[smsd]
service = files
inboxpath = %s/inbox/
outboxpath = %s/outbox/
sentsmspath = %s/sent/
errorsmspath = %s/error/
logfile = %s/smsd.log
debuglevel = 0
RunOnReceive = %s
ReceiveFrequency = 0
LoopSleep = 0
StatusFrequency = 0
CheckSecurity = 0
CheckSignal = 0
CheckBattery = 0
CheckNetwork = 0
""" % (phone, d, d, d, d, d, script))
    p = subprocess.Popen(["gammu-smsd", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2)
    if p.poll() is not None:
        raise SystemExit("gammu-smsd did not start (see %s/smsd.log)" % d)
    outbox = os.path.join(d, "outbox")
    sent = os.path.join(d, "sent")

    def done():
        # every reply queued by RunOnReceive and picked up from the outbox (handed to the phone)
        return len(os.listdir(sent)) + len(os.listdir(os.path.join(d, "error"))) >= N and not os.listdir(outbox)

    t0, inbox = inject_all(phone)
    t1, lat, rss = watch(inbox, t0, done, p.pid)
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(30)
    except subprocess.TimeoutExpired:
        p.kill()
    return t1 - t0, lat, rss


yt, ylat, yrss, yidle, yparts, ycommit, yrc = run_yordamd()
print("N = %d messages injected at once into the dummy phone (single-part, %d texts, one sender each)" % (N, len(TEXTS)))
print("yordamd:     %7.2f s  %7.0f msg/s  peak RSS %4d MiB (idle %d MiB)  %d reply parts handed to the modem" %
      (yt, N / yt, yrss, yidle, yparts))
print("             receive-to-durable p50 %.3f s  p99 %.3f s  max %.3f s (from injection of all %d)" %
      (pct(ylat, 50), pct(ylat, 99), ylat[-1], N))
print("             receive-to-commit p50 %.3f s  p99 %.3f s  max %.3f s (injection to the commit, from the daemon's trace)" %
      (pct(ycommit, 50), pct(ycommit, 99), ycommit[-1] if ycommit else float("nan")))
print("             status: sms %s" % yrc)
if os.environ.get("SMSD", "1") != "0" and subprocess.run(["sh", "-c", "command -v gammu-smsd"], capture_output=True).returncode == 0:
    st, slat, srss = run_smsd()
    print("gammu-smsd:  %7.2f s  %7.0f msg/s  peak RSS %4d MiB" % (st, N / st, srss))
    print("             receive-to-durable p50 %.3f s  p99 %.3f s  max %.3f s" % (pct(slat, 50), pct(slat, 99), slat[-1]))
    print("ratio:       yordamd %.1fx gammu-smsd's rate, at %.0f%% of its peak RSS" % ((N / yt) / (N / st), 100.0 * yrss / max(srss, 1)))
PY
