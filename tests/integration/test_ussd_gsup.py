"""yordamd as OsmoHLR's External USSD Entity, end to end on loopback.

Real peers: Debian's osmo-hlr routes *100 to our EUSE; a GSUP client playing the MSC
(gsupmsc.py, with its own strict BER decoder) drives dialogs; yordamd serves the integration
test pack (tests/data/ipack). Every reply the MSC receives has passed the strict decoder.
"""
import os
import re
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gsupmsc  # noqa: E402
from gsupmsc import CONTINUE, END, INVOKE, RETURN_RESULT  # noqa: E402
import hlr as hlrmod  # noqa: E402
from yordamd import Yordamd  # noqa: E402

IDLE = 5  # the daemon's idle timeout in these tests, seconds
CAP_GSM7, CAP_UCS2 = 128, 56
EN, RU, UZ = '3', '2', '1'  # language keys in tests/data/ipack

EQUAL_PAY_EN = ("You have the right to equal pay and equal conditions with local workers. This right is written "
                "in the 1990 Convention on migrant workers. Your employer may not keep your passport. If there is "
                "a problem, call a hotline and keep copies of all your documents, contracts and pay slips in a "
                "safe place.")


def gsm7_units(text):
    return len(gsupmsc.gsm7_encode(text))


def is_gsm7(text):
    try:
        gsupmsc.gsm7_encode(text)
        return True
    except (ValueError, KeyError):
        return False


_imsi = iter(range(1, 10**6))


def new_imsi():
    return '90170%04d%06d' % (os.getpid() % 10000, next(_imsi))


class UssdGsup(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hlr = hlrmod.Hlr(euse=['yordam'], routes=[('*100', 'yordam')], guard_timeout=30).start()
        hlrmod.LIVE.append(cls.hlr)
        cls.d = Yordamd(hlr_address=cls.hlr.addr, idle_timeout=IDLE, max_gsm7=CAP_GSM7, max_ucs2=CAP_UCS2,
                        extra_gsup='msisdn_lookup = true; ctrl_address = "%s";' % cls.hlr.addr)
        cls.d.name = 'yordamd'
        cls.d.log_path = cls.d.logpath
        hlrmod.LIVE.append(cls.d)
        cls.d.start()
        cls.hlr.wait_peer('EUSE-yordam')
        cls.msc = cls.hlr.msc()

    @classmethod
    def tearDownClass(cls):
        cls.msc.close()
        rc = cls.d.stop()
        log = cls.d.log_text()
        cls.d.cleanup()
        cls.hlr.close()
        hlrmod.LIVE.clear()
        # A clean shutdown under ASan exits 0 only without leaks or errors.
        if rc != 0:
            raise AssertionError('yordamd exited with %r on SIGTERM:\n%s' % (rc, log[-4000:]))

    def assert_screen(self, r, *needles, final=False):
        self.assertEqual(r.state, END if final else CONTINUE, r)
        if final:
            self.assertEqual(r.msg_type, gsupmsc.PROC_SS_RESULT, r)
            self.assertEqual(r.component.type, RETURN_RESULT, r)
            self.assertEqual(r.component.opcode, gsupmsc.OP_PROCESS_USS_REQ, r)
        else:
            self.assertEqual(r.msg_type, gsupmsc.PROC_SS_REQUEST, r)
            self.assertEqual(r.component.type, INVOKE, r)
            self.assertEqual(r.component.opcode, gsupmsc.OP_USS_REQ, r)
        self.assertEqual(r.message_class, gsupmsc.MESSAGE_CLASS_USSD, r)
        for n in needles:
            self.assertIn(n, r.text)
        if is_gsm7(r.text):
            self.assertEqual(r.dcs, 0x0F, r)
            self.assertLessEqual(gsm7_units(r.text), CAP_GSM7, r.text)
        else:
            self.assertEqual(r.dcs, 0x48, r)
            self.assertLessEqual(len(r.text.encode('utf-16-be')) // 2, CAP_UCS2, r.text)
        return r

    def dial(self, lang=EN, code='*100#'):
        """A fresh subscriber who picks a language; returns (imsi, sid, main menu reply)."""
        imsi = new_imsi()
        r = self.msc.begin(imsi, code)
        self.assert_screen(r, '1 O\'zbekcha', '2 Русский', '3 English')
        sid = r.session_id
        r = self.msc.cont(imsi, sid, lang)
        return imsi, sid, r

    def status(self):
        rc, out, err = self.d.ctl('status')
        self.assertEqual(rc, 0, err)
        return out

    def wait_status(self, pattern, timeout=10):
        deadline = time.time() + timeout
        while True:
            out = self.status()
            if re.search(pattern, out):
                return out
            if time.time() > deadline:
                self.fail('status never matched %r:\n%s' % (pattern, out))
            time.sleep(0.05)

    # --- the tests ---

    def test_language_pick_navigation_and_memory(self):
        imsi, sid, r = self.dial(EN)
        self.assert_screen(r, 'Language saved', '1 Your rights', '2 Hotlines', '3 Language')
        self.assertNotIn('0 Back', r.text)  # nothing to go back to from the main menu
        r = self.assert_screen(self.msc.cont(imsi, sid, '1'), 'Your rights', '1 Equal pay', '2 Documents', '0 Back')
        r = self.assert_screen(self.msc.cont(imsi, sid, '2'), 'Documents', 'Your passport is yours.')
        r = self.assert_screen(self.msc.cont(imsi, sid, '0'), 'Your rights', '1 Equal pay')
        r = self.assert_screen(self.msc.cont(imsi, sid, '0'), 'Yordam', '1 Your rights')
        self.msc.abort(imsi, sid)
        # The language is remembered: the next dial goes straight to the main menu.
        r = self.msc.begin(imsi, '*100#')
        self.assert_screen(r, 'Yordam', '1 Your rights')
        self.assertNotIn('Language saved', r.text)
        # *100*1*2# goes straight to Your rights > Documents.
        self.msc.abort(imsi, r.session_id)
        r = self.msc.begin(imsi, '*100*1*2#')
        self.assert_screen(r, 'Documents', 'Your passport is yours.')
        self.msc.abort(imsi, r.session_id)

    def test_paginated_article_pages_at_cap(self):
        imsi, sid, r = self.dial(EN)
        self.msc.cont(imsi, sid, '1')
        r = self.assert_screen(self.msc.cont(imsi, sid, '1'), 'Equal pay', '9 More')
        pages = [r.text]
        while '9 More' in r.text:
            r = self.assert_screen(self.msc.cont(imsi, sid, '9'))
            pages.append(r.text)
            self.assertLess(len(pages), 10)
        self.assertGreaterEqual(len(pages), 3)
        bodies = []
        for i, p in enumerate(pages):
            lines = p.split('\n')
            footer = lines[-1]
            self.assertRegex(footer, r'^(9 More )?0 Back 00 Home$')
            body = '\n'.join(lines[1:-1] if i == 0 else lines[:-1])
            bodies.append(body)
            if i < len(pages) - 1:
                # A full page: the next word would not have fitted.
                nxt = EQUAL_PAY_EN[len(' '.join(bodies)):].split()[0]
                self.assertGreater(gsm7_units(p) + 1 + len(nxt), CAP_GSM7, 'page %d not full: %r' % (i, p))
        self.assertEqual(' '.join(bodies), EQUAL_PAY_EN)
        # 0 goes back a page, then 9 forward again: the caller keeps their place.
        r = self.assert_screen(self.msc.cont(imsi, sid, '0'))
        self.assertEqual(r.text, pages[-2])
        self.msc.abort(imsi, sid)

    def test_invalid_input_keeps_place(self):
        imsi, sid, r = self.dial(EN)
        self.msc.cont(imsi, sid, '1')
        # (An empty answer never reaches us: OsmoHLR refuses it itself.)
        for bad in ('7', 'abc', '#', '10', ' '):
            r = self.assert_screen(self.msc.cont(imsi, sid, bad), 'Invalid choice', '1 Equal pay', '2 Documents')
        self.assert_screen(self.msc.cont(imsi, sid, '2'), 'Your passport is yours.')
        # In an article only 0/00/9 mean something.
        r = self.assert_screen(self.msc.cont(imsi, sid, '5'), 'Invalid choice', '0 Back')
        self.assert_screen(self.msc.cont(imsi, sid, '0'), 'Your rights')
        self.msc.abort(imsi, sid)

    def test_ucs2_answer_from_phone(self):
        # A handset set to UCS-2 sends its answers UCS-2 coded (DCS 0x48): decoded like GSM-7.
        imsi, sid, r = self.dial(EN)
        inv = self.msc._net_invoke[sid]
        self.msc.send(gsupmsc.PROC_SS_REQUEST, imsi, sid, CONTINUE,
                      gsupmsc.encode_return_result(inv, gsupmsc.OP_USS_REQ, '1', dcs=0x48,
                                                   octets='1'.encode('utf-16-be')))
        self.assert_screen(self.msc.wait_reply(sid), 'Your rights', '1 Equal pay')
        self.msc.abort(imsi, sid)

    def test_russian_ucs2_screens(self):
        imsi, sid, r = self.dial(RU)
        self.assert_screen(r, 'Сохранено' if 'Сохранено' in r.text else 'Язык сохранён')
        self.assertEqual(r.dcs, 0x48)
        self.msc.cont(imsi, sid, '1')
        r = self.assert_screen(self.msc.cont(imsi, sid, '1'), 'Равная оплата')
        n = 1
        while 'Ещё' in r.text:
            r = self.assert_screen(self.msc.cont(imsi, sid, '9'))
            self.assertEqual(r.dcs, 0x48)
            n += 1
        self.assertGreater(n, 3)
        self.msc.abort(imsi, sid)

    def test_uzbek_latin_stays_gsm7(self):
        imsi, sid, r = self.dial(UZ)
        self.assert_screen(r, "Til saqlandi", "1 Huquqlaringiz")
        self.assertEqual(r.dcs, 0x0F)
        self.msc.cont(imsi, sid, '1')
        r = self.assert_screen(self.msc.cont(imsi, sid, '1'), 'Teng ish haqi')
        self.assertEqual(r.dcs, 0x0F)  # oʻ/gʻ folded to '
        self.msc.abort(imsi, sid)

    def test_idle_timeout_ends_cleanly(self):
        imsi, sid, r = self.dial(EN)
        t0 = time.monotonic()
        r = self.msc.wait_reply(sid, timeout=IDLE + 5)
        waited = time.monotonic() - t0
        self.assert_screen(r, 'Time is up', final=True)
        # The final ReturnResult answers the phone's own first Invoke.
        self.assertEqual(r.component.invoke_id, 1)
        self.assertGreater(waited, IDLE - 1)
        self.wait_status(r'dial \(ctl\)|hlr \(gsup\): link up, caps 128/56, open 0')

    def test_resume_after_timeout(self):
        imsi, sid, r = self.dial(EN)
        self.assert_screen(self.msc.cont(imsi, sid, '1'), 'Your rights')
        self.assert_screen(self.msc.cont(imsi, sid, '2'), 'Your passport is yours.')
        self.assert_screen(self.msc.wait_reply(sid, timeout=IDLE + 5), 'Time is up', final=True)
        r = self.assert_screen(self.msc.begin(imsi, '*100#'), '1 Continue', '2 Start over')
        self.assert_screen(self.msc.cont(imsi, r.session_id, '1'), 'Your passport is yours.')
        self.msc.abort(imsi, r.session_id)

    def test_phone_abort_frees_dialog(self):
        # OsmoHLR 1.5 forwards neither the phone's release nor OsmoMSC's error to an EUSE (see
        # ../shared/notes/osmocom-euse.md), so our own idle timer must free the dialog.
        out = self.status()
        timeouts = int(re.search(r'hlr \(gsup\).*timeouts (\d+)', out).group(1))
        imsi, sid, r = self.dial(EN)
        self.msc.abort(imsi, sid)
        imsi2, sid2, r = self.dial(EN)
        self.msc.abort(imsi2, sid2, error=True)
        deadline = time.time() + IDLE + 5
        while True:
            m = re.search(r'hlr \(gsup\): link up, caps 128/56, open (\d+), .*timeouts (\d+)', self.status())
            if int(m.group(1)) == 0 and int(m.group(2)) >= timeouts + 2:
                break
            self.assertLess(time.time(), deadline, 'dialogs not freed: %s' % m.group(0))
            time.sleep(0.1)
        self.msc.expect_nothing(sid, timeout=0.5)  # the HLR dropped our END for a released dialog

    def test_continue_for_unknown_session_is_ended(self):
        imsi = new_imsi()
        self.msc.send(gsupmsc.PROC_SS_REQUEST, imsi, 0x7777, CONTINUE,
                      gsupmsc.encode_return_result(5, gsupmsc.OP_USS_REQ, '1'))
        r = self.msc.wait_reply(0x7777)
        self.assertEqual(r.state, END, r)

    def test_msisdn_lookup_over_ctrl(self):
        imsi = new_imsi()
        self.hlr.create_subscriber(imsi, msisdn='5551%03d' % (os.getpid() % 1000))
        r = self.msc.begin(imsi, '*100#')
        self.assert_screen(r, '3 English')
        self.wait_status(r'ctrl=up msisdn_known=[1-9]')
        self.msc.abort(imsi, r.session_id)

    def test_zz_hlr_restart_mid_dialog(self):
        imsi, sid, r = self.dial(EN)
        self.hlr.restart()
        # Our dialog on the dead link is ended and freed; the port reconnects by itself.
        self.wait_status(r'hlr \(gsup\): link up, caps 128/56, open 0', timeout=20)
        self.hlr.wait_peer('EUSE-yordam')
        type(self).msc = self.hlr.msc()
        r = self.msc.begin(imsi, '*100#')
        self.assert_screen(r, 'Yordam', '1 Your rights')  # the store kept the language
        self.msc.abort(imsi, r.session_id)


class ContentAndCtl(unittest.TestCase):
    """yordamctl against a daemon whose HLR is not there at all."""

    def setUp(self):
        self.d = Yordamd(hlr_address='127.0.0.1', hlr_port=9)  # nothing listens on port 9
        self.d.start(wait_link=False)

    def tearDown(self):
        rc = self.d.stop()
        log = self.d.log_text()
        self.d.cleanup()
        self.assertEqual(rc, 0, log[-3000:])

    def test_serves_without_hlr(self):
        out = self.d.wait_status('link DOWN', 5)
        self.assertIn('content: 3 languages', out)
        rc, out, err = self.d.ctl('dial', '*100#', '--as', 'x', stdin='3\n1\n')
        self.assertEqual(rc, 0, err)
        self.assertIn('Your rights', out)

    def test_content_import_and_validate(self):
        src = os.environ.get('YORDAM_SRC', os.path.join(os.path.dirname(__file__), '..', '..'))
        pack = os.path.join(src, 'menus', 'content')
        rc, out, err = self.d.ctl('content', 'validate', pack)
        self.assertEqual(rc, 0, out + err)
        self.assertRegex(out, r'4 languages, \d+ nodes, \d+ screens checked, 0 warnings, 0 errors')
        rc, out, err = self.d.ctl('content', 'import', pack)
        self.assertEqual(rc, 0, out + err)
        out = self.d.wait_status('content: 4 languages', 5)
        # a broken pack is refused and the content in service stays
        bad = os.path.join(self.d.dir, 'badpack')
        os.mkdir(bad)
        with open(os.path.join(bad, 'x.pack'), 'w') as f:
            f.write('[node home]\nkind = menu\nfrobnicate = 1\n')
        rc, out, err = self.d.ctl('content', 'import', bad)
        self.assertNotEqual(rc, 0)
        self.assertIn('x.pack:3', err)
        self.assertIn('content in service unchanged', err)
        self.d.wait_status('content: 4 languages', 5)

    def _raw_ctl(self, payload):
        import socket
        s = socket.socket(socket.AF_UNIX)
        s.connect(self.d.sock)
        s.settimeout(5)
        s.sendall(payload)
        data = b''
        try:
            while b'\n' not in data or len(data.split(b'\n', 1)[1]) < int(data.split(b' ', 1)[1].split(b'\n')[0]):
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except (socket.timeout, ConnectionResetError):
            pass
        s.close()
        return data

    def test_bad_control_requests(self):
        rc, out, err = self.d.ctl('content', 'import', '/nonexistent')
        self.assertNotEqual(rc, 0)
        self.assertIn(b'ERR', self._raw_ctl(b'frobnicate\n'))
        self.assertIn(b'unknown command', self._raw_ctl(b'frobnicate\n'))
        self.assertIn(b'no dialog open', self._raw_ctl(b'in 1\n'))
        self.assertIn(b'NUL byte', self._raw_ctl(b'st\x00atus\n'))
        data = self._raw_ctl(b'x' * 5000 + b'\n')
        self.assertTrue(data == b'' or b'too long' in data, data)
        # A client that hangs up mid-dialog aborts its dialog.
        import socket
        s = socket.socket(socket.AF_UNIX)
        s.connect(self.d.sock)
        s.sendall(b'dial *100# hangup\n')
        s.recv(4096)
        s.close()
        self.d.wait_status('sessions: 0 open', 5)  # still alive and serving
        self.d.wait_status(r'aborts 1', 5)


class ConfigErrors(unittest.TestCase):
    def test_bad_config_exits_nonzero_with_location(self):
        import subprocess
        import tempfile
        from yordamd import YORDAMD
        with tempfile.TemporaryDirectory() as tmp:
            conf = os.path.join(tmp, 'bad.conf')
            with open(conf, 'w') as f:
                f.write('ussd: {\n  idle_timeout = 1;\n};\n')
            p = subprocess.run([YORDAMD, '--check-config', '-c', conf], capture_output=True, text=True)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn('%s:2: key \'ussd.idle_timeout\': value 1 out of range 5..600' % conf, p.stderr)
            p = subprocess.run([YORDAMD, '-c', conf], capture_output=True, text=True)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn('out of range', p.stderr)


if __name__ == '__main__':
    hlrmod.run_tests()
