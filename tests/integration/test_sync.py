"""Sync end to end on loopback: the test client (sync_driver, linking yordam_sync) against the
reference central service (yordam-central), with a PKI made by the openssl CLI in a temp dir.

- a backlog of 10,000 records syncs; nothing lost, nothing duplicated (checked in the central DB)
- the central service is SIGKILLed mid-batch and restarted: the sync resumes, same check
- the central commits a batch and dies before answering (fault injection): the repeated batch is
  counted as duplicates, nothing is stored twice
- a new content bundle is fetched, verified and handed to the sink, file for file
- tampered, truncated, foreign-signed and replayed bundles are refused; the old content stays
- session resumption: later rounds resume the TLS session
- an appliance certificate from another CA is refused by the central service
"""
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlr  # noqa: E402
import synclib  # noqa: E402
from synclib import CentralTestCase, Pki, run_driver, start_driver  # noqa: E402

N = 10000
IPACK = os.path.join(synclib.SRC, 'tests', 'data', 'ipack')


class Sync(CentralTestCase):

    def assert_journal_complete(self, n):
        c = self.central
        count, lo, hi, distinct = c.query('SELECT count(*), min(seq), max(seq), count(DISTINCT seq) FROM record '
                                          'WHERE appliance = ?', (synclib.APPLIANCE,))[0]
        self.assertEqual((count, lo, hi, distinct), (n, 1, n, n))
        # every record is the one the appliance sent under that seq
        bad = c.query("SELECT count(*) FROM record WHERE json_extract(data, '$.n') != seq "
                      "OR type != 'case_event' OR time != 1764000000 + seq")[0][0]
        self.assertEqual(bad, 0)
        self.assertEqual(c.query('SELECT acked_seq FROM appliance WHERE id = ?', (synclib.APPLIANCE,)),
                         [(n,)])

    def wait_records(self, at_least, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.central.query('SELECT count(*) FROM record')[0][0] >= at_least:
                    return
            except Exception:  # noqa: BLE001 - the DB may be busy for a moment
                pass
            time.sleep(0.01)
        self.fail('central never reached %d records' % at_least)

    def test_backlog_10000(self):
        self.central.start()
        state = os.path.join(self.dir, 'journal.state')
        r = run_driver(self.pki, self.port, self.dir, records=N, extra=['--until-acked', '--journal-state', state])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r['acked'], str(N), r)
        self.assert_journal_complete(N)
        # a restarted appliance resumes from its durable ack: nothing is sent again
        r = run_driver(self.pki, self.port, self.dir, records=N, extra=['--until-acked', '--journal-state', state])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r['sent'], '0', r)
        self.assert_journal_complete(N)

    def test_repeated_batches_are_harmless(self):
        self.central.start()
        # batches of 1,000 records: bodies larger than the central's first buffer (64 KiB)
        r = run_driver(self.pki, self.port, self.dir, records=3000, batch=1000, extra=['--until-acked'])
        self.assertEqual(r.rc, 0, r)
        # the appliance lost its ack state (fresh journal): everything comes again
        r = run_driver(self.pki, self.port, self.dir, records=3000, batch=1000, extra=['--until-acked'])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r['sent'], '3000', r)
        self.assert_journal_complete(3000)
        self.assertIn('0 stored, 1000 duplicates, ack 3000', self.central.log_tail(5))

    def test_central_killed_mid_batch(self):
        self.central.start()
        log = os.path.join(self.dir, 'driver.log')
        p = start_driver(log, self.pki, self.port, self.dir, records=N, batch=100,
                         extra=['--until-acked', '--max-seconds', '100'])
        try:
            self.wait_records(3000)
            self.central.kill()  # SIGKILL, mid-stream (and most likely mid-batch)
            killed_at = self.central.query('SELECT count(*) FROM record')[0][0]
            time.sleep(0.5)
            self.central.start()
            self.wait_records(6000)
            self.central.kill()
            time.sleep(0.3)
            self.central.start()
            rc = p.wait(120)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        out = open(log, errors='replace').read()
        self.assertEqual(rc, 0, out[-3000:])
        self.assertLess(killed_at, N, 'the kill came too late to test anything')
        r = synclib.Result(rc, out, '')
        self.assertGreaterEqual(int(r['rounds_failed']), 1, out[-3000:])
        self.assert_journal_complete(N)

    def test_ack_lost_after_commit(self):
        # the 5th batch is committed, then the central dies before answering
        self.central.start(env={'YORDAM_CENTRAL_FAULT': 'exit-after-commit:5'})
        log = os.path.join(self.dir, 'driver.log')
        p = start_driver(log, self.pki, self.port, self.dir, records=1000, batch=100,
                         extra=['--until-acked', '--max-seconds', '60'])
        try:
            self.assertTrue(self.central.wait_exit(30), 'fault injection did not fire')
            self.assertEqual(self.central.proc.popen.returncode, 3)
            self.central.proc.stop()
            self.assertEqual(self.central.query('SELECT max(seq) FROM record'), [(500,)])
            self.central.start()
            rc = p.wait(60)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        out = open(log, errors='replace').read()
        self.assertEqual(rc, 0, out[-3000:])
        self.assert_journal_complete(1000)
        # the batch whose answer was lost came again and was recognised
        self.assertIn('records 401-500: 0 stored, 100 duplicates, ack 500', open(self.central.log).read())

    def files_of(self, d):
        return {n: open(os.path.join(d, n), 'rb').read() for n in os.listdir(d)}

    def content_v(self, v):
        return os.path.join(self.dir, 'sink', 'content', 'v%d' % v)

    def current(self):
        try:
            return int(open(os.path.join(self.dir, 'sink', 'content', 'current')).read())
        except FileNotFoundError:
            return 0

    def publish_and_fetch_v1(self):
        self.central.start()
        self.assertEqual(self.central.publish(IPACK), 1)
        r = run_driver(self.pki, self.port, self.dir, kinds=['content'], extra=['--until-version', '1'])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.current(), 1)
        self.assertEqual(self.files_of(self.content_v(1)), self.files_of(IPACK))
        return r

    def test_bundle_published_fetched_applied(self):
        r = self.publish_and_fetch_v1()
        self.assertEqual(len(r.applied), 1, r)
        # a new version with a changed file
        v2 = os.path.join(self.dir, 'v2')
        shutil.copytree(IPACK, v2)
        with open(os.path.join(v2, '99-extra.pack'), 'w') as f:
            f.write('# added in version 2\n')
        self.assertEqual(self.central.publish(v2), 2)
        r = run_driver(self.pki, self.port, self.dir, kinds=['content'], extra=['--until-version', '2'])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.current(), 2)
        self.assertEqual(self.files_of(self.content_v(2)), self.files_of(v2))
        # nothing newer: the next round fetches nothing (204)
        r = run_driver(self.pki, self.port, self.dir, kinds=['content'], extra=['--rounds', '1'])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.applied, [], r)
        # no work directory is left behind
        self.assertEqual(os.listdir(os.path.join(self.dir, 'work')), [])

    def refused(self, why):
        r = run_driver(self.pki, self.port, self.dir, kinds=['content'], extra=['--rounds', '1'])
        self.assertEqual(r.applied, [], r)
        self.assertEqual(r['bundles_rejected'], '1', r)
        self.assertIn(why, r['last_error'], r)
        self.assertEqual(self.current(), 1, 'the old content must stay in service')
        self.assertEqual(self.files_of(self.content_v(1)), self.files_of(IPACK))
        self.assertEqual(os.listdir(os.path.join(self.dir, 'work')), [])

    def latest_blob(self):
        return self.central.query("SELECT version, blob FROM bundle WHERE kind = 'content' "
                                  'ORDER BY version DESC LIMIT 1')[0]

    def set_blob(self, version, blob):
        con = synclib.sqlite3.connect(self.central.db)
        con.execute("UPDATE bundle SET blob = ? WHERE kind = 'content' AND version = ?", (blob, version))
        con.commit()
        con.close()

    def test_tampered_bundles_rejected(self):
        self.publish_and_fetch_v1()
        v2 = os.path.join(self.dir, 'v2')
        shutil.copytree(IPACK, v2)
        with open(os.path.join(v2, '10-tree.pack'), 'a') as f:
            f.write('# version 2\n')
        self.central.publish(v2)
        version, good = self.latest_blob()
        # one byte of the payload changed (a text in a file)
        i = good.index(b'version 2')
        self.set_blob(version, good[:i] + b'V' + good[i + 1:])
        self.refused('signature does not verify')
        # partial: cut short
        self.set_blob(version, good[:len(good) // 2])
        self.refused('truncated')
        # garbage appended
        self.set_blob(version, good + b'\0')
        self.refused('trailing bytes')
        # signed with a key that is not the platform's
        other = os.path.join(self.dir, 'other.key')
        synclib.openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', other)
        con = synclib.sqlite3.connect(self.central.db)
        con.execute("DELETE FROM bundle WHERE version = ?", (version,))
        con.commit()
        con.close()
        self.assertEqual(self.central.publish(v2, key=other), 2)
        self.refused('signature does not verify')
        # replay: the genuine, signed version 1 offered again as the latest
        v1 = self.central.query("SELECT blob FROM bundle WHERE version = 1")[0][0]
        self.set_blob(2, v1)
        self.refused('not newer')
        # and the genuine version 2 is still accepted afterwards
        self.set_blob(2, good)
        r = run_driver(self.pki, self.port, self.dir, kinds=['content'], extra=['--until-version', '2'])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.current(), 2)

    def test_sink_refusal_keeps_content(self):
        self.publish_and_fetch_v1()
        self.central.publish(IPACK)
        r = run_driver(self.pki, self.port, self.dir, kinds=['content'], extra=['--rounds', '1', '--sink-reject'])
        self.assertEqual(r['bundles_rejected'], '1', r)
        self.assertIn('refused by the sink', r['last_error'], r)
        self.assertEqual(self.current(), 1)

    def test_session_resumption(self):
        self.central.start()
        r = run_driver(self.pki, self.port, self.dir, records=100, interval_ms=50,
                       extra=['--rounds', '4'])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual((r['handshakes_full'], r['handshakes_resumed']), ('1', '3'), r)

    def test_unreachable_backs_off(self):
        # nothing listens: every round fails fast with a clear error, retries back off with jitter
        t0 = time.monotonic()
        r = run_driver(self.pki, self.port, self.dir, records=10, backoff_min_ms=100, backoff_max_ms=400,
                       extra=['--rounds', '5'])
        took = time.monotonic() - t0
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r['rounds_failed'], '5', r)
        self.assertIn('cannot connect', r['last_error'], r)
        self.assertIn('Connection refused', r['last_error'], r)
        # delays d/2..d of 100, 200, 400, 400 ms: at least 0.55 s in all, at most ~1.1 s plus start-up
        self.assertGreater(took, 0.5)
        self.assertLess(took, 10)

    def test_foreign_appliance_certificate_refused(self):
        self.central.start()
        other = Pki(os.path.join(self.dir, 'otherpki'), ca_name='otherca')
        pki = Pki.__new__(Pki)
        pki.__dict__.update(self.pki.__dict__)
        pki.app_key, pki.app_pem = other.app_key, other.app_pem
        r = run_driver(pki, self.port, self.dir, records=10, extra=['--rounds', '1'])
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(self.central.query('SELECT count(*) FROM record'), [(0,)])
        time.sleep(0.2)
        self.assertIn('handshake failed', self.central.log_tail())


if __name__ == '__main__':
    hlr.run_tests()
