"""yordamd with libgammu's dummy phone as its modem: messages are injected into the phone's
inbox files, the daemon stores, reassembles, answers; its outbox (yordamctl sms outbox) and
counters (yordamctl status) show what it sent, since the dummy phone keeps no copy. Also the
kill -9 test: every accepted message is answered exactly once across repeated crashes."""
import os
import re
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlr  # noqa: E402
from yordamd import SRC, Yordamd  # noqa: E402

CONTENT = os.path.join(SRC, "menus", "content")


def part_file(device, n, number, text, udh=None, coding=None, when=None):
    """One part into DIR/sms/1/N (written to .tmp-N, then renamed), smsbackup format."""
    d = os.path.join(device, "sms", "1")
    os.makedirs(d, exist_ok=True)
    if coding is None:
        coding = "Default_No_Compression" if all(ord(c) < 128 for c in text) else "Unicode_No_Compression"
    body = text.encode("utf-16-be").hex().upper()
    when = when or time.strftime("%Y%m%dT%H%M%S", time.gmtime(1735787045 + n))
    lines = ["[SMSBackup000]", "PDU = Deliver", 'SMSC = "+998901000000"', "DateTime = %s" % when,
             "State = UnRead", 'Number = "%s"' % number, "Coding = %s" % coding, "Folder = 1"]
    for i in range(0, max(len(body), 1), 200):
        lines.append("Text%02d = %s" % (i // 200, body[i:i + 200]))
    if udh:
        lines.append("UDH = %s" % udh)
    raw = "\n".join(lines) + "\n"
    write_raw(device, n, raw)


def write_raw(device, n, raw):
    d = os.path.join(device, "sms", "1")
    os.makedirs(d, exist_ok=True)
    tmp = os.path.join(d, ".tmp-%d" % n)
    with open(tmp, "w") as f:
        f.write(raw)
    os.rename(tmp, os.path.join(d, str(n)))


class SmsDaemon:
    def __init__(self, extra_sms="", workdir=None, log_level="info"):
        self.y = Yordamd(content=CONTENT, gsup=False, log_level=log_level, workdir=workdir,
                         extra_config="")
        self.phone = os.path.join(self.y.dir, "phone")
        os.makedirs(self.phone, exist_ok=True)
        with open(self.y.conf, "a") as f:
            f.write(f"""
sms: {{ parts_max = 3; rate_limit = 0; retry_base = 1; {extra_sms} }};
modems = ( {{ name = "m1"; device = "{self.phone}"; connection = "none"; model = "dummy"; poll_ms = 200; }} );
""")

    def start(self):
        self.y.start(wait_link=False)
        self.y.wait_status("m1: READY", 30)
        return self

    def status(self):
        rc, out, err = self.y.ctl("status")
        assert rc == 0, err
        return out

    def figure(self, name):
        m = re.search(r"\b%s (\d+)" % re.escape(name), self.status())
        return int(m.group(1)) if m else None

    def outbox(self, n=500):
        rc, out, err = self.y.ctl("sms", "outbox", str(n))
        assert rc == 0, err
        return [line for line in out.splitlines() if line.strip()]

    def wait(self, pred, timeout=30, what="condition"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if pred():
                return
            time.sleep(0.1)
        raise AssertionError("timed out waiting for %s\n%s\n%s" % (what, self.status(), self.y.log_tail(40)))

    def inbox_files(self):
        d = os.path.join(self.phone, "sms", "1")
        return sorted(f for f in os.listdir(d) if not f.startswith(".")) if os.path.isdir(d) else []


class TestSmsDummy(unittest.TestCase):
    def setUp(self):
        self.d = SmsDaemon().start()

    def tearDown(self):
        rc = self.d.y.stop()
        self.d.y.cleanup()
        self.assertEqual(rc, 0, "yordamd must exit cleanly on SIGTERM")

    def replies_to(self, tail):
        return [line for line in self.d.outbox() if (" to %s " % tail) in line or re.search(r" to \+?\**%s " % tail, line)]

    def wait_handled(self, n):
        self.d.wait(lambda: (self.d.figure("handled") or 0) >= n, what="%d handled" % n)
        self.d.wait(lambda: (self.d.figure("outbox queued") or 0) == 0 and (self.d.figure("sending") or 0) == 0,
                    what="outbox drained")

    def test_single_and_languages(self):
        part_file(self.d.phone, 1, "+998901110001", "HUQUQ")
        part_file(self.d.phone, 2, "+998901110002", "ПРАВА")
        part_file(self.d.phone, 3, "+998901110003", "Oʻzbekcha")
        part_file(self.d.phone, 4, "+998901110004", "blah blah")
        self.wait_handled(4)
        out = self.d.outbox()
        r1 = [l for l in out if "001 " in l]
        r2 = [l for l in out if "002 " in l]
        r3 = [l for l in out if "003 " in l]
        r4 = [l for l in out if "004 " in l]
        self.assertTrue(r1 and all(" gsm7 " in l and " sent " in l for l in r1), out)
        self.assertTrue(any("Huquqlar" in l for l in r1), r1)
        self.assertTrue(r2 and all(" ucs2 " in l for l in r2), r2)
        self.assertTrue(any("права" in l for l in r2), r2)
        # Uzbek Latin with U+02BB: answered in Uzbek Latin, GSM-7 (the apostrophe folded)
        self.assertTrue(r3 and all(" gsm7 " in l for l in r3), r3)
        self.assertTrue(any("Not understood" in l for l in r4), r4)
        # numbers are masked everywhere an operator looks
        self.assertNotIn("998901110001", "\n".join(out))
        self.assertEqual(self.d.inbox_files(), [])  # all deleted from the phone after the commit

    def test_multipart_out_of_order_duplicates(self):
        # RIGHTS in three parts, ref 0x42: 3, 1, 2, then 1 again (a re-delivered duplicate)
        parts = {1: "RI", 2: "GH", 3: "TS"}
        for i, seq in enumerate([3, 1, 2]):
            part_file(self.d.phone, 10 + i, "+998902220001", parts[seq], udh="050003420303"[:8] + "%02X" % 3 + "%02X" % seq,
                      when="20250102T030405")
        part_file(self.d.phone, 13, "+998902220001", parts[1], udh="0500034203%02X" % 1, when="20250102T030405")
        # interleaved: another sender, same reference, 16-bit reference
        part_file(self.d.phone, 14, "+998902220002", "HUQ", udh="06080400420201", when="20250102T030406")
        part_file(self.d.phone, 15, "+998902220002", "UQ", udh="06080400420202", when="20250102T030406")
        self.wait_handled(2)
        time.sleep(1)
        self.assertEqual(self.d.figure("handled"), 2)
        st = self.d.status()
        self.assertIn("duplicates 1", st)
        out = self.d.outbox()
        self.assertTrue(any("Your rights" in l for l in out if "001 " in l), out)
        self.assertTrue(any("Huquqlar" in l for l in out if "002 " in l), out)
        self.assertEqual(self.d.inbox_files(), [])

    def test_corrupt_file(self):
        write_raw(self.d.phone, 20, "this is not a backup file\n\x00\xff garbage")
        part_file(self.d.phone, 21, "+998903330001", "HELP")
        self.d.wait(lambda: (self.d.figure("handled") or 0) >= 1, what="the good message after a corrupt one")
        self.assertTrue(any("003330001"[-3:] + " " in l for l in self.d.outbox()))


class TestSmsCrash(unittest.TestCase):
    def test_kill9_exactly_once(self):
        """Inject a stream, kill -9 the daemon repeatedly, restart; in the end every message is
        answered exactly once (one reply message per inbox message)."""
        d = SmsDaemon()
        try:
            d.start()
            total = 0
            for round_ in range(5):
                for i in range(40):
                    total += 1
                    part_file(d.phone, total, "+99890%07d" % total, "HELP" if total % 2 else "HUQUQ")
                time.sleep(0.05 * (round_ + 1))
                d.y.stop(signal.SIGKILL)
                d.y.start(wait_link=False)
                d.y.wait_status("m1: READY", 30)
            d.wait(lambda: (d.figure("handled") or 0) >= total and not d.inbox_files(), timeout=60,
                   what="all %d handled" % total)
            d.wait(lambda: (d.figure("outbox queued") or 0) == 0 and (d.figure("sending") or 0) == 0
                   and (d.figure("retry") or 0) == 0, timeout=60, what="outbox drained")
            out = d.outbox(100000)
            per_msg = {}
            for line in out:
                m = re.match(r"(\d+) msg (\d+) to (\S+) \S+ part (\d+)/(\d+)", line)
                self.assertIsNotNone(m, line)
                per_msg.setdefault(m.group(2), []).append((m.group(3), int(m.group(4)), int(m.group(5))))
                self.assertIn(" sent ", line)
            self.assertEqual(len(per_msg), total)
            for msg, parts in per_msg.items():
                seqs = sorted(p[1] for p in parts)
                self.assertEqual(seqs, list(range(1, parts[0][2] + 1)), "message %s answered %r" % (msg, parts))
            senders = sorted(p[0][0] for p in per_msg.values())
            self.assertEqual(len(set(senders)), total, "one reply per sender")
            self.assertEqual(d.y.stop(), 0)
        finally:
            d.y.cleanup()


if __name__ == "__main__":
    hlr.run_tests()
