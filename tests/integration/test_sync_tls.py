"""The sync client's TLS policy against a different TLS implementation: Debian's `openssl s_server`.

A positive control first (ECDHE-ECDSA with AES-GCM, client certificate required by the server),
then the negative matrix: wrong CA, wrong host name, expired certificate, TLS 1.0 only, TLS 1.1
only, CBC-only suites, RSA key exchange only. The client must refuse each and say why: the round's
error text is checked. Certificates are made at run time in a temp dir (openssl CLI)."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlr  # noqa: E402
from synclib import Pki, Proc, free_port, run_driver, wait_tcp  # noqa: E402

LEGACY = ['-cipher', 'DEFAULT:@SECLEVEL=0']


class SyncTls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix='yordam-synctls-')
        cls.pki = Pki(os.path.join(cls.tmp, 'pki'))
        p = cls.pki
        cls.other_ca = p.make_ca('otherca')
        cls.foreign = p.leaf('foreign', 'platform.test', server=True, ca=cls.other_ca)
        cls.expired = p.leaf('expired', 'platform.test', server=True, days=-1)
        cls.rsa = p.leaf('rsa', 'platform.test', server=True, rsa=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def s_server(self, cert, *args):
        port = free_port()
        key, pem = cert
        log = os.path.join(self.tmp, 's_server-%s.log' % self._testMethodName)
        proc = Proc('openssl s_server', ['openssl', 's_server', '-accept', '127.0.0.1:%d' % port, '-cert', pem,
                                         '-key', key, '-quiet', '-www'] + list(args), log).start()
        self.addCleanup(proc.stop)
        wait_tcp('127.0.0.1', port, alive=proc.alive)
        return port

    def attempt(self, port, host='platform.test'):
        d = tempfile.mkdtemp(dir=self.tmp)
        return run_driver(self.pki, port, d, host=host, records=0, extra=['--rounds', '1'], timeout=60)

    def refuses(self, r, *needles):
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r['rounds_failed'], '1', r)
        err = r['last_error']
        self.assertIn('TLS handshake failed', err, r)
        for n in needles:
            self.assertIn(n, err, r)
        print('  refused: %s' % err, flush=True)

    def test_0_positive_control(self):
        port = self.s_server((self.pki.server_key, self.pki.server_pem), '-Verify', '1', '-CAfile', self.pki.ca[1],
                             '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256', '-no_tls1_3')
        r = self.attempt(port)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r['handshakes_full'], '1', r)

    def test_wrong_ca(self):
        r = self.attempt(self.s_server(self.foreign))
        self.refuses(r, 'certificate not trusted', 'not correctly signed by the trusted CA')

    def test_wrong_hostname(self):
        r = self.attempt(self.s_server((self.pki.server_key, self.pki.server_pem)), host='other.test')
        self.refuses(r, 'certificate name mismatch', 'does not match with the expected CN')

    def test_expired(self):
        r = self.attempt(self.s_server(self.expired))
        self.refuses(r, 'certificate expired', 'validity has expired')

    def test_tls10_only(self):
        r = self.attempt(self.s_server((self.pki.server_key, self.pki.server_pem), '-tls1', *LEGACY))
        self.refuses(r, 'speaks only TLS 1.0', 'we require TLS 1.2')

    def test_tls11_only(self):
        r = self.attempt(self.s_server((self.pki.server_key, self.pki.server_pem), '-tls1_1', *LEGACY))
        self.refuses(r, 'speaks only TLS 1.1', 'we require TLS 1.2')

    def test_cbc_only(self):
        r = self.attempt(self.s_server((self.pki.server_key, self.pki.server_pem), '-no_tls1_3', '-cipher',
                                       'ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA'))
        self.refuses(r, 'handshake failure', 'cipher suite', 'AES-GCM or ChaCha20-Poly1305')

    def test_rsa_key_exchange_only(self):
        r = self.attempt(self.s_server(self.rsa, '-no_tls1_3', '-cipher',
                                       'AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA256'))
        self.refuses(r, 'handshake failure', 'cipher suite', 'ECDHE')

    def test_openssl_has_what_we_need(self):
        out = subprocess.run(['openssl', 'version'], stdout=subprocess.PIPE).stdout.decode()
        self.assertIn('OpenSSL', out)


if __name__ == '__main__':
    hlr.run_tests()
