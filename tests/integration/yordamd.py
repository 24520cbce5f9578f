"""Start and stop a real yordamd for integration tests (stdlib only).

The daemon runs from the test build (YORDAM_BUILD) with a configuration written into a
temporary directory: its own store, key file and control socket, a GSUP port pointed at the
test's OsmoHLR. Its stderr goes to a log file whose tail is printed when a test fails.
"""
import os
import signal
import subprocess
import tempfile
import time

SRC = os.environ.get("YORDAM_SRC", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD = os.environ.get("YORDAM_BUILD", os.path.join(SRC, "build"))
YORDAMD = os.path.join(BUILD, "firmware", "yordamd")
YORDAMCTL = os.path.join(BUILD, "firmware", "yordamctl")


class Yordamd:
    def __init__(self, hlr_address="127.0.0.1", euse="yordam", content=None, idle_timeout=60,
                 max_gsm7=128, max_ucs2=56, extra_gsup="", workdir=None, log_level="info",
                 reconnect_min_ms=200, reconnect_max_ms=1000, hlr_port=4222, extra_config="", gsup=True,
                 resume_window=None, test_clock=False):
        """extra_config is appended to the file (e.g. an `http = ( ... );` list); gsup=False
        leaves the gsup list out (a daemon serving only other ports); resume_window sets
        ussd.resume_window when given; test_clock turns on control.test_clock (`clock advance`)."""
        self.tmp = tempfile.TemporaryDirectory(prefix="yordamd-") if workdir is None else None
        self.dir = workdir or self.tmp.name
        self.content = content or os.path.join(SRC, "tests", "data", "ipack")
        self.conf = os.path.join(self.dir, "yordam.conf")
        self.sock = os.path.join(self.dir, "yordamd.sock")
        self.logpath = os.path.join(self.dir, "yordamd.log")
        self.db = os.path.join(self.dir, "yordam.db")
        resume = "" if resume_window is None else f"resume_window = {resume_window}; "
        gsup_section = f"""
gsup = ( {{ name = "hlr"; euse = "{euse}"; address = "{hlr_address}"; port = {hlr_port};
           max_gsm7 = {max_gsm7}; max_ucs2 = {max_ucs2};
           reconnect_min_ms = {reconnect_min_ms}; reconnect_max_ms = {reconnect_max_ms}; {extra_gsup} }} );
""" if gsup else ""
        with open(self.conf, "w") as f:
            f.write(f"""
log: {{ level = "{log_level}"; timestamps = true; }};
store: {{ path = "yordam.db"; key_file = "yordam.key"; }};
content: {{ dir = "{self.content}"; fallback_language = "en"; import = "if-empty"; }};
control: {{ socket = "yordamd.sock";{" test_clock = true;" if test_clock else ""} }};
ussd: {{ idle_timeout = {idle_timeout}; {resume}dial_gsm7 = {max_gsm7}; dial_ucs2 = {max_ucs2}; }};
{gsup_section}{extra_config}
""")
        self.proc = None

    def start(self, wait_link=True):
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        self.log = open(self.logpath, "ab")
        self.proc = subprocess.Popen([YORDAMD, "-c", self.conf], stdout=self.log, stderr=self.log)
        deadline = time.time() + 20
        while not os.path.exists(self.sock):
            if self.proc.poll() is not None:
                raise RuntimeError("yordamd exited with %d:\n%s" % (self.proc.returncode, self.log_tail()))
            if time.time() > deadline:
                raise RuntimeError("yordamd did not open its control socket:\n" + self.log_tail())
            time.sleep(0.05)
        if wait_link:
            self.wait_status("link up", 20)
        return self

    def wait_status(self, needle, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            rc, out, _ = self.ctl("status")
            if rc == 0 and needle in out:
                return out
            time.sleep(0.1)
        raise RuntimeError("status never showed %r:\n%s\n%s" % (needle, self.ctl("status")[1], self.log_tail()))

    def ctl(self, *args, stdin=None, timeout=30):
        p = subprocess.run([YORDAMCTL, "-s", self.sock] + list(args), input=stdin, capture_output=True,
                           text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    def stop(self, sig=signal.SIGTERM):
        """Stop the daemon; with SIGTERM it must exit 0 (ASan reports leaks as a failure)."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode
        self.proc = None
        self.log.close()
        return rc

    def log_tail(self, n=60):
        try:
            with open(self.logpath, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return "(no log)"

    def log_text(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def cleanup(self):
        if self.proc:
            self.stop(signal.SIGKILL)
        if self.tmp:
            self.tmp.cleanup()
