"""A GSM modem emulator on a pseudo-terminal, for libgammu's AT driver (Python 3 stdlib only).

    m = AtModem(tmpdir).start()     # m.device: a symlink to the pty slave (like /dev/serial/by-id/...)
    m.deliver('+998901234567', 'Salom {€}')                   # stored in "SM", announced by +CMTI
    m.deliver('+79161234567', 'Привет', coding='ucs2', concat=(0x42, 2, 1))
    m.submitted                      # every SMS-SUBMIT the host sent, decoded (Submit objects)
    m.fail_next_send(500)            # next AT+CMGS answers +CMS ERROR: 500
    m.fail_sends_to['+99890...'] = 38  # every AT+CMGS to that number answers +CMS ERROR: 38
    m.hang(True)                     # stop answering (and stop echoing)
    m.unplug(); m.replug()           # the device vanishes (symlink removed, pty closed); returns
    m.ring('+998901112233')          # RING + +CLIP every second until ATH / AT+CHUP
    m.stop()

What libgammu 1.42 asks for (see ../shared notes): echo on (ATE1), AT+CMEE, AT+CSCS, identification
(CGMI/CGMM/CGMR/CGSN/CIMI), AT+CPMS/AT+CNMI, PDU mode (AT+CMGF=0), AT+CMGR/CMGL/CMGD, AT+CSCA?,
AT+CMGS=<len> with a "> " prompt and the PDU ended by Ctrl-Z, AT+CSQ/CREG/COPS, AT+CLIP, ATH.
Unknown commands answer ERROR, as real modems do.

The SMS-DELIVER PDUs are encoded here (GSM 7-bit packing with the extension table and UDH fill
bits, UCS-2, 8-bit; 8- and 16-bit concatenation UDH) and every SMS-SUBMIT is decoded here, so the
test checks what really went over the wire, not what libgammu believes it sent. Run as a program
(python3 atmodem.py DIR) for a manual session: it prints the device path and logs commands."""

import errno
import os
import select
import sys
import threading
import time
import tty

# --- GSM 03.38 default alphabet and extension table ---------------------------------------

GSM7_BASIC = ('@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?'
              '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà')
GSM7_EXT = {0x0A: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2F: '\\', 0x3C: '[', 0x3D: '~', 0x3E: ']',
            0x40: '|', 0x65: '€'}
_BASIC_REV = {c: i for i, c in enumerate(GSM7_BASIC) if i != 0x1B}
_EXT_REV = {c: i for i, c in GSM7_EXT.items()}


def gsm7_septets(text):
    out = []
    for ch in text:
        if ch in _BASIC_REV:
            out.append(_BASIC_REV[ch])
        elif ch in _EXT_REV:
            out += [0x1B, _EXT_REV[ch]]
        else:
            raise ValueError('not in GSM 7-bit: %r' % ch)
    return out


def gsm7_text(septets):
    out, esc = [], False
    for s in septets:
        if esc:
            out.append(GSM7_EXT.get(s, ' '))
            esc = False
        elif s == 0x1B:
            esc = True
        else:
            out.append(GSM7_BASIC[s])
    return ''.join(out)


def pack7(septets, fill_bits=0):
    """Pack septets LSB first after fill_bits zero bits (UDH padding)."""
    acc, nbits, out = 0, fill_bits, bytearray()
    for s in septets:
        acc |= (s & 0x7F) << nbits
        nbits += 7
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8
    if nbits:
        out.append(acc & 0xFF)
    return bytes(out)


def unpack7(data, count, fill_bits=0):
    bits = int.from_bytes(data, 'little')
    return [(bits >> (fill_bits + 7 * i)) & 0x7F for i in range(count)]


# --- addresses and time ----------------------------------------------------------------------

def semi_octets(digits):
    if len(digits) % 2:
        digits += 'F'
    return bytes(int(digits[i + 1] + digits[i], 16) for i in range(0, len(digits), 2))


def from_semi_octets(data, ndigits):
    s = ''.join('%X%X' % (b & 0x0F, b >> 4) for b in data)
    return s[:ndigits]


def encode_address(number):
    """TP-OA/DA: digit count, type of address, semi-octets."""
    intl = number.startswith('+')
    digits = number.lstrip('+')
    return bytes([len(digits), 0x91 if intl else 0x81]) + semi_octets(digits)


def encode_smsc(number):
    body = bytes([0x91]) + semi_octets(number.lstrip('+'))
    return bytes([len(body)]) + body


def encode_scts(t):
    """7 octets: YY MM DD hh mm ss TZ, semi-octet swapped; t = (y, mo, d, h, mi, s, tz_quarters)."""
    y, mo, d, h, mi, s, tz = t
    out = bytearray()
    for v in (y % 100, mo, d, h, mi, s):
        out.append(((v % 10) << 4) | (v // 10))
    q = abs(tz)
    out.append(((q % 10) << 4) | (q // 10) | (0x08 if tz < 0 else 0))
    return bytes(out)


# --- SMS-DELIVER encoding ---------------------------------------------------------------------

def concat_udh(concat):
    """concat = (ref, total, seq) with ref < 256 for the 8-bit form, or (ref, total, seq, 16)."""
    if len(concat) == 4 and concat[3] == 16:
        ref, total, seq = concat[:3]
        return bytes([6, 0x08, 4, ref >> 8, ref & 0xFF, total, seq])
    ref, total, seq = concat[:3]
    return bytes([5, 0x00, 3, ref, total, seq])


def encode_deliver(sender, text, coding='gsm7', udh=b'', smsc='+998901000000', scts=(25, 1, 2, 3, 4, 5, 0),
                   data=None):
    """Returns (pdu bytes with SMSC, TPDU length) for AT+CMGR/CMGL."""
    first = 0x04 | (0x40 if udh else 0)  # SMS-DELIVER, no more messages to send
    dcs = {'gsm7': 0x00, 'ucs2': 0x08, '8bit': 0x04}[coding]
    if coding == 'gsm7':
        septets = gsm7_septets(text)
        if udh:
            fill = (7 - (len(udh) * 8) % 7) % 7
            udl = (len(udh) * 8 + fill) // 7 + len(septets)
            ud = udh + pack7(septets, fill)  # fill bits align the septets after the UDH
        else:
            udl = len(septets)
            ud = pack7(septets)
    elif coding == 'ucs2':
        body = text.encode('utf-16-be')
        ud = udh + body
        udl = len(ud)
    else:
        body = data if data is not None else text.encode('latin-1')
        ud = udh + body
        udl = len(ud)
    tpdu = bytes([first]) + encode_address(sender) + bytes([0x00, dcs]) + encode_scts(scts) + bytes([udl]) + ud
    return encode_smsc(smsc) + tpdu, len(tpdu)


# --- SMS-SUBMIT decoding ----------------------------------------------------------------------

class Submit:
    """One decoded SMS-SUBMIT."""

    def __init__(self, pdu_hex, tpdu_len):
        self.pdu_hex = pdu_hex
        b = bytes.fromhex(pdu_hex)
        smsc_len = b[0]
        self.smsc = from_semi_octets(b[2:1 + smsc_len], 2 * (smsc_len - 1)) if smsc_len else ''
        t = b[1 + smsc_len:]
        if tpdu_len is not None and len(t) != tpdu_len:
            raise ValueError('AT+CMGS length %d but TPDU has %d octets' % (tpdu_len, len(t)))
        first = t[0]
        if first & 0x03 != 0x01:
            raise ValueError('not an SMS-SUBMIT: first octet %02x' % first)
        self.reject_duplicates = bool(first & 0x04)
        vpf = (first >> 3) & 0x03
        self.status_report = bool(first & 0x20)
        udhi = bool(first & 0x40)
        self.mr = t[1]
        ndig, toa = t[2], t[3]
        nbytes = (ndig + 1) // 2
        self.number = ('+' if toa & 0x70 == 0x10 else '') + from_semi_octets(t[4:4 + nbytes], ndig)
        p = 4 + nbytes
        self.pid, self.dcs = t[p], t[p + 1]
        p += 2
        p += {0: 0, 2: 1, 1: 7, 3: 7}[vpf]
        udl = t[p]
        ud = t[p + 1:]
        # DCS: general data coding group 00xx: bit 5 compressed, bit 4 class present
        if self.dcs & 0xC0 == 0x00:
            alphabet = (self.dcs >> 2) & 0x03
            self.msg_class = (self.dcs & 0x03) if self.dcs & 0x10 else None
        elif self.dcs & 0xF0 == 0xF0:
            alphabet = 1 if self.dcs & 0x04 else 0
            self.msg_class = self.dcs & 0x03
        else:
            raise ValueError('unexpected DCS %02x' % self.dcs)
        self.coding = {0: 'gsm7', 1: '8bit', 2: 'ucs2'}.get(alphabet, 'reserved')
        self.udh = b''
        if udhi:
            udhl = ud[0]
            self.udh = bytes(ud[:udhl + 1])
        self.concat = None
        i = 1
        while i < len(self.udh):
            iei, iel = self.udh[i], self.udh[i + 1]
            v = self.udh[i + 2:i + 2 + iel]
            if iei == 0x00 and iel == 3:
                self.concat = (v[0], v[1], v[2])
            elif iei == 0x08 and iel == 4:
                self.concat = ((v[0] << 8) | v[1], v[2], v[3], 16)
            i += 2 + iel
        if self.coding == 'gsm7':
            hdr_bits = len(self.udh) * 8
            fill = (7 - hdr_bits % 7) % 7 if self.udh else 0
            skip_septets = (hdr_bits + fill) // 7
            nsept = udl - skip_septets
            self.septets = nsept
            self.text = gsm7_text(unpack7(ud[len(self.udh):], nsept, fill))
        elif self.coding == 'ucs2':
            body = bytes(ud[len(self.udh):udl])
            self.text = body.decode('utf-16-be')
        else:
            self.text = bytes(ud[len(self.udh):udl]).hex()

    def __repr__(self):
        return 'Submit(%s %s dcs=%02x class=%s concat=%s srr=%s %r)' % (
            self.number, self.coding, self.dcs, self.msg_class, self.concat, self.status_report, self.text)


# --- the modem -------------------------------------------------------------------------------

class AtModem:
    CAPACITY = 30

    def __init__(self, directory, name='modem', imsi='434051234567890', imei='356938035643809',
                 smsc='+998901000000', log=None):
        self.directory = directory
        self.device = os.path.join(directory, name)
        self.imsi, self.imei, self.smsc = imsi, imei, smsc
        self.log_file = log
        self.lock = threading.RLock()   # serialises writes (responses and URCs)
        self.cond = threading.Condition(self.lock)
        self.storage = {}               # index -> [stat, pdu_hex, tpdu_len]
        self.submitted = []
        self.commands = []
        self.echo = True
        self.pdu_mode = False
        self.cops_format = 0
        self.hanging = False
        self.cms_errors = []            # queued +CMS ERROR codes for the next AT+CMGS
        self.fail_sends_to = {}         # number -> +CMS ERROR code for every AT+CMGS to it
        self.mr = 0
        self.calls_hung_up = 0
        self.resets = 0
        self.ringing = None
        self.master = None
        self.slave_name = None
        self.thread = None
        self.running = False
        self.generation = 0

    # --- life cycle ---

    def start(self):
        self._open()
        return self

    def _open(self):
        master, slave = os.openpty()
        tty.setraw(slave)
        self.slave_name = os.ttyname(slave)
        # Keep our slave fd open so the pty survives between libgammu's opens and closes.
        self.slave_keep = slave
        self.master = master
        self.buf = b''
        self.mode = 'cmd'
        self.echo = True
        self.pdu_mode = False
        tmp = self.device + '.tmp'
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        os.symlink(self.slave_name, tmp)
        os.rename(tmp, self.device)
        self.running = True
        self.generation += 1
        self.thread = threading.Thread(target=self._run, args=(self.generation,), daemon=True)
        self.thread.start()

    def _close(self):
        self.running = False
        if self.thread:
            self.thread.join(3)
        with self.lock:
            for fd in (self.master, self.slave_keep):
                if fd is not None:
                    try:
                        os.close(fd)
                    except OSError:
                        pass
            self.master = None
            self.slave_keep = None

    def stop(self):
        self.ringing = None
        try:
            os.unlink(self.device)
        except FileNotFoundError:
            pass
        self._close()

    def unplug(self):
        """The USB modem vanishes: its device node goes away and open descriptors fail."""
        self.log('-- unplug')
        try:
            os.unlink(self.device)
        except FileNotFoundError:
            pass
        self._close()

    def replug(self):
        """It comes back (a new pty, under the same by-id style path)."""
        self.log('-- replug')
        self._open()

    def hang(self, on=True):
        self.log('-- hang %s' % on)
        with self.lock:
            self.hanging = on
            self.buf = b''
            self.mode = 'cmd'

    def fail_next_send(self, code=500):
        with self.lock:
            self.cms_errors.append(code)

    # --- events ---

    def deliver(self, sender, text='', coding='gsm7', concat=None, notify=True, data=None, index=None):
        """Store one SMS-DELIVER in "SM" and announce it with +CMTI (unless notify is False)."""
        udh = concat_udh(concat) if concat else b''
        pdu, tlen = encode_deliver(sender, text, coding, udh, self.smsc, data=data)
        with self.lock:
            if index is None:
                index = next(i for i in range(1, self.CAPACITY + 1) if i not in self.storage)
            self.storage[index] = [0, pdu.hex().upper(), tlen]  # 0: REC UNREAD
            if notify and not self.hanging and self.master is not None:
                self._write('\r\n+CMTI: "SM",%d\r\n' % index)
        return index

    def store_raw(self, index, pdu_hex, tpdu_len, notify=False):
        with self.lock:
            self.storage[index] = [0, pdu_hex, tpdu_len]
            if notify and self.master is not None:
                self._write('\r\n+CMTI: "SM",%d\r\n' % index)

    def ring(self, number, times=10, interval=1.0):
        """An incoming call: RING and +CLIP every interval until hung up (ATH/AT+CHUP) or times."""
        token = object()
        self.ringing = token

        def run():
            for _ in range(times):
                with self.lock:
                    if self.ringing is not token:
                        return
                    if self.master is not None and not self.hanging:
                        self._write('\r\nRING\r\n\r\n+CLIP: "%s",%d,,,,0\r\n' % (
                            number, 145 if number.startswith('+') else 129))
                time.sleep(interval)
            if self.ringing is token:
                self.ringing = None

        threading.Thread(target=run, daemon=True).start()

    def wait_for(self, pred, timeout=10.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not pred():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
            return True

    # --- I/O ---

    def log(self, text):
        if self.log_file:
            with open(self.log_file, 'a') as f:
                f.write('%.3f %s\n' % (time.monotonic(), text))

    def _write(self, text):
        data = text.encode('latin-1') if isinstance(text, str) else text
        if self.master is None:
            return
        try:
            os.write(self.master, data)
        except OSError:
            pass

    def _run(self, gen):
        while self.running and self.generation == gen:
            try:
                r, _, _ = select.select([self.master], [], [], 0.1)
            except (OSError, ValueError):
                return
            if not r:
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError as e:
                if e.errno == errno.EIO:  # nobody has the slave open: wait for the next open
                    time.sleep(0.05)
                    continue
                return
            if not data:
                continue
            with self.lock:
                if self.hanging:
                    continue
                for ch in data:
                    self._feed(bytes([ch]))

    def _feed(self, ch):
        if self.mode == 'pdu':
            if ch == b'\x1a':
                pdu, self.buf = self.buf.decode('latin-1').strip(), b''
                self.mode = 'cmd'
                if self.echo:
                    self._write(ch)
                self._submit(pdu)
            elif ch == b'\x1b':
                self.buf = b''
                self.mode = 'cmd'
                self._write('\r\nOK\r\n')
            else:
                if self.echo:
                    self._write(ch)
                self.buf += ch
            return
        if self.echo:
            self._write(ch)
        if ch == b'\r':
            line, self.buf = self.buf.decode('latin-1').strip(), b''
            if line:
                self._command(line)
        elif ch == b'\n':
            pass
        elif ch == b'\x1b':
            self.buf = b''
        else:
            self.buf += ch

    def _ok(self, *lines):
        out = ''.join('\r\n%s\r\n' % l for l in lines)
        self._write(out + '\r\nOK\r\n')

    def _error(self):
        self._write('\r\nERROR\r\n')

    def _cms(self, code):
        self._write('\r\n+CMS ERROR: %d\r\n' % code)

    def _cpms(self):
        u = len(self.storage)
        return '+CPMS: %d,%d,%d,%d,%d,%d' % (u, self.CAPACITY, u, self.CAPACITY, u, self.CAPACITY)

    def _command(self, line):
        self.log('<- ' + line)
        self.commands.append(line)
        self.cond.notify_all()
        u = line.upper()
        if not u.startswith('AT'):
            return self._error()
        c = u[2:]
        if c == '':
            return self._ok()
        if c in ('E0', 'E1'):
            self.echo = c == 'E1'
            return self._ok()
        if c in ('Z', 'Q0', 'V1', '&F'):
            return self._ok()
        if c == '+CMEE=1' or c.startswith('+CMEE='):
            return self._ok()
        if c == '+CSCS?':
            return self._ok('+CSCS: "GSM"')
        if c == '+CSCS=?':
            return self._ok('+CSCS: ("GSM","UCS2","IRA")')
        if c.startswith('+CSCS='):
            return self._ok()
        if c == '+CGMI' or c == '+GMI':
            return self._ok('Yordam')
        if c == '+CGMM' or c == '+GMM':
            return self._ok('YordamSim 1')
        if c == '+CGMR' or c == '+GMR':
            return self._ok('1.0.0')
        if c == '+CGSN' or c == '+GSN':
            return self._ok(self.imei)
        if c == '+CIMI':
            return self._ok(self.imsi)
        if c == '+CPIN?':
            return self._ok('+CPIN: READY')
        if c == '+CFUN=1':
            return self._ok()
        if c == '+CFUN?':
            return self._ok('+CFUN: 1')
        if c.startswith('+CFUN=1,1'):
            self.resets += 1
            return self._ok()
        if c == '+CSQ':
            return self._ok('+CSQ: 21,99')
        if c == '+CREG?':
            return self._ok('+CREG: 2,1,"0B0B","FACE"')
        if c.startswith('+CREG='):
            return self._ok()
        if c == '+CGREG?':
            return self._ok('+CGREG: 2,1,"0B0B","FACE"')
        if c.startswith('+CGREG='):
            return self._ok()
        if c == '+COPS?':
            if self.cops_format == 2:
                return self._ok('+COPS: 0,2,"43405"')
            return self._ok('+COPS: 0,0,"Yordam Net"')
        if c.startswith('+COPS=3,'):
            self.cops_format = int(c[8:]) if c[8:].isdigit() else 0
            return self._ok()
        if c.startswith('+COPS='):
            return self._ok()
        if c in ('+CLIP=1', '+CLIP=0', '+CRC=1', '+CRC=0', '+CCWA=1', '+CCWA=0'):
            return self._ok()
        if c in ('H', '+CHUP'):
            if self.ringing is not None:
                self.calls_hung_up += 1
            self.ringing = None
            return self._ok()
        if c == '+CPMS=?':
            return self._ok('+CPMS: ("SM"),("SM"),("SM")')
        if c == '+CPMS?':
            u_ = len(self.storage)
            return self._ok('+CPMS: "SM",%d,%d,"SM",%d,%d,"SM",%d,%d' % (
                u_, self.CAPACITY, u_, self.CAPACITY, u_, self.CAPACITY))
        if c.startswith('+CPMS='):
            if '"SM"' in c:
                return self._ok(self._cpms())
            return self._cms(302)
        if c == '+CNMI=?':
            return self._ok('+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)')
        if c.startswith('+CNMI='):
            return self._ok()
        if c == '+CMGF=?':
            return self._ok('+CMGF: (0,1)')
        if c == '+CMGF=0':
            self.pdu_mode = True
            return self._ok()
        if c == '+CMGF=1':
            return self._error()  # this modem only speaks PDU
        if c == '+CMGF?':
            return self._ok('+CMGF: %d' % (0 if self.pdu_mode else 1))
        if c == '+CSCA?':
            return self._ok('+CSCA: "%s",145' % self.smsc)
        if c.startswith('+CSMS') or c.startswith('+CSDH') or c.startswith('+CSMP'):
            return self._ok()
        if c.startswith('+CMGR='):
            return self._cmgr(c[6:])
        if c.startswith('+CMGL'):
            return self._cmgl(c)
        if c.startswith('+CMGD='):
            return self._cmgd(c[6:])
        if c.startswith('+CMGS='):
            try:
                self.pending_len = int(c[6:])
            except ValueError:
                return self._error()
            self.mode = 'pdu'
            self.buf = b''
            self._write('\r\n> ')
            return None
        return self._error()

    def _cmgr(self, arg):
        try:
            i = int(arg)
        except ValueError:
            return self._error()
        if not self.pdu_mode:
            return self._cms(302)
        m = self.storage.get(i)
        if not m:
            return self._cms(321)
        stat, pdu, tlen = m
        if stat == 0:
            m[0] = 1  # REC READ once read
        return self._ok('+CMGR: %d,,%d\r\n%s' % (stat, tlen, pdu))

    def _cmgl(self, c):
        if not self.pdu_mode:
            return self._cms(302)
        want = c.split('=', 1)[1] if '=' in c else '0'
        if want == '?':
            return self._ok('+CMGL: (0-4)')
        try:
            want = int(want)
        except ValueError:
            return self._error()
        lines = []
        for i in sorted(self.storage):
            stat, pdu, tlen = self.storage[i]
            if want == 4 or want == stat:
                lines.append('+CMGL: %d,%d,,%d\r\n%s' % (i, stat, tlen, pdu))
                if stat == 0:
                    self.storage[i][0] = 1
        return self._ok(*lines)

    def _cmgd(self, arg):
        try:
            i = int(arg.split(',')[0])
        except ValueError:
            return self._error()
        self.storage.pop(i, None)
        return self._ok()

    def _submit(self, pdu_hex):
        try:
            s = Submit(pdu_hex, self.pending_len)
        except (ValueError, IndexError, UnicodeDecodeError) as e:
            self.log('bad PDU %s: %s' % (pdu_hex, e))
            return self._cms(304)  # invalid PDU mode parameter
        self.log('-> submit %r' % s)
        # The network takes a moment; libgammu collects the answer through GSM_ReadDevice.
        if self.cms_errors or s.number in self.fail_sends_to:
            code = self.cms_errors.pop(0) if self.cms_errors else self.fail_sends_to[s.number]
            s.error = code
            self.submitted.append(s)
            self.cond.notify_all()
            return self._cms(code)
        s.error = None
        self.mr = (self.mr + 1) % 256
        s.assigned_mr = self.mr
        self.submitted.append(s)
        self.cond.notify_all()
        return self._ok('+CMGS: %d' % self.mr)


if __name__ == '__main__':
    d = sys.argv[1] if len(sys.argv) > 1 else '.'
    m = AtModem(d, log='/dev/stderr').start()
    print(m.device, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        m.stop()
