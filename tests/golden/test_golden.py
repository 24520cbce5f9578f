"""Golden transcripts: the bundled pack (menus/content) as callers and operators see it.

- dial-LANG.ok: `yordamctl dial '*100#' --as golden-LANG` walking every top-level branch in one
  language: pick the language, then for each main-menu entry 1-8: enter it, page through it with
  9 while there is more, enter its first entry (if it is a menu) and page through that, then 0
  (back) and 00 (main menu). Entry 8, the language picker, is answered with the same language.
  A fresh --as ID per language, so each walk starts at the language picker.
- content-validate.ok: the report of `yordamctl content validate menus/content` (screens per
  port and language, the SMS reply of every node with its coding and parts, totals).

The daemon runs with the caps of stock OsmoHLR (128 GSM-7 / 56 UCS-2) on its GSUP and dial ports.
Any difference fails the test with a unified diff. After a deliberate change to the content or
the renderer, regenerate and review the diff before committing:

    YORDAM_GOLDEN_UPDATE=1 ctest --test-dir BUILD -R golden --output-on-failure
    git diff tests/golden/
"""
import difflib
import os
import re
import select
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))
import hlr as hlrmod  # noqa: E402
from yordamd import SRC, YORDAMCTL, Yordamd  # noqa: E402

PACK = os.path.join(SRC, 'menus', 'content')
LANGS = ['uz-Latn', 'uz-Cyrl', 'ru', 'en']  # picker order in menus/content/00-languages.pack
UPDATE = os.environ.get('YORDAM_GOLDEN_UPDATE') == '1'
MAX_PAGES = 40  # a runaway guard: no node of the pack has this many screens


class Dialog:
    """yordamctl dial, driven one answer at a time: each answer depends on the screen shown."""

    PROMPT = b'\n> '

    def __init__(self, sock, code, ident):
        self.p = subprocess.Popen([YORDAMCTL, '-s', sock, 'dial', code, '--as', ident], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out = b''
        self.screen = self._read_screen()

    def _read_screen(self, timeout=10):
        start = len(self.out)
        deadline = time.time() + timeout
        while len(self.out) == start or not self.out.endswith(self.PROMPT):
            left = deadline - time.time()
            if left <= 0 or not select.select([self.p.stdout], [], [], left)[0]:
                raise AssertionError('no screen from yordamctl within %d s; so far:\n%s' %
                                     (timeout, self.out.decode('utf-8', 'replace')))
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                raise AssertionError('yordamctl ended the dialog early:\n%s\n%s' %
                                     (self.out.decode('utf-8', 'replace'),
                                      self.p.stderr.read().decode('utf-8', 'replace')))
            self.out += chunk
        return self.out[start:-len(self.PROMPT)].decode('utf-8')

    def answer(self, line):
        self.p.stdin.write(line.encode() + b'\n')
        self.p.stdin.flush()
        # yordamctl echoes the answer and a blank line, then prints the next screen.
        echo, blank, self.screen = self._read_screen().split('\n', 2)
        if echo != line or blank:
            raise AssertionError('unexpected output after answer %r: %r' % (line, echo + blank))
        return self.screen

    def has_more(self):
        """The footer is the last line; '9' leads it when there is a next page."""
        return re.match(r'9( |$)', self.screen.split('\n')[-1]) is not None

    def page_through(self):
        n = 0
        while self.has_more():
            n += 1
            if n > MAX_PAGES:
                raise AssertionError('more than %d pages:\n%s' % (MAX_PAGES, self.screen))
            self.answer('9')

    def hang_up(self):
        self.p.stdin.close()
        while select.select([self.p.stdout], [], [], 10)[0]:
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                break
            self.out += chunk
        self.p.wait(10)
        err = self.p.stderr.read()
        self.p.stdout.close()
        self.p.stderr.close()
        if self.p.returncode != 0:
            raise AssertionError('yordamctl exited with %d: %s' % (self.p.returncode, err.decode()))
        return self.out.decode('utf-8')


def walk(sock, lang_key, ident):
    d = Dialog(sock, '*100#', ident)
    d.answer(lang_key)  # the picker: a fresh caller
    for item in range(1, 9):
        d.answer(str(item))
        if item == 8:
            d.answer(lang_key)  # the picker again: same language, back to the main menu
            continue
        d.page_through()
        d.answer('1')
        d.page_through()
        d.answer('0')
        d.answer('00')
    return d.hang_up()


class Golden(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Yordamd(content=PACK, hlr_port=9, max_gsm7=128, max_ucs2=56)
        cls.d.name = 'yordamd'
        cls.d.log_path = cls.d.logpath
        hlrmod.LIVE.append(cls.d)
        cls.d.start(wait_link=False)

    @classmethod
    def tearDownClass(cls):
        hlrmod.LIVE.remove(cls.d)
        rc = cls.d.stop()
        cls.d.cleanup()
        if rc != 0:
            raise AssertionError('yordamd exited with %r' % rc)

    def compare(self, name, got):
        path = os.path.join(HERE, name)
        if UPDATE:
            with open(path, 'w', encoding='utf-8') as f:
                f.write(got)
            print('updated %s' % os.path.relpath(path, SRC))
            return
        try:
            with open(path, encoding='utf-8') as f:
                want = f.read()
        except FileNotFoundError:
            self.fail('%s is missing: run with YORDAM_GOLDEN_UPDATE=1 to create it' % path)
        if got != want:
            diff = ''.join(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                                'tests/golden/' + name, 'actual'))
            self.fail('%s differs (YORDAM_GOLDEN_UPDATE=1 regenerates it after a deliberate change):\n%s' %
                      (name, diff))

    def dial_walk(self, lang):
        self.compare('dial-%s.ok' % lang, walk(self.d.sock, str(LANGS.index(lang) + 1), 'golden-' + lang))

    def test_dial_uz_latn(self):
        self.dial_walk('uz-Latn')

    def test_dial_uz_cyrl(self):
        self.dial_walk('uz-Cyrl')

    def test_dial_ru(self):
        self.dial_walk('ru')

    def test_dial_en(self):
        self.dial_walk('en')

    def test_content_validate(self):
        rc, out, err = self.d.ctl('content', 'validate', PACK)
        self.assertEqual(rc, 0, out + err)
        self.compare('content-validate.ok', out.replace(os.path.realpath(PACK), 'menus/content'))


if __name__ == '__main__':
    hlrmod.run_tests()
