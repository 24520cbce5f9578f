"""The modem layer (yordam_modem) end to end through libgammu, driven through modem_driver:

- libgammu's dummy phone: parts injected into its inbox files (single GSM-7, Cyrillic, Uzbek Latin
  with ʻ, a multipart message in reverse order, a duplicate part, 8- and 16-bit references, 8-bit
  data, a corrupt file); every part reported, deleted only when asked, reported again after a
  restart when not deleted; sends answered exactly once, also when cancelled at exit.
- libgammu's AT driver against atmodem.py (a pty modem emulator that encodes real SMS-DELIVER
  PDUs and decodes every SMS-SUBMIT): identification, +CMTI in PDU mode (GSM-7 extension
  characters, UCS-2, concatenated), sends checked on the wire, a +CMS ERROR, an incoming call
  reported once and hung up, a modem that stops answering, the device vanishing and returning.
"""

import os
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import atmodem  # noqa: E402
import hlr  # noqa: E402  (run_tests)
import modemdrv  # noqa: E402
from modemdrv import Driver, inject_dummy  # noqa: E402

EINVAL, EIO, EAGAIN, ECANCELED, ETIMEDOUT = 22, 5, 11, 125, 110


class _Tmp(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='yordam-modem-')
        self.drivers = []

    def tearDown(self):
        for d in self.drivers:
            d.kill()
        if os.environ.get('KEEP_TMP'):
            print('kept', self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def driver(self, device, connection, model, **opts):
        d = Driver(device, connection, model, log_path=os.path.join(self.dir, 'driver.log'), **opts).start()
        self.drivers.append(d)
        return d


class DummyPhoneTest(_Tmp):
    def setUp(self):
        super().setUp()
        self.phone = os.path.join(self.dir, 'phone')
        os.makedirs(self.phone)

    def inbox(self):
        return sorted(int(n) for n in os.listdir(os.path.join(self.phone, 'sms', '1')) if n.isdigit())

    def test_receive_every_kind_delete_only_when_asked(self):
        p = self.phone
        inject_dummy(p, 1, '+998901234567', 'Salom dunyo {1} [2] ~ € ^ | \\')
        inject_dummy(p, 2, '+79161234567', 'Привет, как дела?', coding='Unicode_No_Compression')
        inject_dummy(p, 3, '+998911234567', 'Oʻzbekiston gʻalabasi', coding='Unicode_No_Compression')
        # a three-part message, parts stored in reverse order, and part 2 twice
        inject_dummy(p, 4, '+998931234567', 'uchinchi', udh='050003420303')
        inject_dummy(p, 5, '+998931234567', 'ikkinchi ', udh='050003420302')
        inject_dummy(p, 6, '+998931234567', 'birinchi ', udh='050003420301')
        inject_dummy(p, 7, '+998931234567', 'ikkinchi ', udh='050003420302')
        inject_dummy(p, 8, None, raw='\x00\x01garbage [[[ not a backup file\n')
        inject_dummy(p, 9, '+998941234567', 'after the corrupt one')
        inject_dummy(p, 10, '+998951234567', 'Қисм', coding='Unicode_No_Compression', udh='060804ABCD0201')
        inject_dummy(p, 11, '+998961234567', data=b'\x01\x02\xfe', coding='8bit')

        d = self.driver(p, 'none', 'dummy', poll_ms=300)
        d.wait_state('READY')
        rx = {r.location % 10000: r for r in d.wait_rx(10)}
        self.assertEqual(sorted(rx), [1, 2, 3, 4, 5, 6, 7, 9, 10, 11])
        self.assertEqual((rx[1].sender, rx[1].coding, rx[1].text, rx[1].concat),
                         ('+998901234567', 'gsm7', 'Salom dunyo {1} [2] ~ € ^ | \\', None))
        self.assertEqual(rx[1].sent_time, 1735787045)  # 2025-01-02 03:04:05 UTC
        self.assertEqual((rx[2].coding, rx[2].text), ('ucs2', 'Привет, как дела?'))
        self.assertEqual((rx[3].coding, rx[3].text), ('ucs2', 'Oʻzbekiston gʻalabasi'))
        self.assertEqual(rx[4].concat, ('c8', 0x42, 3, 3))
        self.assertEqual(rx[5].concat, ('c8', 0x42, 3, 2))
        self.assertEqual(rx[6].concat, ('c8', 0x42, 3, 1))
        self.assertEqual((rx[7].concat, rx[7].text), (('c8', 0x42, 3, 2), 'ikkinchi '))
        self.assertEqual(rx[9].text, 'after the corrupt one')
        self.assertEqual((rx[10].concat, rx[10].text), (('c16', 0xABCD, 2, 1), 'Қисм'))
        self.assertEqual((rx[11].coding, rx[11].text), ('8bit', '0102fe'))  # 8-bit data as hex
        for r in rx.values():
            self.assertEqual(r.folder, 1)

        # Several sweeps later: nothing reported twice, nothing deleted, the corrupt file skipped.
        self.assertEqual(d.no_rx(1.2), [])
        self.assertEqual(self.inbox(), list(range(1, 12)))
        st = d.status()
        self.assertEqual((st['state'], st['rx_parts'], st['rx_unreadable']), ('READY', 10, 1))
        self.assertIn('location 8', st['last_error'])

        # Delete all but parts 2 and 5; only those files go.
        for n in (1, 3, 4, 6, 7, 9, 10, 11):
            self.assertEqual(d.delete(1, rx[n].location), 0)
        deadline = time.monotonic() + 5
        while self.inbox() != [2, 5, 8] and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.inbox(), [2, 5, 8])
        self.assertEqual(d.stop()[-1], 'BYE')

        # A restart hands over what was not deleted, and only that.
        d = self.driver(p, 'none', 'dummy', poll_ms=300)
        again = d.wait_rx(2)
        self.assertEqual(sorted(r.location % 10000 for r in again), [2, 5])
        self.assertEqual(d.no_rx(1.0), [])
        d.stop()

    def test_part_arriving_while_running(self):
        d = self.driver(self.phone, 'none', 'dummy', poll_ms=200)
        d.wait_state('READY')
        self.assertEqual(d.no_rx(0.5), [])
        t0 = time.monotonic()
        inject_dummy(self.phone, 17, '+998901111111', 'late')
        (r,) = d.wait_rx(1, 5)
        self.assertEqual((r.location, r.text), (10017, 'late'))
        self.assertLess(time.monotonic() - t0, 2.0)
        # deleted, then a new part in the same place is a new part
        self.assertEqual(d.delete(r.folder, r.location), 0)
        time.sleep(0.5)
        inject_dummy(self.phone, 17, '+998901111111', 'later')
        (r,) = d.wait_rx(1, 5)
        self.assertEqual(r.text, 'later')
        d.stop()

    def test_delivery_report(self):
        raw = ('[SMSBackup000]\nPDU = Status_Report\nSMSC = "+998901000000"\nDateTime = 20250102T030405\n'
               'State = UnRead\nNumber = "+998901234567"\nCoding = Default_No_Compression\nFolder = 1\n'
               'MessageReference = 5\nDeliveryStatus = 0\nText00 = 00440065006C0069007600650072006500640020\n')
        inject_dummy(self.phone, 3, None, raw=raw)
        d = self.driver(self.phone, 'none', 'dummy', poll_ms=300)
        self.assertEqual(d.expect(lambda l: l.startswith('DELIVERY '), 10, 'DELIVERY'), 'DELIVERY 5 +998901234567 0')
        # a report is nobody's message to commit: removed once handed over, never as an RX
        deadline = time.monotonic() + 5
        while self.inbox() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.inbox(), [])
        self.assertFalse([l for l in d.history if l.startswith('RX ')])
        d.stop()

    def test_send_results_exactly_once(self):
        d = self.driver(self.phone, 'none', 'dummy', poll_ms=1000)
        d.wait_state('READY')
        self.assertEqual(d.send(1, '+998901234567', 'gsm7', 'Salom {dunyo}'), 0)
        self.assertEqual(d.send(2, '+998901234567', 'ucs2', 'Ўзбекистон', ref=9, total=2, seq=1), 0)
        self.assertEqual(d.wait_sent(1), (0, -1))  # the dummy phone gives no message reference
        self.assertEqual(d.wait_sent(2), (0, -1))
        self.assertEqual(d.send(3, '+998901234567', 'gsm7', 'x', ref=1, total=2, seq=3), -EINVAL)
        # A burst, then quit at once: every accepted part is answered exactly once.
        accepted = [i for i in range(10, 90) if d.send(i, '+998901234567', 'gsm7', 'burst %d' % i) == 0]
        self.assertGreaterEqual(len(accepted), 60)  # the queue holds 64
        tail = d.stop()
        lines = [l for l in d.history if l.startswith('SENT ')]
        ids = [int(l.split()[1]) for l in lines]
        for i in accepted:
            self.assertEqual(ids.count(i), 1, 'SENT %d seen %d times' % (i, ids.count(i)))
        for l in lines:
            self.assertIn(int(l.split()[2]), (0, -ECANCELED))
        self.assertEqual(tail[-1], 'BYE')
        st_counts = [l for l in d.history if l.startswith('STATE ')]
        self.assertIn('STATE BUSY', st_counts)


class AtModemTest(unittest.TestCase):
    """One emulator and one driver for the class (libgammu's init takes ~3.3 s); the tests run in
    name order and each leaves the modem READY."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix='yordam-atmodem-')
        cls.m = atmodem.AtModem(cls.dir, name='usb-Yordam_Sim-if00', log=os.path.join(cls.dir, 'emulator.log'))
        cls.m.start()
        env = {}
        if os.environ.get('YORDAM_GAMMU_LOG'):
            env['YORDAM_GAMMU_LOG'] = os.environ['YORDAM_GAMMU_LOG']
        cls.d = Driver(cls.m.device, 'at', '', log_path=os.path.join(cls.dir, 'driver.log'), env=env,
                       poll_ms=1000, timeout_ms=4000, reopen_min_ms=300, reopen_max_ms=1500, reset_after=3,
                       reject_calls=True).start()
        cls.d.wait_state('READY', 30)

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.kill()
        cls.m.stop()
        if os.environ.get('KEEP_TMP'):
            print('kept', cls.dir)
        else:
            shutil.rmtree(cls.dir, ignore_errors=True)

    def ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.d.status()['state'] in ('READY', 'BUSY'):
                return
            time.sleep(0.2)
        self.fail('modem not ready')

    def test_1_identification_and_status(self):
        # READY comes with the connection; the first storage sweep (PDU mode) follows at once
        self.assertTrue(self.m.wait_for(lambda: 'AT+CMGF=0' in self.m.commands, 10))
        for cmd in ('AT+CGMI', 'AT+CGMM', 'AT+CGMR', 'AT+CMEE=1', 'AT+CNMI=2,1,0,2,0', 'AT+CMGF=0'):
            self.assertIn(cmd, self.m.commands)
        deadline = time.monotonic() + 10
        st = self.d.status()
        while not st['imsi'] and time.monotonic() < deadline:
            time.sleep(0.2)
            st = self.d.status()
        self.assertEqual(st['imsi'], self.m.imsi)
        self.assertGreater(st['signal'], 0)
        self.assertEqual(st['state'], 'READY')

    def test_2_receive_by_cmti_in_pdu_mode(self):
        m, d = self.m, self.d
        m.deliver('+998901234567', 'Salom {dunyo} [1] ~ € ^ | \\ @£$')
        m.deliver('+79161234567', 'Привет! Ўзбекистон ҳақида', coding='ucs2')
        # concatenated, out of order, one reference 8-bit and one 16-bit
        m.deliver('+998931234567', 'ikkinchi qism', concat=(0x51, 2, 2))
        m.deliver('+998931234567', 'birinchi qism ', concat=(0x51, 2, 1))
        m.deliver('+998941234567', 'Иккинчи', coding='ucs2', concat=(0x1234, 2, 2, 16))
        rx = d.wait_rx(5, 15)
        by_text = {r.text: r for r in rx}
        r = by_text['Salom {dunyo} [1] ~ € ^ | \\ @£$']
        self.assertEqual((r.sender, r.coding, r.concat, r.folder), ('+998901234567', 'gsm7', None, 1))
        self.assertEqual(r.sent_time, 1735787045)
        self.assertEqual(by_text['Привет! Ўзбекистон ҳақида'].coding, 'ucs2')
        self.assertEqual(by_text['ikkinchi qism'].concat, ('c8', 0x51, 2, 2))
        self.assertEqual(by_text['birinchi qism '].concat, ('c8', 0x51, 2, 1))
        self.assertEqual(by_text['Иккинчи'].concat, ('c16', 0x1234, 2, 2))
        # nothing deleted until asked; then AT+CMGD empties the SIM
        time.sleep(1.5)
        self.assertEqual(len(m.storage), 5)
        for r in rx:
            self.assertEqual(d.delete(r.folder, r.location), 0)
        self.assertTrue(m.wait_for(lambda: not m.storage, 10), m.storage)

    def test_3_send_checked_on_the_wire(self):
        m, d = self.m, self.d
        n0 = len(m.submitted)
        self.assertEqual(d.send(31, '+998901234567', 'gsm7', 'Salom {dunyo} € [1/2]', ref=77, total=2, seq=1), 0)
        self.assertEqual(d.send(32, '+998901234567', 'gsm7', 'ikkinchi qism', ref=77, total=2, seq=2), 0)
        self.assertEqual(d.send(33, '+79161234567', 'ucs2', 'Ўзбекистон, привет!', report=True), 0)
        res = [d.wait_sent(i, 20) for i in (31, 32, 33)]
        subs = m.submitted[n0:]
        self.assertEqual(len(subs), 3)
        for (result, mr), s in zip(res, subs):
            self.assertEqual(result, 0)
            self.assertEqual(mr, s.assigned_mr)
            self.assertIsNone(s.msg_class)  # never a flash SMS
        a, b, c = subs
        self.assertEqual((a.number, a.coding, a.dcs, a.concat, a.text),
                         ('+998901234567', 'gsm7', 0x00, (77, 2, 1), 'Salom {dunyo} € [1/2]'))
        self.assertEqual((b.concat, b.text), ((77, 2, 2), 'ikkinchi qism'))
        self.assertFalse(a.status_report)
        self.assertEqual((c.number, c.coding, c.dcs, c.concat, c.text, c.status_report),
                         ('+79161234567', 'ucs2', 0x08, None, 'Ўзбекистон, привет!', True))

    def test_4_cms_error(self):
        m, d = self.m, self.d
        m.fail_next_send(500)
        self.assertEqual(d.send(41, '+998901234567', 'gsm7', 'will fail'), 0)
        self.assertEqual(d.wait_sent(41, 20), (-EIO, -1))
        self.assertEqual(m.submitted[-1].error, 500)
        # the modem stays usable
        self.assertEqual(d.send(42, '+998901234567', 'gsm7', 'fine'), 0)
        self.assertEqual(d.wait_sent(42, 20)[0], 0)
        self.assertGreaterEqual(d.status()['tx_errors'], 1)

    def test_5_incoming_call_reported_once_and_hung_up(self):
        m, d = self.m, self.d
        n0 = m.calls_hung_up
        m.ring('+998901112233', times=6, interval=0.7)
        line = d.expect(lambda l: l.startswith('CALL '), 10, 'CALL')
        self.assertEqual(line, 'CALL +998901112233')
        self.assertTrue(m.wait_for(lambda: m.calls_hung_up > n0, 10))
        time.sleep(2)
        self.assertEqual([l for l in d.history if l.startswith('CALL ')], ['CALL +998901112233'])

    def test_6_modem_stops_answering(self):
        m, d = self.m, self.d
        self.ready()
        m.hang(True)
        # a part sent into the silence gets its one answer, and the modem goes DOWN
        rc = d.send(61, '+998901234567', 'gsm7', 'into the void')
        if rc == 0:
            result, _ = d.wait_sent(61, 30)
            self.assertIn(result, (-ETIMEDOUT, -ECANCELED, -EIO))
        d.wait_state('DOWN', 30)
        m.deliver('+998905555555', 'sent while it hung', notify=False)
        m.hang(False)
        d.wait_state('READY', 40)
        (r,) = d.wait_rx(1, 15)
        self.assertEqual(r.text, 'sent while it hung')
        self.assertEqual(d.delete(r.folder, r.location), 0)
        st = d.status()
        self.assertGreaterEqual(st['reopens'], 1)
        # and it sends again
        self.assertEqual(d.send(62, '+998901234567', 'gsm7', 'back'), 0)
        self.assertEqual(d.wait_sent(62, 20)[0], 0)
        self.assertTrue(m.wait_for(lambda: not m.storage, 10))

    def test_7_device_vanishes_and_returns(self):
        m, d = self.m, self.d
        self.ready()
        m.unplug()
        d.wait_state('DOWN', 20)
        self.assertEqual(d.send(71, '+998901234567', 'gsm7', 'x'), -EAGAIN)
        m.deliver('+998906666666', 'arrived while unplugged', notify=False)
        time.sleep(1.5)
        m.replug()
        d.wait_state('READY', 40)
        (r,) = d.wait_rx(1, 15)
        self.assertEqual(r.text, 'arrived while unplugged')
        self.assertEqual(d.delete(r.folder, r.location), 0)
        self.assertTrue(m.wait_for(lambda: not m.storage, 10))
        self.assertEqual(d.send(72, '+998901234567', 'gsm7', 'after replug'), 0)
        self.assertEqual(d.wait_sent(72, 20)[0], 0)
        self.assertEqual(m.submitted[-1].text, 'after replug')


if __name__ == '__main__':
    hlr.run_tests()
