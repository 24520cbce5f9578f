"""yordamd's HTTP USSD port, end to end on loopback, driven like an aggregator's gateway.

The dialogs go through the real `curl` binary (form POSTs, signature headers); the slow client
and the malformed requests use raw sockets, because curl cannot send a request byte by byte or
send a broken one. yordamd serves the integration test pack (tests/data/ipack: languages
1 Oʻzbekcha, 2 Русский, 3 English; home: 1 Your rights, 2 Hotlines, 3 Language) with no gsup
port at all. Two HTTP ports:
  gw   signed requests only (HMAC key file), default field names, 1 KiB bodies, 1.5 s deadline
  gw2  allow list only (127.0.0.3), another aggregator's field names
"""
import hashlib
import hmac
import os
import re
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlr as hlrmod  # noqa: E402
from yordamd import Yordamd  # noqa: E402

KEY = b"integration-test-hmac-key-0123456789"
IDLE = 5  # the daemon's idle timeout, seconds (the engine's minimum)
DEADLINE_MS = 1500
CONN_TIMEOUT = 4
MAX_BODY = 1024
CAP_GSM7, CAP_UCS2 = 160, 70
ALLOWED_SRC = "127.0.0.3"
EN, RU = "3", "2"

_seq = iter(range(1, 10**6))


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def new_phone():
    return "+99890%03d%04d" % (os.getpid() % 1000, next(_seq))


def new_sid():
    return "ATUid_%d_%d" % (os.getpid(), next(_seq))


def form(sid, phone, text, code="*100#", names=("sessionId", "serviceCode", "phoneNumber", "text")):
    from urllib.parse import urlencode
    return urlencode([(names[0], sid), (names[1], code), (names[2], phone), (names[3], text)])


def sign(body, ts=None, key=KEY):
    ts = str(int(time.time()) if ts is None else ts)
    mac = hmac.new(key, ts.encode() + b"." + body.encode(), hashlib.sha256).hexdigest()
    return {"X-Yordam-Timestamp": ts, "X-Yordam-Signature": mac}


def curl(port, body, path="/ussd", headers=None, source=None, method=None, content_type=None):
    """POST body with the curl binary; returns (status, response body)."""
    cmd = ["curl", "-sS", "--max-time", "10", "-o", "-", "-w", "\n%{http_code}", "--data-binary", body]
    for k, v in (headers or {}).items():
        cmd += ["-H", "%s: %s" % (k, v)]
    if content_type:
        cmd += ["-H", "Content-Type: " + content_type]
    if source:
        cmd += ["--interface", source]
    if method:
        cmd += ["-X", method]
    cmd.append("http://127.0.0.1:%d%s" % (port, path))
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    if p.returncode != 0:
        raise AssertionError("curl failed (%d): %s" % (p.returncode, p.stderr))
    out, _, code = p.stdout.rpartition("\n")
    return int(code), out


def raw_request(port, data, timeout=5.0):
    """Send raw bytes, return what comes back until the server closes or timeout."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        chunks = []
        while True:
            try:
                b = s.recv(4096)
            except socket.timeout:
                break
            if not b:
                break
            chunks.append(b)
            if b"\r\n\r\n" in b"".join(chunks) and b"Content-Length" in b"".join(chunks):
                head, _, rest = b"".join(chunks).partition(b"\r\n\r\n")
                m = re.search(rb"Content-Length: (\d+)", head)
                if m and len(rest) >= int(m.group(1)):
                    break
        return b"".join(chunks)
    finally:
        s.close()


def gsm7_ok(screen):
    return all(ord(c) < 128 for c in screen)


class UssdHttp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.port, cls.port2 = free_port(), free_port()
        cls.d = Yordamd(gsup=False, idle_timeout=IDLE, resume_window=120, extra_config="")
        keyfile = os.path.join(cls.d.dir, "gw.key")
        fd = os.open(keyfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, KEY + b"\n")
        os.close(fd)
        with open(cls.d.conf, "a") as f:
            f.write(f"""
http = ( {{ name = "gw"; address = "127.0.0.1"; port = {cls.port}; hmac_key_file = "gw.key";
           max_gsm7 = {CAP_GSM7}; max_ucs2 = {CAP_UCS2}; deadline_ms = {DEADLINE_MS};
           conn_timeout = {CONN_TIMEOUT}; max_body = {MAX_BODY}; timestamp_tolerance = 300; }},
         {{ name = "gw2"; address = "127.0.0.1"; port = {cls.port2}; allow = [ "{ALLOWED_SRC}/32" ];
           path = "/callback"; end_path = "/callback/end"; session_field = "SESSION_ID";
           service_field = "USSD_CODE"; phone_field = "MSISDN"; text_field = "USSD_STRING"; }} );
""")
        cls.d.name = "yordamd"
        cls.d.log_path = cls.d.logpath
        hlrmod.LIVE.append(cls.d)
        cls.d.start(wait_link=False)
        cls.d.wait_status("gw2 (http)", 10)

    @classmethod
    def tearDownClass(cls):
        log = cls.d.log_text()
        rc = cls.d.stop()
        hlrmod.LIVE.remove(cls.d)
        cls.d.cleanup()
        if rc != 0:
            raise AssertionError("yordamd exited with %r on SIGTERM (ASan report?):\n%s" % (rc, log[-4000:]))
        # Phone numbers are masked in the log at info level.
        m = re.search(r"\+99890\d{7}", log)
        if m:
            raise AssertionError("a full phone number in the log: %s" % m.group(0))

    # --- helpers ---

    def post(self, sid, phone, text, expect=200, ts=None, **kw):
        body = form(sid, phone, text)
        code, out = curl(self.port, body, headers=sign(body, ts=ts), **kw)
        self.assertEqual(code, expect, out)
        return out

    def screen(self, sid, phone, text, kind="CON", ts=None):
        out = self.post(sid, phone, text, ts=ts)
        self.assertTrue(out.startswith(kind + " "), "expected %s, got %r" % (kind, out))
        body = out[len(kind) + 1:]
        limit = CAP_GSM7 if gsm7_ok(body) else CAP_UCS2
        self.assertLessEqual(len(body), limit, "screen over the port's cap: %r" % body)
        return body

    def end(self, sid):
        body = "sessionId=" + sid + "&status=Incomplete"
        code, out = curl(self.port, body, path="/ussd/end", headers=sign(body))
        self.assertEqual(code, 200, out)

    def english_caller(self):
        """A phone number whose language (English) is saved, by a finished first dial."""
        phone, sid = new_phone(), new_sid()
        self.screen(sid, phone, "")
        self.assertIn("1 Your rights", self.screen(sid, phone, EN))
        self.end(sid)
        return phone

    def status(self):
        rc, out, err = self.d.ctl("status")
        self.assertEqual(rc, 0, err)
        return out

    def counter(self, port, name):
        line = [ln for ln in self.status().splitlines() if "listen=127.0.0.1:%d " % port in ln][0]
        return int(re.search(r"\b%s=(\d+)" % name, line).group(1))

    # --- dialogs ---

    def test_first_request(self):
        phone, sid = new_phone(), new_sid()
        hdrs = sign(form(sid, phone, ""))
        p = subprocess.run(["curl", "-sS", "-i", "--data-binary", form(sid, phone, ""),
                            "-H", "X-Yordam-Timestamp: " + hdrs["X-Yordam-Timestamp"],
                            "-H", "X-Yordam-Signature: " + hdrs["X-Yordam-Signature"],
                            "http://127.0.0.1:%d/ussd" % self.port], capture_output=True, timeout=20)
        out = p.stdout.decode()
        self.assertIn(" 200 ", out.splitlines()[0])
        self.assertRegex(out, r"(?i)content-type: text/plain; charset=utf-8")
        body = out.split("\r\n\r\n", 1)[1]
        self.assertTrue(body.startswith("CON "), body)
        # a new caller is asked for a language first (Uzbek Latin folded to GSM-7)
        for want in ("1 O'zbekcha", "2 Русский", "3 English"):
            self.assertIn(want, body)

    def test_navigation(self):
        phone, sid = new_phone(), new_sid()
        self.screen(sid, phone, "")
        home = self.screen(sid, phone, EN)
        self.assertIn("Language saved", home)
        self.assertIn("1 Your rights", home)
        rights = self.screen(sid, phone, EN + "*1")
        self.assertTrue(rights.startswith("Your rights"), rights)
        self.assertIn("1 Equal pay", rights)
        # the gateway retries the same request (signed afresh): the same screen, the dialog
        # does not move
        self.assertEqual(self.screen(sid, phone, EN + "*1", ts=int(time.time()) + 1), rights)
        pay = self.screen(sid, phone, EN + "*1*1")
        self.assertTrue(pay.startswith("Equal pay"), pay)
        more = self.screen(sid, phone, EN + "*1*1*9")
        self.assertIn("Your employer may not keep your passport", more)
        self.assertTrue(self.screen(sid, phone, EN + "*1*1*9*00").startswith("Yordam\n1 Your rights"))
        # a text that does not extend the last one: its last element is the answer
        self.assertTrue(self.screen(sid, phone, "2").startswith("Hotlines"))
        # two answers at once (a gateway that batched): applied in turn
        self.assertTrue(self.screen(sid, phone, "2*0*1").startswith("Your rights"))
        # Russian screens fit the UCS-2 cap
        ru = self.screen(sid, phone, "2*0*1*00*3*" + RU)
        self.assertIn("Язык сохранён", ru)
        article = self.screen(sid, phone, "2*0*1*00*3*%s*1*1" % RU)
        self.assertTrue(article.startswith("Равная оплата"), article)
        self.end(sid)

    def test_direct_path_on_first_request(self):
        phone = self.english_caller()
        # *100*1*2# dialled directly: the first request carries text "1*2"
        docs = self.screen(new_sid(), phone, "1*2")
        self.assertTrue(docs.startswith("Documents"), docs)
        self.assertIn("Your passport is yours.", docs)

    def test_end_after_idle_timeout(self):
        phone = self.english_caller()
        sid = new_sid()
        self.screen(sid, phone, "")
        timeouts = int(re.search(r"gw \(http\).*timeouts (\d+)", self.status()).group(1))
        time.sleep(IDLE + 2)
        # the engine ended the dialog meanwhile; the gateway's next request gets END
        self.assertEqual(self.screen(sid, phone, "1", kind="END"), "Time is up. Please dial again.")
        # and its retry gets the same END again, not a new dialog
        self.assertEqual(self.screen(sid, phone, "1", kind="END", ts=int(time.time()) + 1),
                         "Time is up. Please dial again.")
        # (other tests' dialogs may have timed out meanwhile too)
        self.assertGreaterEqual(int(re.search(r"gw \(http\).*timeouts (\d+)", self.status()).group(1)), timeouts + 1)

    def test_resume_after_redial(self):
        phone = self.english_caller()
        sid = new_sid()
        self.screen(sid, phone, "")
        self.screen(sid, phone, "1")
        pay = self.screen(sid, phone, "1*1")
        self.assertTrue(pay.startswith("Equal pay"), pay)
        # the caller's phone drops the dialog; the gateway says so
        self.end(sid)
        sid2 = new_sid()
        offer = self.screen(sid2, phone, "")
        self.assertIn("1 Continue", offer)
        self.assertIn("2 Start over", offer)
        self.assertEqual(self.screen(sid2, phone, "1"), pay)
        self.end(sid2)
        # start over instead
        sid3 = new_sid()
        self.assertIn("1 Continue", self.screen(sid3, phone, ""))
        home = self.screen(sid3, phone, "2")
        self.assertTrue(home.startswith("Yordam"), home)
        self.assertIn("1 Your rights", home)

    def test_end_notification_unknown_session(self):
        before = self.counter(self.port, "ends")
        self.end("no-such-session")  # idempotent: 200
        self.assertEqual(self.counter(self.port, "ends"), before + 1)

    # --- security ---

    def test_bad_signature(self):
        phone, sid = new_phone(), new_sid()
        body = form(sid, phone, "")
        before = self.counter(self.port, "sig")
        cases = [
            ({}, "missing"),
            (sign(body, key=b"not-the-key-0123456789"), "bad signature"),
            (sign(body + "1"), "bad signature"),  # signed another body
            (sign(body, ts=int(time.time()) - 400), "outside"),  # stale, though correctly signed
            (sign(body, ts=int(time.time()) + 400), "outside"),
            ({"X-Yordam-Timestamp": "soon", "X-Yordam-Signature": "00"}, "malformed"),
        ]
        for hdrs, why in cases:
            code, out = curl(self.port, body, headers=hdrs)
            self.assertEqual(code, 401, (hdrs, out))
            self.assertIn(why, out)
        self.assertEqual(self.counter(self.port, "sig"), before + len(cases))
        # none of them started a dialog: the first good request is still a first request
        self.assertIn("Choose a language", self.screen(sid, phone, ""))

    def test_replayed_request(self):
        phone, sid = new_phone(), new_sid()
        body = form(sid, phone, "")
        hdrs = sign(body)
        code, first = curl(self.port, body, headers=hdrs)
        self.assertEqual(code, 200)
        code, out = curl(self.port, body, headers=hdrs)
        self.assertEqual(code, 409, out)
        self.assertIn("replay", out)
        # a retry signed afresh is a retry, not a replay: the same screen again
        code, again = curl(self.port, body, headers=sign(body, ts=int(time.time()) + 1))
        self.assertEqual(code, 200)
        self.assertEqual(again, first)

    def test_oversized_body(self):
        phone, sid = new_phone(), new_sid()
        body = form(sid, phone, "1" * 600) + "&pad=" + "x" * MAX_BODY
        code, out = curl(self.port, body, headers=sign(body))
        self.assertEqual(code, 413, out)
        # a chunked body (no length up front) that grows past the limit: cut, never served
        chunk = b"x" * 700
        req = (b"POST /ussd HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
               b"Content-Type: application/x-www-form-urlencoded\r\n\r\n" +
               (b"%x\r\n%s\r\n" % (len(chunk), chunk)) * 3 + b"0\r\n\r\n")
        resp = raw_request(self.port, req)
        self.assertNotIn(b" 200 ", resp.split(b"\r\n")[0] if resp else b"")
        self.assertIn("Choose a language", self.screen(new_sid(), new_phone(), ""))

    def test_slow_client_cut(self):
        phone, sid = new_phone(), new_sid()
        body = form(sid, phone, "").encode()
        hdrs = sign(body.decode())
        req = (b"POST /ussd HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
               b"".join(b"%s: %s\r\n" % (k.encode(), v.encode()) for k, v in hdrs.items()) +
               b"Content-Length: %d\r\n\r\n" % len(body) + body)
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        t0 = time.time()
        sent, got = 0, b""
        try:
            for i in range(len(req)):  # one byte every 100 ms: ~30 s for the whole request
                s.send(req[i:i + 1])
                sent += 1
                time.sleep(0.1)
        except OSError:
            pass
        try:
            s.settimeout(2)
            got = s.recv(100)
        except OSError:
            pass
        s.close()
        took = time.time() - t0
        self.assertLess(sent, len(req), "the whole request went through")
        self.assertNotIn(b"200", got)
        # cut at the deadline (1.5 s), give or take housekeeping and a send that notices it
        self.assertLess(took, DEADLINE_MS / 1000 + 2.5, "cut only after %.1f s" % took)
        self.assertGreaterEqual(self.counter(self.port, "cut"), 1)

    def test_idle_keepalive_survives_past_deadline(self):
        """Only a request in progress is held to the deadline: an idle keep-alive connection
        waits up to conn_timeout for its next request."""
        phone, sid = new_phone(), new_sid()
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        try:
            for text in ("", "1"):
                body = form(sid, phone, text)
                hdrs = sign(body)
                s.sendall(b"POST /ussd HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
                          b"".join(b"%s: %s\r\n" % (k.encode(), v.encode()) for k, v in hdrs.items()) +
                          b"Content-Length: %d\r\n\r\n%s" % (len(body), body.encode()))
                resp = s.recv(4096)
                self.assertTrue(resp.startswith(b"HTTP/1.1 200"), resp)
                time.sleep(DEADLINE_MS / 1000 + 0.8)
        finally:
            s.close()

    def test_malformed_form(self):
        phone, sid = new_phone(), new_sid()
        for body, why in [
            ("sessionId=%s&serviceCode=*100%%23&phoneNumber=%s&text=%%zz" % (sid, phone[1:]), "bad form encoding"),
            ("sessionId=%s&serviceCode=*100%%23&text=" % sid, "phone number missing"),
            ("sessionId=%s&serviceCode=*100%%23&phoneNumber=%s&text=1%%00" % (sid, phone[1:]), "control"),
            ("sessionId=%s&sessionId=x&serviceCode=1&phoneNumber=%s" % (sid, phone[1:]), "twice"),
            ("sessionId=%s&serviceCode=1&phoneNumber=abc" % sid, "bad phone number"),
            ("\x7fgarbage", "session id missing"),
        ]:
            code, out = curl(self.port, body, headers=sign(body))
            self.assertEqual(code, 400, (body, out))
            self.assertIn(why, out)
        body = form(sid, phone, "")
        self.assertEqual(curl(self.port, body, headers=sign(body), content_type="application/json")[0], 415)
        self.assertEqual(curl(self.port, body, headers=sign(body), path="/other")[0], 404)
        code, _ = curl(self.port, body, headers=sign(body), method="PUT")
        self.assertEqual(code, 405)
        # not HTTP at all, and a header line without end: refused or closed, never a crash
        for junk in (b"\x00\x01\x02 nonsense\r\n\r\n", b"POST /ussd HTTP/1.1\r\nHost t\r\nBroken\r\n\r\n"):
            resp = raw_request(self.port, junk, timeout=3)
            self.assertFalse(resp.startswith(b"HTTP/1.1 200"), resp)
        # still serving
        self.assertIn("Choose a language", self.screen(sid, phone, ""))

    def test_allow_list_and_field_names(self):
        phone, sid = new_phone(), new_sid()
        names = ("SESSION_ID", "USSD_CODE", "MSISDN", "USSD_STRING")
        body = form(sid, phone, "", names=names)
        # not from the allowed address: refused whatever it carries
        code, out = curl(self.port2, body, path="/callback", headers=sign(body))
        self.assertEqual(code, 403, out)
        # from the allowed address, no signature needed; the gateway's own field names
        code, out = curl(self.port2, body, path="/callback", source=ALLOWED_SRC)
        self.assertEqual(code, 200, out)
        self.assertIn("Choose a language", out)
        code, out = curl(self.port2, form(sid, phone, EN, names=names), path="/callback", source=ALLOWED_SRC)
        self.assertIn("1 Your rights", out)
        # the default names mean nothing on this port
        code, out = curl(self.port2, form(new_sid(), phone, ""), path="/callback", source=ALLOWED_SRC)
        self.assertEqual(code, 400, out)
        code, out = curl(self.port2, "SESSION_ID=" + sid, path="/callback/end", source=ALLOWED_SRC)
        self.assertEqual(code, 200, out)


if __name__ == "__main__":
    hlrmod.run_tests()
