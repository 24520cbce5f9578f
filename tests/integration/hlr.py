"""Test fixture: a private OsmoHLR (Debian's osmo-hlr 1.5) for integration tests (stdlib only).

    with Hlr(euse=['yordam'], routes=[('*100', 'yordam')]) as hlr:   # starts, waits for GSUP
        hlr.addr                          # 127.x.y.z: its own loopback address, GSUP on 4222
        hlr.create_subscriber('901700000000001', msisdn='5551001')   # through the VTY
        hlr.ctrl_get('subscriber.by-imsi-901700000000001.msisdn')    # -> '5551001'
        hlr.restart()                     # "OsmoHLR restarts mid-dialog" (or stop(kill=True))

osmo-hlr 1.5's GSUP port is fixed at 4222, so instances are told apart by loopback address
(derived from our process id; VTY 4258 and CTRL 4259 are bound to it too). Config, database and
log live in a temporary directory, removed on close(). The log is osmo-hlr's stderr; its tail is
printed when start() fails, when a `with` block raises, and by run_tests() for every failing
test while the fixture is alive.

Proc runs any other peer (osmo-euse-demo, our daemon) the same way: own log file, stopped by
its own pid. run_tests() is a unittest main that ends with "N passed, M failed".
"""

import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gsupmsc  # noqa: E402

OSMO_HLR = os.environ.get('OSMO_HLR', '/usr/bin/osmo-hlr')
GSUP_PORT, VTY_PORT, CTRL_PORT = 4222, 4258, 4259

# Processes alive now (osmo-hlr included), whose logs run_tests() shows when a test fails.
LIVE = []
_instance = itertools.count()


def _port_free(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def pick_loopback_addr():
    """A 127.x.y.z address with GSUP/VTY/CTRL ports free, derived from the process id so that
    test processes running in parallel do not collide, and never 127.0.0.1 (where a system
    osmo-hlr may run)."""
    pid = os.getpid()
    for _ in range(256):
        n = next(_instance)
        addr = '127.%d.%d.%d' % (100 + n % 150, (pid >> 8) & 0xFF, (pid & 0xFF) or 1)
        if addr.endswith('.255'):
            continue
        if all(_port_free(addr, p) for p in (GSUP_PORT, VTY_PORT, CTRL_PORT)):
            return addr
    raise RuntimeError('no free loopback address for osmo-hlr')


def _tail(path, lines=40):
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as e:
        return '(no log: %s)' % e
    text = data.decode('utf-8', 'replace')
    text = re.sub(r'\x1b\[[0-9;]*m', '', text)
    return '\n'.join(text.splitlines()[-lines:])


def wait_tcp(addr, port, timeout=10.0, alive=None):
    """Wait until addr:port accepts a connection; alive() false means give up early."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((addr, port), timeout=0.5).close()
            return
        except OSError:
            pass
        if alive is not None and not alive():
            raise RuntimeError('process died before %s:%d accepted connections' % (addr, port))
        if time.monotonic() > deadline:
            raise TimeoutError('%s:%d does not accept connections' % (addr, port))
        time.sleep(0.05)


class Proc:
    """A peer process with its output in a log file; stopped by its own pid only."""

    def __init__(self, name, argv, log_path, cwd=None, env=None):
        self.name, self.argv, self.log_path = name, list(argv), log_path
        self.cwd, self.env = cwd, env
        self.popen = None

    def start(self):
        log = open(self.log_path, 'ab')
        try:
            self.popen = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                          cwd=self.cwd, env=self.env)
        finally:
            log.close()
        if self not in LIVE:
            LIVE.append(self)
        return self

    def alive(self):
        return self.popen is not None and self.popen.poll() is None

    def stop(self, kill=False, timeout=5.0):
        """SIGTERM (SIGKILL with kill=True, or when SIGTERM is ignored); returns the exit code."""
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout)
        rc = self.popen.returncode
        self.popen = None
        if self in LIVE:
            LIVE.remove(self)
        return rc

    def log_tail(self, lines=40):
        return _tail(self.log_path, lines)


class Vty:
    """OsmoHLR's telnet VTY: strips telnet negotiation, reads up to the next prompt."""

    PROMPT = re.compile(rb'(?:^|\n)[^\r\n]*[>#] $')
    ERRORS = ('% Unknown command', '% Command incomplete', '% There is no matched command', '% Ambiguous command')

    def __init__(self, addr, port=VTY_PORT, timeout=5.0):
        self.sock = socket.create_connection((addr, port), timeout=timeout)
        self.timeout = timeout
        self._read_prompt()

    def _read_prompt(self):
        buf = b''
        deadline = time.monotonic() + self.timeout
        while not self.PROMPT.search(buf):
            if time.monotonic() > deadline:
                raise TimeoutError('no VTY prompt; got %r' % buf[-200:])
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            data = self.sock.recv(4096)
            if not data:
                raise ConnectionError('VTY closed; got %r' % buf[-200:])
            buf += data
            buf = re.sub(rb'\xff\xfa.*?\xff\xf0', b'', buf, flags=re.S)
            buf = re.sub(rb'\xff[\xfb-\xfe].', b'', buf, flags=re.S)
        return buf.decode('utf-8', 'replace')

    def cmd(self, line):
        """Run one command; returns its output (without echo and prompt). RuntimeError when the
        VTY does not know the command."""
        self.sock.sendall(line.encode() + b'\n')
        out = self._read_prompt().replace('\r', '')
        lines = out.split('\n')
        if lines and lines[0].strip() == line.strip():
            lines = lines[1:]
        text = '\n'.join(lines[:-1]).strip('\n')
        if any(text.lstrip().startswith(e) for e in self.ERRORS):
            raise RuntimeError('VTY %r: %s' % (line, text))
        return text

    def close(self):
        self.sock.close()


class Hlr:
    """A private osmo-hlr. euse: EUSE names; routes: (prefix, euse name) pairs in match order
    (the first matching prefix wins); default_route: an EUSE name for everything else."""

    def __init__(self, euse=(), routes=(), default_route=None, guard_timeout=30, addr=None, extra_config='',
                 log_levels='ss debug\nlgsup info\nmain info'):
        self.euse = list(euse)
        self.routes = list(routes)
        self.default_route = default_route
        self.guard_timeout = guard_timeout
        self.extra_config = extra_config
        self.log_levels = log_levels
        self.addr = addr or pick_loopback_addr()
        self.dir = tempfile.mkdtemp(prefix='yordam-hlr-')
        self.cfg_path = os.path.join(self.dir, 'hlr.cfg')
        self.db_path = os.path.join(self.dir, 'hlr.db')
        self.log_path = os.path.join(self.dir, 'hlr.log')
        self.name = 'osmo-hlr@%s' % self.addr
        self.proc = None

    # --- lifecycle ---

    def config(self):
        a = self.addr
        lines = ['log stderr', ' logging filter all 1', ' logging color 0', ' logging print category 1',
                 ' logging print extended-timestamp 1', ' logging level set-all notice']
        lines += [' logging level %s' % lv for lv in self.log_levels.split('\n') if lv.strip()]
        lines += ['line vty', ' bind %s' % a, 'ctrl', ' bind %s' % a, 'hlr', ' gsup', '  bind ip %s' % a,
                  ' ncss-guard-timeout %d' % self.guard_timeout]
        lines += [' euse %s' % e for e in self.euse]
        lines += [' ussd route prefix %s external %s' % (p, e) for p, e in self.routes]
        if self.default_route:
            lines.append(' ussd default-route external %s' % self.default_route)
        if self.extra_config:
            lines += self.extra_config.rstrip('\n').split('\n')
        return '\n'.join(lines) + '\n'

    def start(self, timeout=10.0):
        with open(self.cfg_path, 'w') as f:
            f.write(self.config())
        with open(self.log_path, 'ab') as f:
            f.write(b'=== start %s\n' % time.strftime('%H:%M:%S').encode())
        self.proc = Proc(self.name, [OSMO_HLR, '-c', self.cfg_path, '-l', self.db_path], self.log_path,
                         cwd=self.dir).start()
        try:
            for port in (GSUP_PORT, VTY_PORT, CTRL_PORT):
                wait_tcp(self.addr, port, timeout, self.proc.alive)
        except Exception:
            self.print_log('osmo-hlr did not come up')
            self.stop(kill=True)
            raise
        return self

    def stop(self, kill=False):
        """Stop osmo-hlr (SIGTERM, or SIGKILL with kill=True); the database stays."""
        if self.proc is not None:
            self.proc.stop(kill=kill)
            self.proc = None

    def restart(self, kill=False, pause=0.0):
        self.stop(kill=kill)
        if pause:
            time.sleep(pause)
        return self.start()

    def alive(self):
        return self.proc is not None and self.proc.alive()

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        if not self.alive():
            self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.print_log('%s: %s' % (exc_type.__name__, exc))
        self.close()

    def log_tail(self, lines=40):
        return _tail(self.log_path, lines)

    def print_log(self, why='', lines=40):
        sys.stderr.write('--- %s log tail (%s) %s\n%s\n---\n' % (self.name, self.log_path, why, self.log_tail(lines)))

    # --- peers ---

    def msc(self, **kw):
        """A connected gsupmsc.Msc on this HLR."""
        return gsupmsc.Msc(self.addr, GSUP_PORT, **kw).connect()

    def gsup_peers(self):
        """Names (IPA serial numbers) of the GSUP clients connected now."""
        return re.findall(r"'([^']*)' from ", self.vty('show gsup-connections')[0])

    def wait_peer(self, serial, timeout=10.0):
        """Wait until a GSUP client with that serial (e.g. 'EUSE-yordam') is connected."""
        deadline = time.monotonic() + timeout
        while serial not in self.gsup_peers():
            if time.monotonic() > deadline:
                raise TimeoutError('%s never connected to %s; peers: %s' % (serial, self.name, self.gsup_peers()))
            time.sleep(0.05)

    # --- VTY and CTRL ---

    def vty(self, *commands, enable=True):
        """Run VTY commands (after `enable`); returns their outputs."""
        v = Vty(self.addr)
        try:
            if enable:
                v.cmd('enable')
            return [v.cmd(c) for c in commands]
        finally:
            v.close()

    def create_subscriber(self, imsi, msisdn=None):
        out = self.vty('subscriber imsi %s create' % imsi)[0]
        if 'Created subscriber' not in out:
            raise RuntimeError('creating subscriber %s: %s' % (imsi, out))
        if msisdn is not None:
            out = self.vty('subscriber imsi %s update msisdn %s' % (imsi, msisdn))[0]
            if 'Updated subscriber' not in out:
                raise RuntimeError('setting MSISDN of %s: %s' % (imsi, out))

    def ctrl_get(self, var, timeout=5.0):
        """GET var over the CTRL interface -> value; RuntimeError on an ERROR reply."""
        ipa = gsupmsc.IpaSocket(self.addr, CTRL_PORT, ccm=False)
        ipa.connect(timeout)
        try:
            ipa.send_osmo(gsupmsc.IPA_EXT_CTRL, ('GET 1 %s' % var).encode())
            _, payload = ipa.recv(timeout, lambda proto, p: proto == gsupmsc.IPA_PROTO_OSMO and p[:1] == b'\x00')
        finally:
            ipa.close()
        words = payload[1:].decode('utf-8', 'replace').split(' ', 3)
        if words[0] == 'GET_REPLY' and len(words) == 4 and words[1] == '1' and words[2] == var:
            return words[3]
        raise RuntimeError('CTRL GET %s: %s' % (var, ' '.join(words)))


# --- a unittest main for integration tests ---

class _Result(unittest.TextTestResult):
    def _show_logs(self):
        for fx in list(LIVE):
            self.stream.write('\n--- log tail of %s (%s)\n%s\n---\n' % (fx.name, fx.log_path, fx.log_tail()))

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._show_logs()

    def addError(self, test, err):
        super().addError(test, err)
        self._show_logs()


def run_tests(module='__main__', argv=None):
    """Run the module's tests; print logs of live fixtures on each failure and, last, a line
    "N passed, M failed" (skips are neither); exit 0 only when nothing failed."""
    argv = sys.argv if argv is None else argv
    prog = unittest.main(module=module, argv=argv, exit=False,
                         testRunner=unittest.TextTestRunner(resultclass=_Result, verbosity=2))
    r = prog.result
    failed = len(r.failures) + len(r.errors) + len(r.unexpectedSuccesses)
    passed = r.testsRun - failed - len(r.skipped) - len(r.expectedFailures)
    print('%d passed, %d failed' % (passed, failed), flush=True)
    sys.exit(1 if failed or r.testsRun == 0 else 0)
