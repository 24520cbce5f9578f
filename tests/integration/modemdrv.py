"""Test fixture around modem_driver (tests/integration/modem_driver.c), stdlib only.

    d = Driver(device, 'none', 'dummy', poll_ms=500).start()
    d.wait_state('READY')
    rx = d.wait_rx(3)                  # three RX lines, parsed
    d.send(1, '+998901234567', 'gsm7', 'Salom')  # -> QUEUED rc
    d.wait_sent(1)                     # -> (result, mr)
    d.stop()

Also inject_dummy(): put one part into the dummy phone's inbox the way the notes say (write
.tmp-N, rename to N)."""

import json
import os
import queue
import subprocess
import threading
import time

BUILD = os.environ.get('YORDAM_BUILD', os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../build'))


def driver_path():
    for p in (os.path.join(BUILD, 'tests', 'modem_driver'), os.path.join(BUILD, 'modem_driver')):
        if os.path.exists(p):
            return p
    raise FileNotFoundError('modem_driver not built under %s' % BUILD)


class Rx:
    def __init__(self, line):
        f = line.split(' ')
        self.folder, self.location = int(f[1]), int(f[2])
        self.sender, self.coding = f[3], f[4]
        self.concat = None
        if f[5] != '-':
            kind, ref, total, seq = f[5].split(':')
            self.concat = (kind, int(ref), int(total), int(seq))
        self.sent_time = int(f[6])
        self.raw_text = f[7]
        self.text = '' if f[7] == '-' else bytes.fromhex(f[7]).decode('utf-8')

    def __repr__(self):
        return 'Rx(%d/%d %s %s %s %r)' % (self.folder, self.location, self.sender, self.coding, self.concat,
                                           self.text)


class Driver:
    def __init__(self, device, connection, model, log_path=None, env=None, **opts):
        self.argv = [driver_path(), device, connection, model or '-']
        self.argv += ['%s=%s' % (k, int(v) if isinstance(v, bool) else v) for k, v in opts.items()]
        self.log_path = log_path
        self.env = env
        self.lines = queue.Queue()
        self.history = []
        self.proc = None

    def start(self):
        log = open(self.log_path, 'ab') if self.log_path else subprocess.DEVNULL
        env = dict(os.environ)
        env.update(self.env or {})
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                     env=env, bufsize=0)
        if self.log_path:
            log.close()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        return self

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode('utf-8', 'replace').rstrip('\n')
            self.history.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def cmd(self, text):
        self.proc.stdin.write((text + '\n').encode())
        self.proc.stdin.flush()

    def expect(self, pred, timeout=10.0, what='line'):
        """Next line for which pred(line) is true; other lines are kept in history only."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError('no %s within %.1fs; recent: %s' % (what, timeout, self.history[-15:]))
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise EOFError('modem_driver ended while waiting for %s; recent: %s' % (what, self.history[-15:]))
            if pred(line):
                return line

    def wait_state(self, name, timeout=20.0):
        return self.expect(lambda l: l == 'STATE ' + name, timeout, 'STATE ' + name)

    def wait_rx(self, n, timeout=15.0):
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < n:
            line = self.expect(lambda l: l.startswith('RX '), max(0.01, deadline - time.monotonic()),
                               'RX (%d of %d)' % (len(out) + 1, n))
            out.append(Rx(line))
        return out

    def no_rx(self, seconds):
        """Assert nothing is received for a while; returns RX lines seen (should be [])."""
        seen = []
        try:
            while True:
                line = self.expect(lambda l: l.startswith('RX '), seconds, 'RX')
                seen.append(Rx(line))
        except TimeoutError:
            pass
        return seen

    def send(self, ident, number, coding, text, ref=0, total=0, seq=0, report=False):
        hx = text.encode('utf-8').hex() or '-'
        self.cmd('send %d %s %s %d %d %d %s%s' % (ident, number, coding, ref, total, seq, hx,
                                                  ' report' if report else ''))
        line = self.expect(lambda l: l.startswith('QUEUED %d ' % ident), 5, 'QUEUED %d' % ident)
        return int(line.split()[2])

    def wait_sent(self, ident, timeout=20.0):
        line = self.expect(lambda l: l.startswith('SENT %d ' % ident), timeout, 'SENT %d' % ident)
        f = line.split()
        return int(f[2]), int(f[3])

    def delete(self, folder, location):
        self.cmd('delete %d %d' % (folder, location))
        line = self.expect(lambda l: l.startswith('DELETE %d %d ' % (folder, location)), 5, 'DELETE')
        return int(line.split()[3])

    def status(self):
        self.cmd('status')
        line = self.expect(lambda l: l.startswith('STATUS '), 5, 'STATUS')
        return json.loads(line[len('STATUS '):])

    def stop(self, timeout=30.0):
        """quit; returns the lines printed from then on (SENT lines of cancelled parts, BYE)."""
        if not self.proc or self.proc.poll() is not None:
            return []
        mark = len(self.history)
        try:
            self.cmd('quit')
        except BrokenPipeError:
            pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        self.reader.join(5)
        self.proc.stdout.close()
        self.proc.stdin.close()
        return self.history[mark:]

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _ucs2_hex(text):
    return text.encode('utf-16-be').hex().upper()


def inject_dummy(device, n, number, text='', coding='Default_No_Compression', udh=None, data=None, folder=1,
                 raw=None):
    """One part into DIR/sms/<folder>/<n> (written to .tmp-N, then renamed). raw: file content as is."""
    d = os.path.join(device, 'sms', str(folder))
    os.makedirs(d, exist_ok=True)
    if raw is None:
        body = data.hex().upper() if data is not None else _ucs2_hex(text)
        lines = ['[SMSBackup000]', 'PDU = Deliver', 'SMSC = "+998901000000"', 'DateTime = 20250102T030405',
                 'State = UnRead', 'Number = "%s"' % number, 'Coding = %s' % coding, 'Folder = %d' % folder]
        # the backup format keeps at most 200 hex digits a line
        for i in range(0, max(len(body), 1), 200):
            lines.append('Text%02d = %s' % (i // 200, body[i:i + 200]))
        if udh:
            lines.append('UDH = %s' % udh)
        raw = '\n'.join(lines) + '\n'
    tmp = os.path.join(d, '.tmp-%d' % n)
    with open(tmp, 'w') as f:
        f.write(raw)
    os.rename(tmp, os.path.join(d, str(n)))
