"""A complaint filed over USSD through a real OsmoHLR (issue 4): the form in the bundled content,
the case stored by the cases service, the case number shown on the final screen, and the on-duty
staff member's notification queued in the SMS outbox (no modem here: it waits there)."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
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
        self.d = Yordamd(hlr_address=self.hlr.addr, content=os.path.join(SRC, 'menus', 'content'),
                         extra_gsup='msisdn_lookup = true; ctrl_address = "%s";' % self.hlr.addr,
                         extra_config=CONFIG)
        self.d.name, self.d.log_path = 'yordamd', self.d.logpath
        hlrmod.LIVE.append(self.d)
        self.d.start()
        self.hlr.wait_peer('EUSE-yordam')
        self.msc = self.hlr.msc()

    def tearDown(self):
        self.msc.close()
        rc = self.d.stop()
        log = self.d.log_text()
        self.d.cleanup()
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
        # the on-duty staff member's notification is queued for sending
        rc, out, err = self.d.ctl('sms', 'outbox')
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r'to \+?\**201 ')
        # nothing personal in the clear in the database, its WAL or the log
        for name in ('yordam.db', 'yordam.db-wal', 'yordamd.log'):
            path = os.path.join(self.d.dir, name)
            if os.path.exists(path):
                with open(path, 'rb') as f:
                    data = f.read()
                self.assertNotIn(b'Canaryemployer', data, name)
                self.assertNotIn(MSISDN.encode(), data, name)


if __name__ == '__main__':
    hlrmod.run_tests()
