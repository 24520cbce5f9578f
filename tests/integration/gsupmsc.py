"""An MSC simulator speaking GSUP to OsmoHLR, for integration tests (Python 3 stdlib only).

It plays OsmoMSC's part of a USSD dialog routed by OsmoHLR to an External USSD Entity:

    m = Msc('127.0.0.42')            # OsmoHLR's GSUP address (port 4222)
    m.connect()
    r = m.begin('901700000000001', '*100#')   # BEGIN Invoke(59) -> waits for the answer
    r.text, r.state, r.component.opcode        # the screen, CONTINUE/END, 60 or 59
    r = m.cont('901700000000001', r.session_id, '1')   # ReturnResult(60) with the user's "1"
    m.abort('901700000000001', r.session_id)   # the phone hangs up
    m.close()

Everything received is checked strictly and independently of libosmocore: IPA framing, GSUP
TLVs, and the Facility component's BER (minimal lengths, every length inside its container,
nothing trailing, USSD string <= 160 octets). A malformed facility makes wait_reply() raise
BerError (Msc(strict=False) keeps it in Reply.facility_error instead), so a test that gets a
Reply back knows the bytes were well-formed.

Also usable on their own: gsm7_pack/gsm7_unpack (USSD CR padding), gsm7_encode/gsm7_decode,
decode_facility(), encode_invoke()/encode_return_result(), gsup_encode()/gsup_decode(),
and IpaSocket (IPA framing with CCM identity and PING/PONG), which hlr.py reuses for CTRL.
"""

import collections
import itertools
import select
import socket
import struct
import threading
import time

__all__ = [
    'Msc', 'Reply', 'Component', 'IpaSocket', 'BerError', 'GsupError',
    'gsm7_encode', 'gsm7_decode', 'gsm7_pack', 'gsm7_unpack', 'ussd_encode', 'ussd_decode',
    'decode_facility', 'encode_invoke', 'encode_return_result', 'gsup_encode', 'gsup_decode',
]

# --- IPA ---
IPA_PROTO_CCM = 0xFE
IPA_PROTO_OSMO = 0xEE
IPA_EXT_CTRL = 0x00
IPA_EXT_GSUP = 0x05
CCM_PING, CCM_PONG, CCM_ID_GET, CCM_ID_RESP, CCM_ID_ACK = 0x00, 0x01, 0x04, 0x05, 0x06
IDTAG_SERNR, IDTAG_UNITNAME, IDTAG_LOC1, IDTAG_LOC2, IDTAG_EQUIPVERS = 0x00, 0x01, 0x02, 0x03, 0x04
IDTAG_SWVERSION, IDTAG_IPADDR, IDTAG_MACADDR, IDTAG_UNIT = 0x05, 0x06, 0x07, 0x08

# --- GSUP (libosmocore src/gsm/gsup.c) ---
PROC_SS_REQUEST, PROC_SS_ERROR, PROC_SS_RESULT = 0x20, 0x21, 0x22
IE_IMSI, IE_CAUSE, IE_MSISDN, IE_MESSAGE_CLASS = 0x01, 0x02, 0x08, 0x0A
IE_SESSION_ID, IE_SESSION_STATE, IE_SS_INFO = 0x30, 0x31, 0x35
BEGIN, CONTINUE, END = 1, 2, 3
MESSAGE_CLASS_USSD = 3
GMM_CAUSE_NET_FAIL = 0x11

# --- 24.080 ---
INVOKE, RETURN_RESULT, RETURN_ERROR, REJECT = 0xA1, 0xA2, 0xA3, 0xA4
OP_PROCESS_USS_REQ, OP_USS_REQ, OP_USS_NOTIFY = 59, 60, 61
DCS_GSM7, DCS_UCS2 = 0x0F, 0x48
USSD_MAX_OCTETS = 160

GSUP_PORT = 4222


class BerError(ValueError):
    """A Facility component that is not strictly well-formed."""


class GsupError(ValueError):
    """A GSUP message or IPA frame that is not well-formed."""


# ---------------------------------------------------------------- GSM-7 (3GPP TS 23.038 §6.2.1)

_GSM7_BASIC = (
    '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?'
    '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà')
assert len(_GSM7_BASIC) == 128
_GSM7_EXT = {0x0A: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2F: '\\', 0x3C: '[', 0x3D: '~',
             0x3E: ']', 0x40: '|', 0x65: '€'}
_GSM7_ENC = {ch: (i,) for i, ch in enumerate(_GSM7_BASIC) if i != 0x1B}
_GSM7_ENC.update({ch: (0x1B, code) for code, ch in _GSM7_EXT.items()})
CR = 0x0D


def gsm7_encode(text):
    """str -> list of septets (escape + code for extension characters); ValueError if not GSM-7."""
    out = []
    for ch in text:
        if ch not in _GSM7_ENC:
            raise ValueError('not in GSM-7: %r' % ch)
        out.extend(_GSM7_ENC[ch])
    return out


def gsm7_decode(septets):
    """septets -> str. An unknown extension code reads as its base character (23.038), a lone
    trailing escape as a space."""
    out = []
    i = 0
    while i < len(septets):
        s = septets[i]
        if not 0 <= s < 128:
            raise ValueError('not a septet: %r' % s)
        if s == 0x1B:
            if i + 1 == len(septets):
                out.append(' ')
                break
            i += 1
            out.append(_GSM7_EXT.get(septets[i], _GSM7_BASIC[septets[i]] if septets[i] != 0x1B else ' '))
        else:
            out.append(_GSM7_BASIC[s])
        i += 1
    return ''.join(out)


def gsm7_pack(septets, ussd=True):
    """Pack septets LSB first (23.038 §6.1.2.1). With ussd (§6.1.2.3): 8n-1 septets get a CR in
    the 7 spare bits, and a text ending in CR on an octet boundary gets a second CR."""
    septets = list(septets)
    if ussd and septets:
        if len(septets) % 8 == 7:
            septets.append(CR)
        elif len(septets) % 8 == 0 and septets[-1] == CR:
            septets.append(CR)
    acc = nbits = 0
    out = bytearray()
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


def gsm7_unpack(octets, ussd=True):
    """Unpack floor(8*len/7) septets. With ussd, a CR filling the last 7 spare bits is padding
    and is dropped."""
    n = len(octets) * 8 // 7
    val = int.from_bytes(bytes(octets), 'little')
    septets = [(val >> (7 * i)) & 0x7F for i in range(n)]
    if ussd and octets and len(octets) % 7 == 0 and septets[-1] == CR:
        septets.pop()
    return septets


def ussd_encode(text):
    """str -> (dcs, octets): GSM-7 (0x0F) when possible, else UCS-2 (0x48)."""
    try:
        octets = gsm7_pack(gsm7_encode(text))
        dcs = DCS_GSM7
    except ValueError:
        octets = text.encode('utf-16-be')
        dcs = DCS_UCS2
    if len(octets) > USSD_MAX_OCTETS:
        raise ValueError('USSD string of %d octets > %d' % (len(octets), USSD_MAX_OCTETS))
    return dcs, octets


def ussd_decode(dcs, octets):
    """A USSD string -> str, for the codings a network uses; ValueError for anything else."""
    group = dcs >> 4
    if group in (0x0, 0x2, 0x3) or (group == 0xF and not dcs & 0x04) or (group in (4, 5) and (dcs >> 2) & 3 == 0):
        return gsm7_decode(gsm7_unpack(octets))
    if group in (4, 5) and (dcs >> 2) & 3 == 2:
        if len(octets) % 2:
            raise ValueError('UCS-2 string of odd length %d' % len(octets))
        return bytes(octets).decode('utf-16-be')  # strict: an unpaired surrogate raises
    if (group in (4, 5) and (dcs >> 2) & 3 == 1) or (group == 0xF and dcs & 0x04):
        return bytes(octets).decode('latin-1')
    raise ValueError('unsupported dcs 0x%02x' % dcs)


# ---------------------------------------------------------------- BER (X.690) for 24.080

def _ber_tlv(buf, pos, end):
    """Read one TLV in buf[pos:end] -> (tag, value_start, value_end). Strict: one-octet tags,
    short form below 128, 0x81 LL only for 128..255, nothing that runs past end."""
    if end - pos < 2:
        raise BerError('TLV header cut off at %d' % pos)
    tag = buf[pos]
    if tag & 0x1F == 0x1F:
        raise BerError('multi-octet tag 0x%02x at %d' % (tag, pos))
    first = buf[pos + 1]
    if first < 0x80:
        length, hdr = first, 2
    elif first == 0x81:
        if end - pos < 3:
            raise BerError('long length cut off at %d' % pos)
        length, hdr = buf[pos + 2], 3
        if length < 0x80:
            raise BerError('non-minimal length 81 %02x at %d' % (length, pos))
    elif first == 0x80:
        raise BerError('indefinite length at %d' % pos)
    else:
        raise BerError('length form 0x%02x at %d not allowed here' % (first, pos))
    if length > end - pos - hdr:
        raise BerError('length %d at %d runs past its container (%d left)' % (length, pos, end - pos - hdr))
    return tag, pos + hdr, pos + hdr + length


def _ber_children(buf, start, end):
    """All TLVs filling buf[start:end] exactly."""
    out = []
    pos = start
    while pos < end:
        tag, vs, ve = _ber_tlv(buf, pos, end)
        out.append((tag, vs, ve))
        pos = ve
    return out


class Component:
    """A decoded Facility component. Absent fields are None."""

    def __init__(self, ctype):
        self.type = ctype
        self.invoke_id = None
        self.opcode = None
        self.error_code = None
        self.problem_tag = None
        self.problem_code = None
        self.dcs = None
        self.ussd = None  # raw USSD-String octets

    @property
    def text(self):
        return None if self.ussd is None else ussd_decode(self.dcs, self.ussd)

    def __repr__(self):
        names = {INVOKE: 'Invoke', RETURN_RESULT: 'ReturnResult', RETURN_ERROR: 'ReturnError', REJECT: 'Reject'}
        fields = ['%s=%r' % (k, v) for k, v in vars(self).items() if k != 'type' and v is not None]
        return '%s(%s)' % (names.get(self.type, hex(self.type)), ', '.join(fields))


def _one_octet_int(buf, tlv, what):
    tag, vs, ve = tlv
    if tag != 0x02 or ve - vs != 1:
        raise BerError('%s: want INTEGER of one octet, got tag 0x%02x length %d' % (what, tag, ve - vs))
    return buf[vs]


def _ussd_arg(buf, tlv, comp):
    tag, vs, ve = tlv
    if tag != 0x30:
        raise BerError('USSD-Arg/Res: want SEQUENCE, got 0x%02x' % tag)
    kids = _ber_children(buf, vs, ve)
    if len(kids) < 2 or kids[0][0] != 0x04 or kids[1][0] != 0x04:
        raise BerError('USSD-Arg/Res: want dcs and string OCTET STRINGs')
    if kids[0][2] - kids[0][1] != 1:
        raise BerError('dcs of %d octets' % (kids[0][2] - kids[0][1]))
    if kids[1][2] - kids[1][1] > USSD_MAX_OCTETS:
        raise BerError('USSD string of %d octets > 160' % (kids[1][2] - kids[1][1]))
    comp.dcs = buf[kids[0][1]]
    comp.ussd = bytes(buf[kids[1][1]:kids[1][2]])


def decode_facility(data):
    """Strictly decode one component (a GSUP SS info IE's value) -> Component; BerError if it is
    not well-formed."""
    buf = bytes(data)
    ctype, vs, ve = _ber_tlv(buf, 0, len(buf))
    if ve != len(buf):
        raise BerError('%d octets after the component' % (len(buf) - ve))
    comp = Component(ctype)
    kids = _ber_children(buf, vs, ve)
    if ctype == INVOKE:
        if len(kids) < 2:
            raise BerError('Invoke without invokeID and opcode')
        comp.invoke_id = _one_octet_int(buf, kids[0], 'invokeID')
        rest = kids[1:]
        if rest[0][0] == 0x80:  # linkedID
            rest = rest[1:]
        if not rest:
            raise BerError('Invoke without opcode')
        comp.opcode = _one_octet_int(buf, rest[0], 'opcode')
        if len(rest) > 2:
            raise BerError('Invoke with more than one argument')
        if len(rest) == 2 and comp.opcode in (OP_PROCESS_USS_REQ, OP_USS_REQ, OP_USS_NOTIFY):
            _ussd_arg(buf, rest[1], comp)
    elif ctype == RETURN_RESULT:
        if not kids or len(kids) > 2:
            raise BerError('ReturnResult with %d elements' % len(kids))
        comp.invoke_id = _one_octet_int(buf, kids[0], 'invokeID')
        if len(kids) == 2:
            tag, svs, sve = kids[1]
            if tag != 0x30:
                raise BerError('ReturnResult: want SEQUENCE, got 0x%02x' % tag)
            seq = _ber_children(buf, svs, sve)
            if not seq or len(seq) > 2:
                raise BerError('ReturnResult SEQUENCE with %d elements' % len(seq))
            comp.opcode = _one_octet_int(buf, seq[0], 'opcode')
            if len(seq) == 2 and comp.opcode in (OP_PROCESS_USS_REQ, OP_USS_REQ):
                _ussd_arg(buf, seq[1], comp)
    elif ctype == RETURN_ERROR:
        if len(kids) not in (2, 3):
            raise BerError('ReturnError with %d elements' % len(kids))
        comp.invoke_id = _one_octet_int(buf, kids[0], 'invokeID')
        comp.error_code = _one_octet_int(buf, kids[1], 'error code')
    elif ctype == REJECT:
        if len(kids) != 2:
            raise BerError('Reject with %d elements' % len(kids))
        tag, ivs, ive = kids[0]
        if tag == 0x05:
            if ive != ivs:
                raise BerError('NULL invokeID with a value')
        else:
            comp.invoke_id = _one_octet_int(buf, kids[0], 'invokeID')
        tag, pvs, pve = kids[1]
        if not 0x80 <= tag <= 0x83 or pve - pvs != 1:
            raise BerError('Reject problem: tag 0x%02x length %d' % (tag, pve - pvs))
        comp.problem_tag, comp.problem_code = tag, buf[pvs]
    else:
        raise BerError('unknown component type 0x%02x' % ctype)
    return comp


def _ber_len(n):
    if n < 0x80:
        return bytes([n])
    if n < 0x100:
        return bytes([0x81, n])
    raise ValueError('length %d > 255' % n)


def _tlv(tag, value):
    return bytes([tag]) + _ber_len(len(value)) + bytes(value)


def _ussd_seq(text, dcs=None, octets=None):
    if octets is None:
        dcs, octets = ussd_encode(text)
    return _tlv(0x30, _tlv(0x04, [dcs]) + _tlv(0x04, octets))


def encode_invoke(invoke_id, opcode, text, dcs=None, octets=None):
    """Invoke { invokeID, opcode, USSD-Arg { dcs, string } }; pass dcs+octets for raw strings."""
    return _tlv(INVOKE, _tlv(0x02, [invoke_id]) + _tlv(0x02, [opcode]) + _ussd_seq(text, dcs, octets))


def encode_return_result(invoke_id, opcode, text, dcs=None, octets=None):
    """ReturnResult { invokeID, SEQUENCE { opcode, USSD-Res { dcs, string } } }."""
    return _tlv(RETURN_RESULT, _tlv(0x02, [invoke_id]) + _tlv(0x30, _tlv(0x02, [opcode]) + _ussd_seq(text, dcs, octets)))


# ---------------------------------------------------------------- GSUP

def bcd_encode(digits):
    """'901700000000001' -> TS 24.008 BCD, low nibble first, odd length padded with F."""
    if not digits or not digits.isdigit():
        raise ValueError('not a digit string: %r' % digits)
    d = [int(c) for c in digits] + ([0xF] if len(digits) % 2 else [])
    return bytes(d[i] | (d[i + 1] << 4) for i in range(0, len(d), 2))


def bcd_decode(data):
    out = []
    for i, b in enumerate(data):
        for nib in (b & 0xF, b >> 4):
            if nib == 0xF and i == len(data) - 1:
                continue
            if nib > 9:
                raise GsupError('bad BCD digit %x' % nib)
            out.append(str(nib))
    return ''.join(out)


def gsup_encode(msg_type, imsi, session_id=None, state=None, ss_info=None, cause=None, msisdn=None,
                message_class=MESSAGE_CLASS_USSD):
    """Encode a GSUP message in the IE order osmo_gsup_encode() uses."""
    out = bytearray([msg_type])
    out += bytes([IE_IMSI]) + _gsup_len(bcd_encode(imsi))
    if msisdn is not None:
        out += bytes([IE_MSISDN]) + _gsup_len(bcd_encode(msisdn))
    if cause is not None:
        out += bytes([IE_CAUSE, 1, cause])
    if state is not None:
        out += bytes([IE_SESSION_ID, 4]) + struct.pack('>I', session_id)
        out += bytes([IE_SESSION_STATE, 1, state])
    if ss_info is not None:
        out += bytes([IE_SS_INFO]) + _gsup_len(ss_info)
    if message_class is not None:
        out += bytes([IE_MESSAGE_CLASS, 1, message_class])
    return bytes(out)


def _gsup_len(value):
    if len(value) > 255:
        raise ValueError('GSUP IE of %d octets' % len(value))
    return bytes([len(value)]) + bytes(value)


def gsup_decode(data):
    """GSUP bytes -> (msg_type, {iei: value}); strict on framing, duplicate IEs rejected."""
    if not data:
        raise GsupError('empty GSUP message')
    msg_type, ies, pos = data[0], {}, 1
    while pos < len(data):
        if len(data) - pos < 2:
            raise GsupError('IE header cut off at %d' % pos)
        iei, length = data[pos], data[pos + 1]
        if length > len(data) - pos - 2:
            raise GsupError('IE 0x%02x of %d octets runs past the message' % (iei, length))
        if iei in ies:
            raise GsupError('IE 0x%02x twice' % iei)
        ies[iei] = bytes(data[pos + 2:pos + 2 + length])
        pos += 2 + length
    if IE_IMSI not in ies:
        raise GsupError('no IMSI')
    return msg_type, ies


class Reply:
    """A GSUP message from OsmoHLR for one of our sessions.

    msg_type (PROC_SS_REQUEST/ERROR/RESULT), state (BEGIN/CONTINUE/END or None), session_id,
    imsi, cause, message_class, msisdn; raw_ss (SS info bytes or None), component (Component or
    None), text (the screen, or None), dcs; facility_error (why raw_ss did not decode, only with
    Msc(strict=False)); raw (the whole GSUP message)."""

    def __init__(self, raw):
        self.raw = bytes(raw)
        self.msg_type, ies = gsup_decode(self.raw)
        self.imsi = bcd_decode(ies[IE_IMSI])
        sid = ies.get(IE_SESSION_ID)
        if sid is not None and len(sid) != 4:
            raise GsupError('session id of %d octets' % len(sid))
        self.session_id = struct.unpack('>I', sid)[0] if sid is not None else None
        self.state = _one_byte(ies, IE_SESSION_STATE)
        self.cause = _one_byte(ies, IE_CAUSE)
        self.message_class = _one_byte(ies, IE_MESSAGE_CLASS)
        self.msisdn = bcd_decode(ies[IE_MSISDN]) if IE_MSISDN in ies else None
        self.raw_ss = ies.get(IE_SS_INFO)
        self.component = None
        self.text = None
        self.dcs = None
        self.facility_error = None
        if self.raw_ss:
            try:
                self.component = decode_facility(self.raw_ss)
                self.dcs = self.component.dcs
                self.text = self.component.text
            except ValueError as e:  # BerError, or a string that does not decode
                self.facility_error = e

    @property
    def final(self):
        return self.state == END or self.msg_type == PROC_SS_ERROR

    def __repr__(self):
        names = {PROC_SS_REQUEST: 'PROC_SS_REQUEST', PROC_SS_ERROR: 'PROC_SS_ERROR', PROC_SS_RESULT: 'PROC_SS_RESULT'}
        states = {BEGIN: 'BEGIN', CONTINUE: 'CONTINUE', END: 'END'}
        return 'Reply(%s %s sid=0x%08x %r text=%r cause=%r%s)' % (
            names.get(self.msg_type, hex(self.msg_type)), states.get(self.state, self.state),
            self.session_id or 0, self.component, self.text, self.cause,
            ' facility_error=%s raw_ss=%s' % (self.facility_error, self.raw_ss.hex()) if self.facility_error else '')


def _one_byte(ies, iei):
    v = ies.get(iei)
    if v is None:
        return None
    if len(v) != 1:
        raise GsupError('IE 0x%02x of %d octets' % (iei, len(v)))
    return v[0]


# ---------------------------------------------------------------- IPA link

class IpaSocket:
    """A TCP connection with IPA framing (2-octet length, proto, payload). As a client it answers
    the server's CCM ID_GET with our identity, ID_ACK with ID_ACK and PING with PONG, itself, on a
    reader thread; everything else is queued for recv()."""

    def __init__(self, host, port, unit_name='MSC', serial='MSC-00-00-00-00-00-00', ccm=True):
        self.host, self.port = host, port
        self.unit_name, self.serial = unit_name, serial
        self._ccm = ccm
        self._sock = None
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._rxq = collections.deque()
        self._closed = None  # why the link went down, once it has
        self._identified = False
        self._acked = False
        self._thread = None

    def connect(self, timeout=5.0):
        self._sock = socket.create_connection((self.host, self.port), timeout=timeout)
        self._sock.settimeout(None)
        self._thread = threading.Thread(target=self._reader, name='ipa-%s:%d' % (self.host, self.port), daemon=True)
        self._thread.start()
        if self._ccm:
            # A message sent before the identity exchange is done gets dropped (see the notes):
            # wait for our ID_RESP to be out, then give the server a moment for its ID_ACK.
            deadline = time.monotonic() + timeout
            with self._cond:
                while not self._identified:
                    self._wait(deadline, 'IPA identity request')
                self._cond.wait_for(lambda: self._acked or self._closed, timeout=0.2)

    def _wait(self, deadline, what):
        if self._closed:
            raise ConnectionError('IPA link %s:%d closed: %s' % (self.host, self.port, self._closed))
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError('timed out waiting for %s' % what)
        self._cond.wait(left)

    def send(self, proto, payload):
        if len(payload) > 0xFFFF:
            raise ValueError('IPA payload of %d octets' % len(payload))
        frame = struct.pack('>HB', len(payload), proto) + bytes(payload)
        with self._lock:
            if self._closed:
                raise ConnectionError('IPA link closed: %s' % self._closed)
            self._sock.sendall(frame)

    def send_osmo(self, ext, payload):
        self.send(IPA_PROTO_OSMO, bytes([ext]) + bytes(payload))

    def recv(self, timeout, match=None):
        """Next (proto, payload) for which match(proto, payload) is true (default: any), leaving
        others queued. TimeoutError, or ConnectionError once the link is down and drained."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i, item in enumerate(self._rxq):
                    if match is None or match(*item):
                        del self._rxq[i]
                        return item
                self._wait(deadline, 'an IPA message from %s:%d' % (self.host, self.port))

    @property
    def closed(self):
        return self._closed

    def close(self):
        with self._lock:
            if not self._closed:
                self._closed = 'closed by us'
            sock, self._sock = self._sock, None
            self._cond.notify_all()
        if sock:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        if self._thread and self._thread is not threading.current_thread():
            self._thread.join(2)

    def _reader(self):
        buf = bytearray()
        why = 'closed by peer'
        sock = self._sock
        try:
            while True:
                r, _, _ = select.select([sock], [], [], 0.5)
                if self._closed:
                    return
                if not r:
                    continue
                data = sock.recv(65536)
                if not data:
                    break
                buf += data
                while len(buf) >= 3:
                    length, proto = struct.unpack('>HB', buf[:3])
                    if len(buf) < 3 + length:
                        break
                    payload = bytes(buf[3:3 + length])
                    del buf[:3 + length]
                    self._dispatch(proto, payload)
        except (OSError, ValueError) as e:
            why = 'error: %s' % e
        with self._cond:
            if not self._closed:
                self._closed = why
            self._cond.notify_all()

    def _dispatch(self, proto, payload):
        if proto == IPA_PROTO_CCM and payload:
            msgt = payload[0]
            if msgt == CCM_PING:
                self._send_nolock_safe(IPA_PROTO_CCM, bytes([CCM_PONG]))
                return
            if msgt == CCM_PONG:
                return
            if msgt == CCM_ID_GET:
                self._send_nolock_safe(IPA_PROTO_CCM, self._id_resp(payload[1:]))
                with self._cond:
                    self._identified = True
                    self._cond.notify_all()
                return
            if msgt == CCM_ID_ACK:
                self._send_nolock_safe(IPA_PROTO_CCM, bytes([CCM_ID_ACK]))
                with self._cond:
                    self._acked = True
                    self._cond.notify_all()
                return
        with self._cond:
            self._rxq.append((proto, payload))
            self._cond.notify_all()

    def _send_nolock_safe(self, proto, payload):
        try:
            self.send(proto, payload)
        except (OSError, ConnectionError):
            pass

    def _id_resp(self, req):
        values = {IDTAG_SERNR: self.serial, IDTAG_UNITNAME: self.unit_name, IDTAG_LOC1: '', IDTAG_LOC2: '',
                  IDTAG_EQUIPVERS: '', IDTAG_SWVERSION: '', IDTAG_IPADDR: '', IDTAG_MACADDR: '00:00:00:00:00:00',
                  IDTAG_UNIT: '0/0/0'}
        out = bytearray([CCM_ID_RESP])
        # ID_GET lists the wanted tags as (0x01, tag) pairs
        for i in range(0, len(req) - 1, 2):
            tag = req[i + 1]
            value = values.get(tag, '').encode() + b'\0'
            out += struct.pack('>HB', len(value) + 1, tag) + value
        return bytes(out)


# ---------------------------------------------------------------- the MSC

class Msc:
    """OsmoMSC's side of USSD dialogs over GSUP. Replies are matched to sessions by session id;
    every wait raises TimeoutError when nothing comes and ConnectionError when the link drops."""

    _sid_seq = itertools.count(0x1000)

    def __init__(self, host, port=GSUP_PORT, unit_name='MSC', serial='MSC-00-00-00-00-00-00', strict=True,
                 message_class=MESSAGE_CLASS_USSD):
        self.ipa = IpaSocket(host, port, unit_name, serial)
        self.strict = strict
        self.message_class = message_class
        self._net_invoke = {}  # session id -> invokeID of the network's last Invoke
        self._our_invoke = {}  # session id -> invokeID of our BEGIN Invoke

    def connect(self, timeout=5.0):
        self.ipa.connect(timeout)
        return self

    def close(self):
        self.ipa.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def new_session_id(self):
        return next(self._sid_seq) & 0xFFFFFFFF

    def send(self, msg_type, imsi, session_id, state, ss_info=None, cause=None, msisdn=None):
        """Send one GSUP SS message (raw facility bytes in ss_info)."""
        self.send_raw(gsup_encode(msg_type, imsi, session_id, state, ss_info, cause, msisdn, self.message_class))

    def send_raw(self, gsup):
        self.ipa.send_osmo(IPA_EXT_GSUP, gsup)

    def begin(self, imsi, code, msisdn=None, invoke_id=1, session_id=None, wait=True, timeout=5.0):
        """The phone dials code: PROC_SS_REQUEST BEGIN with Invoke(59) (GSM-7 for ASCII codes).
        Returns the Reply (its session_id names the dialog), or the session id with wait=False."""
        sid = self.new_session_id() if session_id is None else session_id
        self._our_invoke[sid] = invoke_id
        self.send(PROC_SS_REQUEST, imsi, sid, BEGIN, encode_invoke(invoke_id, OP_PROCESS_USS_REQ, code),
                  msisdn=msisdn)
        return self.wait_reply(sid, timeout) if wait else sid

    def cont(self, imsi, session_id, text, invoke_id=None, wait=True, timeout=5.0):
        """The user answers the network's last Invoke: PROC_SS_REQUEST CONTINUE with
        ReturnResult(invokeID of that Invoke, opcode 60, text)."""
        if invoke_id is None:
            if session_id not in self._net_invoke:
                raise ValueError('session 0x%08x has no Invoke from the network to answer' % session_id)
            invoke_id = self._net_invoke[session_id]
        self.send(PROC_SS_REQUEST, imsi, session_id, CONTINUE, encode_return_result(invoke_id, OP_USS_REQ, text))
        return self.wait_reply(session_id, timeout) if wait else None

    def abort(self, imsi, session_id, error=False, cause=GMM_CAUSE_NET_FAIL):
        """End the dialog from the MSC side: the phone's release (PROC_SS_REQUEST END without a
        facility), or with error=True OsmoMSC's own failure (PROC_SS_ERROR END with cause)."""
        if error:
            self.send(PROC_SS_ERROR, imsi, session_id, END, cause=cause)
        else:
            self.send(PROC_SS_REQUEST, imsi, session_id, END)
        self._net_invoke.pop(session_id, None)
        self._our_invoke.pop(session_id, None)

    def wait_reply(self, session_id=None, timeout=5.0):
        """The next Reply for session_id (any session if None). Other sessions' replies stay
        queued. Raises BerError for a malformed facility (unless strict=False)."""
        def match(proto, payload):
            if proto != IPA_PROTO_OSMO or not payload or payload[0] != IPA_EXT_GSUP:
                return False
            if session_id is None:
                return True
            try:
                _, ies = gsup_decode(payload[1:])
            except GsupError:
                return True  # let it be reported below
            sid = ies.get(IE_SESSION_ID)
            return sid is not None and len(sid) == 4 and struct.unpack('>I', sid)[0] == session_id

        _, payload = self.ipa.recv(timeout, match)
        reply = Reply(payload[1:])
        if reply.facility_error and self.strict:
            raise BerError('%s: %s' % (reply.facility_error, reply.raw_ss.hex()))
        if reply.component is not None and reply.component.type == INVOKE:
            self._net_invoke[reply.session_id] = reply.component.invoke_id
        if reply.final:
            self._net_invoke.pop(reply.session_id, None)
        return reply

    def expect_nothing(self, session_id=None, timeout=1.0):
        """Assert that no reply for session_id arrives within timeout."""
        try:
            reply = self.wait_reply(session_id, timeout)
        except TimeoutError:
            return
        raise AssertionError('unexpected reply: %r' % reply)
