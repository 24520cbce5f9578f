"""Fixtures for the sync tests and benchmarks (stdlib only): a throw-away PKI made with the openssl
command line, the reference central service (yordam-central) and the test client (sync_driver).

    pki = Pki(tmpdir)                      # CA, server cert for platform.test, appliance-01, bundle key
    c = Central(tmp, pki, port).start()    # serve on 127.0.0.1:port; c.kill() / c.start() / c.query(sql)
    c.publish(content_dir)                 # -> version
    r = run_driver(pki, port, tmp, records=10000, until_acked=True)   # -> Result (RESULT line parsed)

Keys are generated at run time in a temp dir; none is checked in."""

import os
import unittest
import tempfile
import shutil
import re
import socket
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hlr import LIVE, Proc, wait_tcp  # noqa: E402,F401

SRC = os.environ.get('YORDAM_SRC', os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..')))
BUILD = os.environ.get('YORDAM_BUILD', os.path.join(SRC, 'build'))
CENTRAL = os.path.join(BUILD, 'central', 'yordam-central')
DRIVER = os.path.join(BUILD, 'tests', 'sync_driver')
HOST = 'platform.test'
APPLIANCE = 'appliance-01'


def openssl(*args, cwd=None):
    r = subprocess.run(['openssl'] + list(args), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        raise RuntimeError('openssl %s failed:\n%s' % (' '.join(args), r.stdout.decode(errors='replace')))


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Pki:
    """A CA and certificates in dir. ec=True: P-256 keys; leaf(..., rsa=True) for RSA servers."""

    def __init__(self, d, ca_name='ca'):
        self.dir = d
        os.makedirs(d, exist_ok=True)
        self.ca = self.make_ca(ca_name)
        self.server_key, self.server_pem = self.leaf('server', HOST, server=True)
        self.app_key, self.app_pem = self.leaf(APPLIANCE, APPLIANCE, server=False)
        self.bundle_key = os.path.join(d, 'bundle.key')
        self.bundle_pub = os.path.join(d, 'bundle.pub')
        openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', self.bundle_key)
        openssl('ec', '-in', self.bundle_key, '-pubout', '-out', self.bundle_pub)

    def p(self, name):
        return os.path.join(self.dir, name)

    def make_ca(self, name):
        key, pem = self.p(name + '.key'), self.p(name + '.pem')
        openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key,
                '-out', pem, '-days', '3650', '-subj', '/CN=Yordam test CA %s' % name,
                '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
        return (key, pem)

    def leaf(self, name, cn, server, ca=None, days=30, rsa=False):
        ca = ca or self.ca
        key, csr, pem, ext = (self.p(name + '.key'), self.p(name + '.csr'), self.p(name + '.pem'),
                              self.p(name + '.ext'))
        if rsa:
            newkey = ['-newkey', 'rsa:2048']
        else:
            newkey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']
        openssl('req', '-new', *newkey, '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=%s' % cn)
        with open(ext, 'w') as f:
            f.write('basicConstraints=CA:FALSE\n')
            if server:
                f.write('subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' % cn)
            else:
                f.write('extendedKeyUsage=clientAuth\n')
        openssl('x509', '-req', '-in', csr, '-CA', ca[1], '-CAkey', ca[0], '-CAcreateserial', '-out', pem,
                '-days', str(days), '-extfile', ext)
        return key, pem


class Central:
    def __init__(self, tmp, pki, port, env=None, name='central'):
        self.tmp, self.pki, self.port = tmp, pki, port
        self.db = os.path.join(tmp, name + '.db')
        self.log = os.path.join(tmp, name + '.log')
        self.env = env
        self.proc = None
        subprocess.run([CENTRAL, 'init', '--db', self.db], check=True)

    def start(self, env=None):
        e = dict(os.environ)
        e.update(self.env or {})
        e.update(env or {})
        self.proc = Proc('yordam-central', [CENTRAL, 'serve', '--db', self.db, '--listen', '127.0.0.1:%d' % self.port,
                                            '--ca', self.pki.ca[1], '--cert', self.pki.server_pem,
                                            '--key', self.pki.server_key], self.log, env=e).start()
        wait_tcp('127.0.0.1', self.port, alive=self.proc.alive)
        return self

    def alive(self):
        return self.proc is not None and self.proc.alive()

    def kill(self):
        if self.proc:
            self.proc.stop(kill=True)

    def stop(self):
        if self.proc:
            self.proc.stop()

    def wait_exit(self, timeout):
        deadline = time.monotonic() + timeout
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        return not self.alive()

    def query(self, sql, args=()):
        con = sqlite3.connect(self.db, timeout=10)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def publish(self, directory, key=None, kind='content'):
        r = subprocess.run([CENTRAL, 'publish', '--db', self.db, '--sign-key', key or self.pki.bundle_key,
                            '--kind', kind, directory], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = r.stdout.decode(errors='replace')
        if r.returncode != 0:
            raise RuntimeError('publish failed: ' + out)
        return int(re.search(r'version (\d+)', out).group(1))

    def log_tail(self, n=30):
        try:
            with open(self.log, errors='replace') as f:
                return ''.join(f.readlines()[-n:])
        except OSError:
            return ''


class Result:
    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err
        self.rounds = [ln for ln in out.splitlines() if ln.startswith('ROUND ')]
        self.applied = [ln for ln in out.splitlines() if ln.startswith('APPLIED ')]
        m = [ln for ln in out.splitlines() if ln.startswith('RESULT ')]
        self.fields = {}
        if m:
            line = m[-1][len('RESULT '):]
            head, _, last_error = line.partition(' last_error=')
            for kv in head.split():
                k, _, v = kv.partition('=')
                self.fields[k] = v
            if last_error:
                self.fields['last_error'] = last_error

    def __getitem__(self, k):
        return self.fields[k]

    def __repr__(self):
        return 'rc=%s\n%s\n--- stderr ---\n%s' % (self.rc, self.out[-3000:], self.err[-3000:])


def driver_argv(pki, port, tmp, host=HOST, records=0, kinds=(), batch=None, interval_ms=60000, backoff_min_ms=200,
                backoff_max_ms=1000, timeout_ms=5000, extra=()):
    work = os.path.join(tmp, 'work')
    sink = os.path.join(tmp, 'sink')
    os.makedirs(work, exist_ok=True)
    argv = [DRIVER, '--host', host, '--address', '127.0.0.1', '--port', str(port), '--ca', pki.ca[1],
            '--cert', pki.app_pem, '--key', pki.app_key, '--bundle-pub', pki.bundle_pub, '--work', work,
            '--sink', sink, '--records', str(records), '--interval-ms', str(interval_ms),
            '--backoff-min-ms', str(backoff_min_ms), '--backoff-max-ms', str(backoff_max_ms),
            '--timeout-ms', str(timeout_ms)]
    for k in kinds:
        argv += ['--kind', k]
    if batch:
        argv += ['--batch', str(batch)]
    return argv + list(extra)


def run_driver(*args, timeout=120, **kw):
    argv = driver_argv(*args, **kw)
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return Result(r.returncode, r.stdout.decode(errors='replace'), r.stderr.decode(errors='replace'))


def start_driver(log_path, *args, **kw):
    """The driver as a background process (its stdout in log_path)."""
    return subprocess.Popen(driver_argv(*args, **kw), stdout=open(log_path, 'wb'), stderr=subprocess.STDOUT)


class CentralTestCase(unittest.TestCase):
    """One PKI per test class (slow to make), a fresh reference central on an ephemeral port per test
    (self.central, self.port, self.dir); stopped after each test."""
    prefix = 'yordam-sync-'

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix=cls.prefix)
        cls.pki = Pki(os.path.join(cls.tmp, 'pki'))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix=self._testMethodName + '-', dir=self.tmp)
        self.port = free_port()
        self.central = Central(self.dir, self.pki, self.port)
        self.central.name = 'yordam-central'

    def tearDown(self):
        self.central.stop()
