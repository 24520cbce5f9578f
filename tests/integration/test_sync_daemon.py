"""yordamd wired to the reference central service (issue 5) on loopback, with a PKI made by the
openssl CLI in a temp dir:

- journal records (counters, bundle events) reach the central; `yordamctl sync status` shows
  backlog 0 and a last success
- publishing a new content bundle changes what `yordamctl dial '*100#'` shows
- a tampered bundle is refused and the old content stays in service; a signed pack that does not
  parse is refused by content_import and its report is the last error
- the central down at start: the daemon serves, sync status shows the error; once the central
  starts the backlog drains
Every daemon is stopped with SIGTERM and must exit 0 (ASan builds report leaks)."""
import os
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlr  # noqa: E402
import synclib  # noqa: E402
from yordamd import Yordamd  # noqa: E402

IPACK = os.path.join(synclib.SRC, 'tests', 'data', 'ipack')


class SyncDaemon(synclib.CentralTestCase):
    prefix = 'yordam-syncd-'

    def setUp(self):
        super().setUp()
        p = self.pki
        sync = f"""
sync: {{ enabled = true; address = "127.0.0.1"; port = {self.port}; host = "{synclib.HOST}";
        ca_file = "{p.ca[1]}"; cert_file = "{p.app_pem}"; key_file = "{p.app_key}";
        bundle_key_file = "{p.bundle_pub}"; interval = 1; backoff_min_ms = 200; backoff_max_ms = 1000;
        timeout = 5; batch_size = 50; counters_interval = 1; }};
"""
        self.d = Yordamd(gsup=False, extra_config=sync, log_level='info')

    def tearDown(self):
        rc = self.d.stop()
        log = self.d.log_text()
        self.d.cleanup()
        super().tearDown()
        self.assertEqual(rc, 0, log[-3000:])

    def status(self):
        rc, out, err = self.d.ctl('sync', 'status')
        self.assertEqual(rc, 0, err)
        return out

    def wait(self, cond, what, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cond():
                return
            time.sleep(0.1)
        self.fail('%s never happened:\n%s\n%s' % (what, self.status(), self.d.log_tail()))

    def wait_status(self, pattern, timeout=30):
        self.wait(lambda: re.search(pattern, self.status()), 'sync status matching %r' % pattern, timeout)
        return self.status()

    def dial(self):
        rc, out, err = self.d.ctl('dial', '*100#', '--as', 'x', stdin='3\n')
        self.assertEqual(rc, 0, err)
        return out

    def records(self, kind=None):
        sql = 'SELECT count(*) FROM record WHERE appliance = ?'
        args = [synclib.APPLIANCE]
        if kind:
            sql += ' AND type = ?'
            args.append(kind)
        return self.central.query(sql, args)[0][0]

    def pack(self, name, title):
        d = os.path.join(self.dir, name)
        shutil.copytree(IPACK, d)
        path = os.path.join(d, '10-tree.pack')
        with open(path) as f:
            text = f.read()
        with open(path, 'w') as f:
            f.write(text.replace('title.en = Your rights', 'title.en = ' + title))
        return d

    def test_records_and_bundles(self):
        self.central.start()
        self.d.start(wait_link=False)
        self.wait(lambda: self.records('counters') >= 1, 'a counters record at the central')
        out = self.wait_status(r'last success: \d{4}-.*\n(.*\n)*backlog: 0\n')
        self.assertIn('last error: none', out)
        _, status, _ = self.d.ctl('status')
        self.assertRegex(status, r'sync: last success \d{4}-\d\d-\d\d .*, backlog \d+, last error none')
        # every stored record is valid JSON with the appliance's sequence numbers
        lo, hi, n = self.central.query('SELECT min(seq), max(seq), count(*) FROM record')[0]
        self.assertEqual((lo, hi - lo + 1), (1, n))

        self.assertIn('Your rights', self.dial())
        self.central.publish(self.pack('v1', 'Your labour rights'))
        self.wait(lambda: 'Your labour rights' in self.dial(), 'the published content in service')
        self.assertIn('content version: 1', self.status())
        self.wait(lambda: self.records('bundle_applied') == 1, 'the bundle_applied record at the central')

        # tampered: one byte of the payload changed; refused, version 1 stays in service. The central is
        # stopped meanwhile, so the appliance never sees the bundle before it is tampered with.
        self.central.stop()
        self.central.publish(self.pack('v2', 'Tampered rights'))
        version, blob = self.central.query("SELECT version, blob FROM bundle WHERE kind = 'content' "
                                           'ORDER BY version DESC LIMIT 1')[0]
        i = blob.index(b'Tampered')
        blob = blob[:i] + b'X' + blob[i + 1:]
        con = synclib.sqlite3.connect(self.central.db)
        con.execute('UPDATE bundle SET blob = ? WHERE version = ?', (blob, version))
        con.commit()
        con.close()
        self.central.start()
        self.wait_status(r'last error: .*signature does not verify')
        self.assertIn('Your labour rights', self.dial())
        self.assertIn('content version: 1', self.status())

        # signed but not a usable pack: content_import refuses it and says why; version 1 stays
        con = synclib.sqlite3.connect(self.central.db)
        con.execute('DELETE FROM bundle WHERE version = ?', (version,))
        con.commit()
        con.close()
        bad = self.pack('v3', 'x')
        with open(os.path.join(bad, '10-tree.pack'), 'a') as f:
            f.write('\n[node orphan]\nparent = nowhere\nkind = article\n')
        self.central.publish(bad)
        self.wait_status(r'last error: .*import of .* failed')
        self.assertIn('Your labour rights', self.dial())
        self.assertIn('content version: 1', self.status())

    def test_central_down_at_start(self):
        self.d.start(wait_link=False)
        # serves without the network
        self.assertIn('Your rights', self.dial())
        out = self.wait_status(r'last error: (?!none)')
        self.assertIn('last success: never', out)
        self.wait(lambda: int(re.search(r'backlog: (\d+)', self.status()).group(1)) >= 1, 'a backlog')
        self.central.start()
        # The round that drains the backlog clears the error only when it ends (bundles come after
        # the journal): wait for both.
        out = self.wait_status(r'last error: none\nbacklog: 0\n', timeout=60)
        self.assertIn('last success: 20', out)
        self.assertGreaterEqual(self.records('counters'), 1)


if __name__ == '__main__':
    hlr.run_tests()
