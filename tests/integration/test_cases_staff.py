"""Issue 4, the staff side on a real modem path. yordamd runs with two modems: libgammu's dummy phone
(the reporters' messages come in there; replies to +99893... go out there) and an AT modem emulator on a
pseudo-terminal for the hotline staff (+99890...: what the daemon sends to a staff phone is checked in the
PDUs the emulator decodes; the staff's own messages come in there). The daemon's clock is libosmocore's
override (control.test_clock), moved with `yordamctl clock advance` instead of sleeping.

- a complaint filed by SMS reaches the on-duty staff member's phone with case number, category, country,
  language and excerpt; the staff member claims it and answers from that phone; the reporter gets the answer
  from the service;
- the network refuses every SMS to one staff member: the case escalates to the next person at once;
- nobody claims: when the clock passes the claim timeout the case escalates;
- nobody on duty: the reporter is told in how many hours to expect contact, and the case goes out when a
  staff member comes on duty (ON);
- complaints of one kind reaching the early-warning threshold alert the staff on duty, once per window;
- a staff member whose roster languages are ["ru"] gets the notification and the answers in Russian;
- a malformed command (mistyped case number, R without a text, ...) is answered in the staff member's language
  from the pack's staff_err_* texts: Russian, Uzbek or English."""
import os
import re
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import atmodem  # noqa: E402
from test_sms_dummy import CONTENT, part_file  # noqa: E402
from yordamd import Yordamd  # noqa: E402

STAFF1 = "+998900000101"
STAFF2 = "+998900000102"
STAFF3 = "+998900000103"
REPORTER = "+998931234567"


def roster(duty1="daily 00:00-24:00", duty2="daily 00:00-24:00"):
    return f"""
staff = (
  {{ name = "Dilnoza"; phone = "{STAFF1}"; languages = ["*"]; countries = ["*"]; topics = ["*"];
     timezone = "Asia/Tashkent"; duty = ["{duty1}"]; }},
  {{ name = "Aziz"; phone = "{STAFF2}"; languages = ["*"]; countries = ["*"]; topics = ["*"];
     timezone = "Asia/Tashkent"; duty = ["{duty2}"]; supervisor = true; }}
);
"""


class StaffPhones(unittest.TestCase):
    cases_cfg = "claim_timeout = 600; warn_threshold = 3;"
    roster_cfg = roster()

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="yordam-cases-staff-")
        self.phone = os.path.join(self.dir, "phone")
        os.makedirs(self.phone)
        self.m = atmodem.AtModem(self.dir, name="usb-Yordam_Staff-if00", log=os.path.join(self.dir, "emulator.log"))
        self.m.start()
        self.y = Yordamd(content=CONTENT, gsup=False, workdir=self.dir, test_clock=True, extra_config=f"""
sms: {{ rate_limit = 0; retry_base = 1; retry_max = 2; }};
modems = (
  {{ name = "m1"; device = "{self.phone}"; connection = "none"; model = "dummy"; poll_ms = 200; prefixes = "+99893"; }},
  {{ name = "m2"; device = "{self.m.device}"; connection = "at"; poll_ms = 300; timeout_ms = 4000;
     prefixes = "+99890"; }}
);
cases: {{ enabled = true; {self.cases_cfg} }};
{self.roster_cfg}""")
        self.y.start(wait_link=False)
        self.y.wait_status("m1: READY", 40)
        self.y.wait_status("m2: READY", 40)
        self.n = 100

    def tearDown(self):
        rc = self.y.stop()
        self.m.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        self.assertEqual(rc, 0, "yordamd must exit cleanly on SIGTERM")

    # --- helpers ---

    def report(self, text, number=REPORTER):
        self.n += 1
        part_file(self.phone, self.n, number, text)

    def staff_says(self, number, text):
        self.m.deliver(number, text)

    def to_staff(self, number, pattern=None, ok=True):
        """Texts the emulator decoded for number (sent: ok=True; refused by the "network": ok=False)."""
        with self.m.lock:
            subs = list(self.m.submitted)
        return [s.text for s in subs if s.number == number and (s.error is None) == ok and
                (pattern is None or re.search(pattern, s.text))]

    def wait(self, pred, what, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pred():
                return
            time.sleep(0.1)
        raise AssertionError("timed out waiting for %s\n%s" % (what, self.y.log_tail(40)))

    def outbox_to(self, number, pattern):
        rc, out, err = self.y.ctl("sms", "outbox", "200")
        self.assertEqual(rc, 0, err)
        return [l for l in out.splitlines() if re.search(r" to \+?\**%s " % number[-3:], l) and re.search(pattern, l)]

    def file_case(self, text):
        self.report(text)
        line = []
        self.wait(lambda: line.extend(self.outbox_to(REPORTER, r"case \d{3} \d{4}")) or line, "the case number")
        return re.search(r"case (\d{3} \d{4})", line[0]).group(1)

    def advance(self, seconds):
        rc, out, err = self.y.ctl("clock", "advance", str(seconds))
        self.assertEqual(rc, 0, out + err)

    def case_line(self, grouped):
        rc, out, err = self.y.ctl("cases", "list")
        self.assertEqual(rc, 0, err)
        return [l for l in out.splitlines() if grouped in l]


class TestStaffPhones(StaffPhones):
    def test_notification_claim_answer(self):
        grouped = self.file_case("COMPLAINT 1 the employer keeps my passport and pays nothing")
        no = grouped.replace(" ", "")
        self.wait(lambda: self.to_staff(STAFF1, "Yordam case %s" % grouped), "the notification on the staff phone")
        note = self.to_staff(STAFF1, "Yordam case %s" % grouped)[0]
        self.assertIn("unpaid wages", note)
        self.assertIn("ZZ", note)  # no country by SMS
        self.assertIn("en", note)  # the reporter's language
        self.assertIn("keeps my passport", note)  # the excerpt
        self.assertIn("Reply OK %s" % no, note)
        self.assertEqual(self.to_staff(STAFF2, grouped), [])  # round robin: one person

        self.staff_says(STAFF1, "OK %s" % no)
        self.wait(lambda: self.to_staff(STAFF1, "case %s is yours" % grouped), "the claim ack on the staff phone")
        self.staff_says(STAFF1, "R %s Come to the office on Monday" % no)
        self.wait(lambda: self.outbox_to(REPORTER, "Yordam %s: Come to the office on Monday" % grouped),
                  "the answer relayed to the reporter")
        # the reporter never sees the staff member's number
        self.assertEqual(self.outbox_to(REPORTER, STAFF1[-7:]), [])

    def test_refused_notification_escalates(self):
        self.m.fail_sends_to[STAFF1] = 38  # network out of order, for every attempt
        grouped = self.file_case("COMPLAINT 3 no safety gear on the site")
        self.wait(lambda: self.to_staff(STAFF1, "Yordam case %s" % grouped, ok=False), "the refused notification")
        # retry_max = 2: after the second refusal the outbox gives up and the case goes to the next person
        self.wait(lambda: self.to_staff(STAFF2, r"Yordam case %s: .*\(escalated\)" % grouped),
                  "the escalation to the second staff member")
        self.assertRegex(self.case_line(grouped)[0], r"notified .*esc 1")
        rc, out, err = self.y.ctl("cases", "show", grouped.replace(" ", ""))
        self.assertIn("notify-failed", out)

    def test_unclaimed_escalates_on_the_clock(self):
        grouped = self.file_case("COMPLAINT 5 they threaten me")
        self.wait(lambda: self.to_staff(STAFF1, "Yordam case %s" % grouped), "the first notification")
        time.sleep(2)
        self.assertEqual(self.to_staff(STAFF2, grouped), [], "no escalation before the claim timeout")
        for bad in ('0', '-5', 'ten', '10s', '99999999999'):  # refused, the clock stays
            rc, out, err = self.y.ctl("clock", "advance", bad)
            self.assertNotEqual(rc, 0, bad)
        time.sleep(1)
        self.assertEqual(self.to_staff(STAFF2, grouped), [], "a refused advance moved the clock")
        self.advance(601)  # claim_timeout = 600
        self.wait(lambda: self.to_staff(STAFF2, r"Yordam case %s: .*\(escalated\)" % grouped), "the escalation")
        self.assertRegex(self.case_line(grouped)[0], r"esc 1")

    def test_early_warning(self):
        for i in range(3):  # warn_threshold = 3: unpaid wages, country unknown, employer not given
            self.report("COMPLAINT 1 wages unpaid since March, worker %d" % i, number="+99893765432%d" % i)
        for staff in (STAFF1, STAFF2):  # both on duty
            self.wait(lambda: self.to_staff(staff, r"Yordam alert: 3 unpaid wages complaints, ZZ, employer not given"),
                      "the alert to %s" % staff)
        # a fourth within the window does not alert again
        self.report("COMPLAINT 1 wages unpaid again", number="+998937654329")
        self.wait(lambda: len(self.outbox_to("+998937654329", r"case \d{3} \d{4}")) == 1, "the fourth case")
        time.sleep(2)
        self.assertEqual(len(self.to_staff(STAFF1, "Yordam alert")), 1)


class TestNobodyOnDuty(StaffPhones):
    # Both work 09:00-10:00 Tashkent time; the test computes when that window next starts from "now" and checks
    # the promise in hours.
    roster_cfg = roster(duty1="daily 09:00-10:00", duty2="daily 09:00-10:00")

    def test_waits_and_tells_reporter(self):
        import datetime
        now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=5)))
        if 8 <= now.hour < 10:
            self.skipTest("someone is on duty right now (Tashkent time)")
        grouped = self.file_case("COMPLAINT 2 they took my passport")
        nxt = now.replace(hour=9, minute=0, second=0, microsecond=0)
        if nxt <= now:
            nxt += datetime.timedelta(days=1)
        hours = -(-int((nxt - now).total_seconds()) // 3600)
        line = []
        self.wait(lambda: line.extend(self.outbox_to(REPORTER, "nobody is on duty")) or line, "the promise")
        self.assertTrue(any("in about %d h" % h in line[0] for h in (hours, hours - 1, hours + 1)), line[0])
        self.assertEqual(self.to_staff(STAFF1, grouped), [])
        # the staff member comes on duty early (ON): the waiting case goes out now
        self.staff_says(STAFF1, "ON")
        self.wait(lambda: self.to_staff(STAFF1, "Yordam case %s" % grouped), "the waiting case on ON")


class TestStaffLanguage(StaffPhones):
    # Oleg reads Russian: his texts come from the pack's staff_* keys in ru. Aziz (Uzbek only, supervisor) and Emma
    # (English only) do not match a Russian case, so the round robin cannot hand it to them.
    roster_cfg = f"""
staff = (
  {{ name = "Oleg"; phone = "{STAFF1}"; languages = ["ru"]; countries = ["*"]; topics = ["*"];
     timezone = "Asia/Tashkent"; duty = ["daily 00:00-24:00"]; }},
  {{ name = "Aziz"; phone = "{STAFF2}"; languages = ["uz"]; countries = ["*"]; topics = ["*"];
     timezone = "Asia/Tashkent"; duty = ["daily 00:00-24:00"]; supervisor = true; }},
  {{ name = "Emma"; phone = "{STAFF3}"; languages = ["en"]; countries = ["*"]; topics = ["*"];
     timezone = "Asia/Tashkent"; duty = ["daily 00:00-24:00"]; }}
);
"""

    def staff_text(self, number):
        """Everything sent to number, parts joined (a part boundary drops the space there)."""
        return " ".join(self.to_staff(number))

    def test_russian_notification_and_answers(self):
        # the reporter picks Russian, then complains: the case's language is ru
        self.report("Русский")
        self.wait(lambda: self.outbox_to(REPORTER, "."), "the answer to the language switch")
        self.report("ЖАЛОБА 1 не платят три месяца")
        line = []
        self.wait(lambda: line.extend(self.outbox_to(REPORTER, r"дело \d{3} \d{4}")) or line, "the case number")
        grouped = re.search(r"дело (\d{3} \d{4})", line[0]).group(1)
        no = grouped.replace(" ", "")
        # two UCS-2 parts: wait for the last one
        self.wait(lambda: "Ответьте: OK %s" % no in self.staff_text(STAFF1), "the Russian notification")
        self.assertIn("Yordam дело %s:" % grouped, self.staff_text(STAFF1))
        note = self.staff_text(STAFF1)
        self.assertIn("Не платят зарплату", note)  # the pack's category in Russian
        self.assertIn("ZZ, ru:", note)
        self.assertIn("не платят три месяца", note)  # the excerpt
        self.assertIn("Ответьте: OK %s" % no, note)  # the command stays Latin
        self.assertNotIn("Reply OK", note)
        self.assertEqual(self.to_staff(STAFF2, grouped), [])

        self.staff_says(STAFF1, "OK %s" % no)
        self.wait(lambda: "Yordam: дело %s за вами." % grouped in self.staff_text(STAFF1), "the claim ack in Russian")
        self.staff_says(STAFF1, "OK 1234566")  # a valid number no case has
        self.wait(lambda: "Yordam: дела 123 4566 нет." in self.staff_text(STAFF1), "no such case, in Russian")
        self.assertEqual(self.to_staff(STAFF3), [])

        # the words put into staff texts ({kind}, {state}) are the pack's too
        self.staff_says(STAFF1, "INFO %s" % no)
        self.wait(lambda: "эскалаций: 0" in self.staff_text(STAFF1), "INFO in Russian")
        info = self.staff_text(STAFF1)
        self.assertIn("Yordam дело %s: жалоба, Не платят зарплату, ZZ, ru, взято в работу, эскалаций: 0" % grouped,
                      info)
        self.staff_says(STAFF1, "DONE %s spasibo" % no)
        self.wait(lambda: "case %s: close by Oleg -> closed" % grouped in self.y.log_text(), "the close")
        # a reply to a closed case: its state is the answer (not a second "OK": the inbox would take the same text
        # from the same phone with the emulator's fixed timestamp for a network retry)
        self.staff_says(STAFF1, "R %s eshche odin vopros" % no)
        self.wait(lambda: "Yordam: дело %s: закрыто." % grouped in self.staff_text(STAFF1), "the state, in Russian")
        # the English reader gets English words
        self.staff_says(STAFF3, "INFO %s" % no)
        self.wait(lambda: "escalations 0" in self.staff_text(STAFF3), "INFO in English")
        self.assertIn("Yordam case %s: complaint, unpaid wages, ZZ, ru, closed, escalations 0" % grouped,
                      self.staff_text(STAFF3))

    def answered(self, number, says, expect, what, coding="gsm7"):
        """number sends says; its phone gets the SMS expect (one part: the whole text of one decoded PDU)."""
        before = len(self.to_staff(number))
        self.m.deliver(number, says, coding=coding)
        self.wait(lambda: len(self.to_staff(number)) > before, what)
        got = self.to_staff(number)[before:]
        self.assertEqual(got, [expect], what)

    def test_malformed_commands_in_staff_language(self):
        # The parser refuses these before any case look-up: no case is needed. 1234566 is a valid number; a changed
        # last digit breaks its check digit.
        self.answered(STAFF1, "OK 1234567", "Yordam: ошибка в номере дела (контрольная цифра). Проверьте номер.",
                      "check digit wrong, in Russian")
        self.answered(STAFF1, "R 1234566", "Yordam: нет текста ответа. Пишите так: R <номер> <текст>",
                      "R without a text, in Russian")
        self.answered(STAFF1, "Р", "Yordam: нет номера дела. Пример: OK <номер>, R <номер> <текст>",
                      "no case number (Cyrillic R), in Russian", coding="ucs2")
        self.answered(STAFF1, "OK 12345", "Yordam: в номере дела 7 цифр, например: OK 123 4566. Проверьте номер.",
                      "5 digits, in Russian")
        self.answered(STAFF1, "OK 1234566 спасибо", "Yordam: лишний текст после команды. Текст - только с R и DONE.",
                      "text after OK, in Russian", coding="ucs2")
        # the same mistakes from the English reader, and one from the Uzbek reader (uz: the pack's uz-Latn)
        self.answered(STAFF3, "OK 1234567",
                      "Yordam: case number mistyped (check digit wrong). Check the number and send again.",
                      "check digit wrong, in English")
        self.answered(STAFF3, "R 1234566", "Yordam: reply text missing. Write: R <case> <text>",
                      "R without a text, in English")
        self.answered(STAFF2, "OK 1234567", "Yordam: ish raqamida xato bor (nazorat raqami). Raqamni tekshiring.",
                      "check digit wrong, in Uzbek")
        # nothing was filed, claimed or sent to a reporter
        self.assertEqual(self.case_line("123 4566"), [])
        # the log keeps the parser's English, with the staff member's name, not the number
        self.assertIn("cases: command from Oleg refused: case number mistyped (check digit wrong)",
                      self.y.log_text())


if __name__ == "__main__":
    unittest.main()
