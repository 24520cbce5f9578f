"""Issue 4 by SMS: yordamd with libgammu's dummy phone and a hotline roster. A complaint filed by
SMS gets a case number and PIN; the staff notification is queued (yordamctl sms outbox shows what
the daemon sent); the staff member claims (OK), replies (R, relayed to the reporter from the
service), closes (DONE); the same command from a number not on the roster gets the menu's
"not understood" like any unknown text; status from the reporter's phone, and from another phone
only with the PIN; canary strings are nowhere in the database, its WAL or the log. (Escalation, on the
test clock and on a refused notification, is in test_cases_staff.py, where staff phones are a modem.)"""
import glob
import os
import re
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import atmodem  # noqa: E402
from test_sms_dummy import CONTENT, SmsDaemon, part_file  # noqa: E402
from yordamd import Yordamd  # noqa: E402

STAFF1 = "+998900000101"
STAFF2 = "+998900000102"
REPORTER = "+998931234567"
STRANGER = "+998939999888"
CANARY_TEXT = "Zyxwvutcanary"
CANARY_EMPLOYER = "Qwertyuiopcanary"
CANARY_REPLY = "Plmoknijbcanary"

ROSTER = f"""
cases: {{ enabled = true; }};
staff = (
  {{ name = "Dilnoza"; phone = "{STAFF1}"; languages = ["*"]; countries = ["*"]; topics = ["*"];
     timezone = "Asia/Tashkent"; duty = ["daily 00:00-24:00"]; }},
  {{ name = "Aziz"; phone = "{STAFF2}"; languages = ["*"]; countries = ["*"]; topics = ["*"];
     timezone = "Asia/Tashkent"; duty = ["daily 00:00-24:00"]; supervisor = true; }}
);
"""


class TestCasesSms(unittest.TestCase):
    def setUp(self):
        self.d = SmsDaemon()
        with open(self.d.y.conf, "a") as f:
            f.write(ROSTER)
        self.d.start()
        self.n = 100

    def tearDown(self):
        rc = self.d.y.stop()
        self.d.y.cleanup()
        self.assertEqual(rc, 0, "yordamd must exit cleanly on SIGTERM")

    def send(self, number, text):
        self.n += 1
        part_file(self.d.phone, self.n, number, text)

    def to(self, number):
        tail = number[-3:]
        return [l for l in self.d.outbox() if re.search(r" to \+?\**%s " % tail, l)]

    def wait_to(self, number, pattern, what):
        found = []

        def pred():
            found[:] = [l for l in self.to(number) if re.search(pattern, l)]
            return bool(found)
        self.d.wait(pred, what=what)
        return found

    def test_complaint_flow(self):
        self.send(REPORTER, f"COMPLAINT 1 {CANARY_EMPLOYER} does not pay {CANARY_TEXT}")
        line = self.wait_to(REPORTER, r"case \d{3} \d{4}\. PIN \d{4}", "the case number")[0]
        m = re.search(r"case (\d{3}) (\d{4})\. PIN (\d{4})", line)
        no, pin = m.group(1) + m.group(2), m.group(3)
        grouped = m.group(1) + " " + m.group(2)
        # a staff member is notified with number, category, country, language and an excerpt
        notes = self.wait_to(STAFF1, "Yordam case %s" % grouped, "the staff notification") if any(
            "Yordam case" in l for l in self.to(STAFF1)) else None
        if not notes:
            self.d.wait(lambda: any("Yordam case %s" % grouped in l for l in self.to(STAFF1) + self.to(STAFF2)),
                        what="the staff notification")
        staff = STAFF1 if any("Yordam case %s" % grouped in l for l in self.to(STAFF1)) else STAFF2
        note = [l for l in self.to(staff) if "Yordam case %s" % grouped in l][0]
        self.assertIn("unpaid wages", note)
        self.assertIn(CANARY_EMPLOYER, note)  # the excerpt goes to the roster phone only
        self.assertIn("Reply OK %s" % no, note)

        # the same command from a number not on the roster: answered like any unknown text
        self.send(STRANGER, "OK %s" % no)
        self.wait_to(STRANGER, "Not understood", "the stranger's answer")
        self.assertFalse(any("case" in l for l in self.to(STRANGER)))

        # claim, reply (relayed from the service), status, close
        self.send(staff, "OK %s" % no)
        self.wait_to(staff, "case %s is yours" % grouped, "the claim ack")
        self.wait_to(REPORTER, "being handled", "the reporter told of the claim")
        self.send(staff, "R %s %s, call us" % (no, CANARY_REPLY))
        self.wait_to(REPORTER, r"Yordam %s: %s, call us" % (grouped, CANARY_REPLY), "the relayed reply")
        self.send(REPORTER, "STATUS %s" % no)
        self.wait_to(REPORTER, "case %s: answered" % grouped, "the status")
        self.send(STRANGER, "STATUS %s" % no)
        self.wait_to(STRANGER, "unknown case or wrong PIN", "no status without the PIN")
        self.send(STRANGER, "STATUS %s %s" % (no, pin))
        self.wait_to(STRANGER, "case %s: answered" % grouped, "the status with the PIN")
        self.send(staff, "DONE %s sorted" % no)
        self.wait_to(REPORTER, "case %s is closed" % grouped, "the reporter told of the close")
        rc, out, err = self.d.y.ctl("cases", "list")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"%s complaint +wages +ZZ .*closed" % grouped)
        self.assertNotIn(REPORTER[-7:], out)

        # canary: nowhere in the database, its WAL or the log
        time.sleep(0.5)
        files = [self.d.y.db] + glob.glob(self.d.y.db + "-*") + [self.d.y.logpath]
        for path in files:
            with open(path, "rb") as f:
                data = f.read()
            for canary in (CANARY_TEXT, CANARY_EMPLOYER, CANARY_REPLY, REPORTER[1:], REPORTER[4:]):
                self.assertNotIn(canary.encode(), data, "%s found in %s" % (canary, path))
                self.assertNotIn(canary.encode("utf-16-le"), data)


class TestCasesBeep(unittest.TestCase):
    """A missed call (RING/+CLIP from the AT modem emulator, rejected) becomes one callback request,
    however often the caller rings within the window."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="yordam-cases-beep-")
        self.m = atmodem.AtModem(self.dir, name="usb-Yordam_Beep-if00", log=os.path.join(self.dir, "emulator.log"))
        self.m.start()
        self.y = Yordamd(content=CONTENT, gsup=False, workdir=self.dir, extra_config=f"""
sms: {{ rate_limit = 0; retry_base = 1; }};
modems = ( {{ name = "m1"; device = "{self.m.device}"; connection = "at"; poll_ms = 500; timeout_ms = 4000;
             reject_calls = true; }} );
{ROSTER}""")
        self.y.start(wait_link=False)
        self.y.wait_status("m1: READY", 40)

    def tearDown(self):
        rc = self.y.stop()
        self.m.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        self.assertEqual(rc, 0)

    def cases(self):
        rc, out, err = self.y.ctl("cases", "list")
        self.assertEqual(rc, 0, err)
        return [l for l in out.splitlines() if "callback" in l]

    def test_missed_call_is_one_callback(self):
        self.m.ring(REPORTER, times=3, interval=0.5)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not self.cases():
            time.sleep(0.2)
        self.assertEqual(len(self.cases()), 1, self.y.log_tail(30))
        time.sleep(2)
        self.m.ring(REPORTER, times=2, interval=0.5)
        time.sleep(4)
        self.assertEqual(len(self.cases()), 1)
        with open(self.y.logpath, "rb") as f:
            self.assertNotIn(REPORTER[1:].encode(), f.read())


if __name__ == "__main__":
    unittest.main()
