"""A complaint filed over USSD through a real OsmoHLR (issue 4): the form in the bundled content,
the case stored by the cases service, the case number shown on the final screen, and the on-duty
staff member's notification as it reaches the staff phone: decoded from the PDU the daemon submits
to the AT modem emulator (the daemon's only modem)."""
import os
import re
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import atmodem  # noqa: E402
import gsupmsc  # noqa: E402
import hlr as hlrmod  # noqa: E402
from yordamd import SRC, Yordamd  # noqa: E402

STAFF = "+998900000201"
MSISDN = "998931112233"

CONFIG = f"""
cases: {{ enabled = true; claim_timeout = 600; }};
staff = (
  {{ name = "Dilnoza"; phone = "{STAFF}"; languages = ["*"]; countries = ["*"]; topics = ["*"];
     timezone = "Asia/Tashkent"; duty = ["daily 00:00-24:00"]; }}
);
"""


class CasesUssd(unittest.TestCase):
    def setUp(self):
        self.hlr = hlrmod.Hlr(euse=['yordam'], routes=[('*100', 'yordam')]).start()
        hlrmod.LIVE.append(self.hlr)
        self.mdir = tempfile.mkdtemp(prefix='yordam-cases-ussd-modem-')
        self.m = atmodem.AtModem(self.mdir, name='usb-Yordam_Ussd-if00', log=os.path.join(self.mdir, 'emulator.log'))
        self.m.start()
        modem = f"""
sms: {{ rate_limit = 0; retry_base = 1; }};
modems = ( {{ name = "m1"; device = "{self.m.device}"; connection = "at"; poll_ms = 300; timeout_ms = 4000; }} );
"""
        self.d = Yordamd(hlr_address=self.hlr.addr, content=os.path.join(SRC, 'menus', 'content'),
                         extra_gsup='msisdn_lookup = true; ctrl_address = "%s";' % self.hlr.addr,
                         extra_config=CONFIG + modem)
        self.d.name, self.d.log_path = 'yordamd', self.d.logpath
        hlrmod.LIVE.append(self.d)
        self.d.start()
        self.hlr.wait_peer('EUSE-yordam')
        self.d.wait_status('m1: READY', 40)
        self.msc = self.hlr.msc()

    def tearDown(self):
        self.msc.close()
        rc = self.d.stop()
        log = self.d.log_text()
        self.d.cleanup()
        self.m.stop()
        shutil.rmtree(self.mdir, ignore_errors=True)
        self.hlr.close()
        hlrmod.LIVE.clear()
        self.assertEqual(rc, 0, log[-3000:])

    def step(self, imsi, sid, answer, *needles):
        r = self.msc.cont(imsi, sid, answer)
        for n in needles:
            self.assertIn(n, r.text or '', 'after %r: %r' % (answer, r.text))
        return r

    def test_complaint_over_ussd(self):
        imsi = '90170%010d' % (os.getpid() % 10**6)
        self.hlr.create_subscriber(imsi, msisdn=MSISDN)
        r = self.msc.begin(imsi, '*100#')
        sid = r.session_id
        self.assertIn('4 English', r.text)
        self.step(imsi, sid, '4', 'Language saved')
        self.d.wait_status('msisdn_known=1', 10)  # the caller's number is known before the form ends
        r = self.step(imsi, sid, '4')
        while '8 ' not in r.text and '9 ' in r.text:
            r = self.step(imsi, sid, '9')
        r = self.step(imsi, sid, '8')  # File a complaint
        screens = [r.text]
        # category 1 (unpaid wages), country 1, a short employer, for myself, consent, confirm
        for answer in ('1', '1', 'Canaryemployer', '1', '1', '1'):
            if r.final:
                break
            r = self.msc.cont(imsi, sid, answer)
            screens.append(r.text)
        self.assertTrue(r.final, '\n---\n'.join(screens))
        self.assertEqual(r.component.type, gsupmsc.RETURN_RESULT)
        m = re.search(r'\b(\d{7,12})\b', r.text)
        self.assertIsNotNone(m, r.text)
        case_no = m.group(1)
        if os.environ.get("SHOW"):
            print("\n---\n".join(screens))

        rc, out, err = self.d.ctl('cases', 'list')
        self.assertEqual(rc, 0, err)
        self.assertTrue(any(case_no in re.sub(r'[ -]', '', l) for l in out.splitlines()), out)
        self.assertNotIn(MSISDN, out)  # numbers masked in the operator's list
        # show decrypts on demand; export leaves personal data out unless asked
        rc, out, err = self.d.ctl('cases', 'show', case_no)
        self.assertEqual(rc, 0, err)
        self.assertIn('Canaryemployer', out)
        self.assertIn(MSISDN, out)
        self.assertIn('wages', out)
        rc, out, err = self.d.ctl('cases', 'export')
        self.assertEqual(rc, 0, err)
        self.assertIn(case_no, out)
        self.assertNotIn(MSISDN, out)
        self.assertNotIn('Canaryemployer', out)
        rc, out, err = self.d.ctl('cases', 'export', '--decrypt')
        self.assertEqual(rc, 0, err)
        self.assertIn('Canaryemployer', out)
        rc, out, err = self.d.ctl('cases', 'show', '1234567')
        self.assertNotEqual(rc, 0)
        self.assertRegex(err, 'no such case|usage')
        # the on-duty staff member's phone gets the notification: case number, category, country, language,
        # the employer typed in the form, how to claim
        grouped = case_no[:-4] + ' ' + case_no[-4:]

        def note():
            with self.m.lock:
                return [x.text for x in self.m.submitted if x.number == STAFF and x.error is None and
                        'Yordam case %s' % grouped in x.text]
        self.assertTrue(self.m.wait_for(lambda: bool(note()), timeout=30), self.d.log_tail(30))
        self.assertRegex(note()[0], r'^Yordam case %s: unpaid wages, [A-Z]{2}, en: Canaryemployer\. Reply OK %s$'
                         % (grouped, case_no))
        # and the caller gets the case number and PIN by SMS too
        self.assertTrue(self.m.wait_for(lambda: any(x.number == '+' + MSISDN and grouped in x.text
                                                    for x in self.m.submitted), timeout=30))
        # nothing personal in the clear in the database, its WAL or the log
        for name in ('yordam.db', 'yordam.db-wal', 'yordamd.log'):
            path = os.path.join(self.d.dir, name)
            if os.path.exists(path):
                with open(path, 'rb') as f:
                    data = f.read()
                self.assertNotIn(b'Canaryemployer', data, name)
                self.assertNotIn(MSISDN.encode(), data, name)

    def test_callback_tells_when(self):
        """'Call me back' over USSD: with the staff member on duty, "as soon as possible"; after OFF (sent from
        the staff phone through the modem), the hours until the OFF ends."""
        imsi = '90171%010d' % (os.getpid() % 10**6)
        self.hlr.create_subscriber(imsi, msisdn=MSISDN)

        def callback_screen():
            r = self.msc.begin(imsi, '*100#')
            sid = r.session_id
            if '4 English' in r.text:
                r = self.step(imsi, sid, '4', 'Language saved')
            r = self.step(imsi, sid, '5')  # Hotlines
            while 'Call me back' not in r.text and '9 ' in r.text:
                r = self.step(imsi, sid, '9')
            key = re.search(r'(\d) Call me back', r.text).group(1)
            r = self.step(imsi, sid, key, 'call you back')
            r = self.step(imsi, sid, '1')
            self.assertTrue(r.final, r.text)
            return r.text

        self.assertIn('as soon as possible', callback_screen())
        self.m.deliver(STAFF, 'OFF')
        self.assertTrue(self.m.wait_for(lambda: any(x.number == STAFF and 'OFF until' in x.text
                                                    for x in self.m.submitted), timeout=30), self.d.log_tail(30))
        # a second request within the beep window is "already pending": file it from another subscriber
        imsi = '90172%010d' % (os.getpid() % 10**6)
        self.hlr.create_subscriber(imsi, msisdn='998931112244')
        # the staff member is back when the OFF ends (the daemon says when, to the minute, in the staff member's zone)
        import datetime
        import zoneinfo
        off = [x.text for x in self.m.submitted if x.number == STAFF and 'OFF until' in x.text][0]
        d, mo, h, mi, zone = re.search(r'until (\d\d)\.(\d\d) (\d\d):(\d\d) ([\w/]+)\.', off).groups()
        self.assertEqual(zone, 'Asia/Tashkent', off)
        tz = zoneinfo.ZoneInfo(zone)
        now = datetime.datetime.now(tz)
        until = now.replace(month=int(mo), day=int(d), hour=int(h), minute=int(mi), second=0, microsecond=0)
        if until < now - datetime.timedelta(days=1):
            until = until.replace(year=now.year + 1)
        secs = (until - now).total_seconds()
        text = callback_screen()
        self.assertTrue(any('in about %d h' % n in text for n in {int(secs // 3600), -(-int(secs) // 3600),
                                                                   -(-int(secs + 60) // 3600)}), (text, off))
    def test_console_dial_as_a_phone(self):
        """yordamctl dial --as +NUMBER stands for that phone, so an operator can file a test complaint from
        the console; an ID that is not a number cannot file one (no number to answer)."""
        keys = '4\n4\n8\n1\n1\nConsoleco\n1\n1\n1\n'
        rc, out, err = self.d.ctl('dial', '*100#', '--as', '+998931119999', stdin=keys)
        self.assertIn('Complaint saved', out, out + err)
        m = re.search(r'Case number: (\d{7,12})', out)
        self.assertIsNotNone(m, out)
        rc, out2, err = self.d.ctl('cases', 'show', m.group(1))
        self.assertIn('+998931119999', out2)
        self.assertIn('Consoleco', out2)
        rc, out, err = self.d.ctl('dial', '*100#', '--as', 'operator', stdin=keys)
        self.assertNotIn('Complaint saved', out)
        self.assertIn('not saved', out)
        # the test clock is off unless configured: nobody moves an appliance's time from the console
        rc, out, err = self.d.ctl('clock', 'advance', '600')
        self.assertNotEqual(rc, 0)
        self.assertIn('control.test_clock', out + err)


if __name__ == '__main__':
    hlrmod.run_tests()
