#!/usr/bin/env python3
"""Self-test of the integration harness (gsupmsc.py, hlr.py) against real peers: a private
osmo-hlr routing *100 to Debian's osmo-euse-demo, and our MSC simulator dialling *100#. It proves
the harness before yordamd exists: if these pass, a failing daemon test is the daemon's fault.

The codec tests need no peers: they pin the harness's own GSM-7, BER and GSUP code to
reference bytes (some produced by libosmocore's osmo_gsup_encode and gsm0480 generators)."""

import os
import shutil
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gsupmsc  # noqa: E402
from gsupmsc import BerError  # noqa: E402
from hlr import Hlr, Proc, run_tests  # noqa: E402

EUSE_DEMO = os.environ.get('OSMO_EUSE_DEMO', '/usr/bin/osmo-euse-demo')
# osmo-euse-demo connects as unit "EUSE-foobar" without a serial number, so libosmo-abis sends
# "EUSE-foobar-00-00-00-00-00-00": to OsmoHLR that is the EUSE "foobar-00-00-00-00-00-00".
DEMO_NAME = 'foobar-00-00-00-00-00-00'
DEMO_SERIAL = 'EUSE-' + DEMO_NAME
IMSI = '901700000000001'

# *100# as a phone sends it: Invoke, invokeID 1, processUnstructuredSS-Request, GSM-7.
BEGIN_100 = bytes.fromhex('a112020101' '02013b' '300a' '04010f' '0405aa180c3602')
# osmo_gsup_encode() of PROC_SS_REQUEST BEGIN for IMSI 901700000000001, session 0x11223344,
# SS info BEGIN_100, message class USSD (libosmocore 1.7, the way OsmoMSC sends it).
GSUP_BEGIN_LIBOSMO = bytes.fromhex('20010809710000000000f130041122334431010135'
                                   '14a112020101' '02013b' '300a' '04010f' '0405aa180c3602' '0a0103')


class CodecTest(unittest.TestCase):
    """The harness's own encoders and its strict decoder."""

    def test_gsm7_packing(self):
        self.assertEqual(gsupmsc.gsm7_pack(gsupmsc.gsm7_encode('*100#')).hex(), 'aa180c3602')
        # 7 septets leave 7 spare bits: USSD fills them with CR, which unpacking drops again
        self.assertEqual(gsupmsc.gsm7_pack(gsupmsc.gsm7_encode('aaaaaaa')).hex(), 'e170381c0e871b')
        self.assertEqual(gsupmsc.gsm7_decode(gsupmsc.gsm7_unpack(bytes.fromhex('e170381c0e871b'))), 'aaaaaaa')
        # a text ending in CR on an octet boundary gets a second CR; the reader sees both
        packed = gsupmsc.gsm7_pack(gsupmsc.gsm7_encode('aaaaaaa\r'))
        self.assertEqual(len(packed), 8)
        self.assertEqual(gsupmsc.gsm7_decode(gsupmsc.gsm7_unpack(packed)), 'aaaaaaa\r\r')
        # extension table: escape + code
        self.assertEqual(gsupmsc.gsm7_encode('€['), [0x1B, 0x65, 0x1B, 0x3C])
        self.assertEqual(gsupmsc.gsm7_decode([0x1B, 0x65, 0x41, 0x1B]), '€A ')
        self.assertRaises(ValueError, gsupmsc.gsm7_encode, 'д')

    def test_ussd_codings(self):
        self.assertEqual(gsupmsc.ussd_encode('Да'), (0x48, bytes.fromhex('04140430')))
        self.assertEqual(gsupmsc.ussd_decode(0x48, bytes.fromhex('04140430')), 'Да')
        self.assertRaises(ValueError, gsupmsc.ussd_decode, 0x48, b'\x04')
        self.assertRaises(ValueError, gsupmsc.ussd_decode, 0x48, bytes.fromhex('d800'))  # lone surrogate
        self.assertRaises(ValueError, gsupmsc.ussd_decode, 0x10, b'abc')
        self.assertRaises(ValueError, gsupmsc.ussd_encode, 'a' * 183)
        self.assertEqual(len(gsupmsc.ussd_encode('a' * 182)[1]), 160)
        self.assertRaises(ValueError, gsupmsc.ussd_encode, 'д' * 81)

    def test_decode_valid(self):
        c = gsupmsc.decode_facility(BEGIN_100)
        self.assertEqual((c.type, c.invoke_id, c.opcode, c.dcs, c.text), (0xA1, 1, 59, 0x0F, '*100#'))
        c = gsupmsc.decode_facility(bytes.fromhex('a306020101020122'))
        self.assertEqual((c.type, c.invoke_id, c.error_code), (0xA3, 1, 34))
        c = gsupmsc.decode_facility(bytes.fromhex('a40505008101' '02'))
        self.assertEqual((c.invoke_id, c.problem_tag, c.problem_code), (None, 0x81, 2))
        c = gsupmsc.decode_facility(bytes.fromhex('a203020101'))
        self.assertEqual((c.type, c.opcode, c.text), (0xA2, None, None))
        # 182 septets need the long form at every level
        rr = gsupmsc.encode_return_result(1, 59, 'a' * 182)
        self.assertEqual(rr[:3].hex(), 'a281b2')
        self.assertEqual(gsupmsc.decode_facility(rr).text, 'a' * 182)

    def test_decode_rejects_malformed(self):
        rr = gsupmsc.encode_return_result(7, 60, 'a' * 182)
        for n in range(len(BEGIN_100)):
            self.assertRaises(BerError, gsupmsc.decode_facility, BEGIN_100[:n])
        for n in range(len(rr)):
            self.assertRaises(BerError, gsupmsc.decode_facility, rr[:n])
        bad = [
            BEGIN_100 + b'\x00',                                   # trailing junk
            bytes.fromhex('a18112') + BEGIN_100[2:],               # non-minimal long form
            bytes.fromhex('a380020101020122' '0000'),              # indefinite length
            bytes.fromhex('a382000602010102' '0122'),              # 0x82 length form
            bytes.fromhex('a313') + BEGIN_100[2:],                 # length past the end
            bytes.fromhex('a5') + BEGIN_100[1:],                   # unknown component
            bytes.fromhex('a3070202000102' '0122'),                # two-octet invokeID
            bytes.fromhex('a406050100810102'),                     # NULL with a value
            bytes.fromhex('a40505008401' '02'),                    # problem tag 0x84
            gsupmsc.encode_return_result(1, 59, '', dcs=0x0F, octets=b'A' * 161),  # > 160 octets
        ]
        for b in bad:
            with self.subTest(b=b.hex()):
                self.assertRaises(BerError, gsupmsc.decode_facility, b)

    def test_catches_one_byte_long_lengths(self):
        # libosmocore's msgb_push_tl() writes a length of 128..255 as one octet; a handset rejects
        # that and so must the harness.
        good = gsupmsc.encode_return_result(1, 59, 'a' * 150)
        broken = bytearray()
        i = 0
        while i < len(good):
            if good[i] == 0x81 and i > 0 and good[i - 1] in (0xA2, 0x30, 0x04):
                i += 1  # drop the 0x81, keep LL as a (wrong) short form
                continue
            broken.append(good[i])
            i += 1
        self.assertEqual(broken[:2].hex(), 'a2' + good[2:3].hex())
        self.assertRaises(BerError, gsupmsc.decode_facility, bytes(broken))

    def test_gsup_matches_libosmocore(self):
        ours = gsupmsc.gsup_encode(gsupmsc.PROC_SS_REQUEST, IMSI, 0x11223344, gsupmsc.BEGIN, BEGIN_100)
        self.assertEqual(ours.hex(), GSUP_BEGIN_LIBOSMO.hex())
        r = gsupmsc.Reply(GSUP_BEGIN_LIBOSMO)
        self.assertEqual((r.imsi, r.session_id, r.state, r.message_class, r.text), (IMSI, 0x11223344, 1, 3, '*100#'))
        self.assertRaises(gsupmsc.GsupError, gsupmsc.gsup_decode, GSUP_BEGIN_LIBOSMO[:-1])


@unittest.skipUnless(shutil.which(EUSE_DEMO) and os.access('/usr/bin/osmo-hlr', os.X_OK), 'osmo-hlr not installed')
class EuseDemoTest(unittest.TestCase):
    """The harness against osmo-hlr + osmo-euse-demo."""

    @classmethod
    def setUpClass(cls):
        cls.hlr = Hlr(euse=[DEMO_NAME], routes=[('*100', DEMO_NAME)]).start()
        cls.demo = Proc('osmo-euse-demo', [EUSE_DEMO, cls.hlr.addr], os.path.join(cls.hlr.dir, 'euse-demo.log')).start()
        try:
            cls.hlr.wait_peer(DEMO_SERIAL)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.demo.stop()
        cls.hlr.close()

    def setUp(self):
        self.msc = self.hlr.msc()

    def tearDown(self):
        self.msc.close()

    def test_demo_answers_with_end_return_result(self):
        r = self.msc.begin(IMSI, '*100#')
        self.assertEqual(r.msg_type, gsupmsc.PROC_SS_RESULT)
        self.assertEqual(r.state, gsupmsc.END)
        self.assertEqual(r.imsi, IMSI)
        self.assertEqual(r.message_class, gsupmsc.MESSAGE_CLASS_USSD)
        c = r.component
        self.assertEqual((c.type, c.invoke_id, c.opcode, r.dcs), (gsupmsc.RETURN_RESULT, 1, 59, 0x0F))
        self.assertEqual(r.text, 'You sent "*100#"')
        self.assertTrue(r.final)

    def test_replies_matched_by_session(self):
        a = self.msc.begin(IMSI, '*100*1#', wait=False)
        b = self.msc.begin('901700000000002', '*100*22#', invoke_id=5, wait=False)
        rb = self.msc.wait_reply(b)
        ra = self.msc.wait_reply(a)
        self.assertEqual((rb.session_id, rb.text, rb.component.invoke_id), (b, 'You sent "*100*22#"', 5))
        self.assertEqual((ra.session_id, ra.text, ra.imsi), (a, 'You sent "*100*1#"', IMSI))
        self.msc.expect_nothing(timeout=0.3)

    def test_unrouted_code_gets_ss_not_available(self):
        r = self.msc.begin(IMSI, '*999#')
        self.assertEqual((r.msg_type, r.state), (gsupmsc.PROC_SS_RESULT, gsupmsc.END))
        self.assertEqual((r.component.type, r.component.invoke_id, r.component.error_code), (gsupmsc.RETURN_ERROR, 1, 18))

    def test_timeout_raises(self):
        with self.assertRaises(TimeoutError):
            self.msc.wait_reply(0xDEADBEEF, timeout=0.3)

    def test_subscriber_msisdn_through_vty_and_ctrl(self):
        self.hlr.create_subscriber('901700000000042', msisdn='5551042')
        self.assertEqual(self.hlr.ctrl_get('subscriber.by-imsi-901700000000042.msisdn'), '5551042')
        with self.assertRaises(RuntimeError):
            self.hlr.ctrl_get('subscriber.by-imsi-901700000009999.msisdn')
        with self.assertRaises(RuntimeError):
            self.hlr.vty('no such command')


@unittest.skipUnless(shutil.which(EUSE_DEMO) and os.access('/usr/bin/osmo-hlr', os.X_OK), 'osmo-hlr not installed')
class RestartTest(unittest.TestCase):
    """OsmoHLR going away: the MSC sees the link drop, and after a restart both peers are back."""

    def test_hlr_restart(self):
        with Hlr(euse=[DEMO_NAME], routes=[('*100', DEMO_NAME)]) as hlr:
            demo = Proc('osmo-euse-demo', [EUSE_DEMO, hlr.addr], os.path.join(hlr.dir, 'euse-demo.log')).start()
            try:
                hlr.wait_peer(DEMO_SERIAL)
                msc = hlr.msc()
                self.assertEqual(msc.begin(IMSI, '*100#').text, 'You sent "*100#"')
                hlr.stop(kill=True)
                with self.assertRaises(ConnectionError):
                    msc.wait_reply(timeout=5)
                msc.close()
                t0 = time.monotonic()
                hlr.start()
                # libosmo-gsup-client reconnects on its own timer
                hlr.wait_peer(DEMO_SERIAL, timeout=30)
                sys.stderr.write('(osmo-euse-demo reconnected after %.1f s) ' % (time.monotonic() - t0))
                msc = hlr.msc()
                self.assertEqual(msc.begin(IMSI, '*100#').text, 'You sent "*100#"')
                msc.close()
            finally:
                demo.stop()


if __name__ == '__main__':
    run_tests()
