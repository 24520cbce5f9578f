"""`yordamctl content validate` on the bundled pack (menus/content) and on broken packs.

A real yordamd runs the bundled pack with its GSUP port pointed at a closed port (no HLR is
needed: validation and the dial console work without one). The bundled pack must validate with
0 errors; small broken packs written into a temporary directory must be reported: a missing
translation (import accepts it with a warning, validate does not), keywords that collide across
nodes, languages and scripts, and interface texts that cannot fit a screen.
"""
import os
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hlr as hlrmod  # noqa: E402
from yordamd import SRC, Yordamd  # noqa: E402

PACK = os.path.join(SRC, 'menus', 'content')

LANGS = """[language uz-Latn]
name = Oʻzbekcha

[language uz-Cyrl]
name = Ўзбекча

[language en]
name = English
"""

UI = {
    'back': ('Ortga', 'Ортга', 'Back'),
    'home': ('Menyu', 'Меню', 'Home'),
    'more': ('Yana', 'Яна', 'More'),
    'invalid': ('Xato', 'Хато', 'Invalid'),
    'choose_lang': ('Tilni tanlang', 'Тилни танланг', 'Choose a language'),
    'lang_saved': ('Saqlandi', 'Сақланди', 'Saved'),
    'no_hotlines': ('Raqam yoʻq', 'Рақам йўқ', 'No numbers'),
    'timeout': ('Vaqt tugadi', 'Вақт тугади', 'Time is up'),
    'goodbye': ('Xayr', 'Хайр', 'Goodbye'),
    'example': ('NAMUNA', 'НАМУНА', 'EXAMPLE'),
    'resume': ('1 Davom\\n2 Boshidan', '1 Давом\\n2 Бошидан', '1 Continue\\n2 Start over'),
}

NODES = """[node home]
kind = menu
title.uz-Latn = Yordam
title.uz-Cyrl = Ёрдам
title.en = Yordam

[node rights]
parent = home
kind = article
title.uz-Latn = Huquqlar
title.uz-Cyrl = Ҳуқуқлар
title.en = Rights
body.uz-Latn = Teng haq.
body.uz-Cyrl = Тенг ҳақ.
body.en = Equal pay.
keywords.uz-Latn = HUQUQ
keywords.uz-Cyrl = ҲУҚУҚ
keywords.en = RIGHTS

[node family]
parent = home
kind = article
title.uz-Latn = Oila
title.uz-Cyrl = Оила
title.en = Family
body.uz-Latn = Oilaga yordam.
body.uz-Cyrl = Оилага ёрдам.
body.en = Help for families.
keywords.uz-Latn = OILA
keywords.uz-Cyrl = ОИЛА
keywords.en = FAMILY

[node language]
parent = home
kind = language
title.uz-Latn = Til
title.uz-Cyrl = Тил
title.en = Language
"""


def ui_text(overrides=None):
    lines = ['[ui]']
    for key, values in UI.items():
        for lang, value in zip(('uz-Latn', 'uz-Cyrl', 'en'), values):
            value = (overrides or {}).get('%s.%s' % (key, lang), value)
            lines.append('%s.%s = %s' % (key, lang, value))
    return '\n'.join(lines) + '\n'


def write_pack(dirpath, nodes=NODES, ui_overrides=None):
    os.makedirs(dirpath, exist_ok=True)
    with open(os.path.join(dirpath, '00-languages.pack'), 'w') as f:
        f.write(LANGS + '\n' + ui_text(ui_overrides))
    with open(os.path.join(dirpath, '10-nodes.pack'), 'w') as f:
        f.write(nodes)
    return dirpath


def summary(out):
    m = re.search(r'(\d+) languages, (\d+) nodes, (\d+) screens checked, (\d+) warnings, (\d+) errors\n\Z', out)
    if not m:
        raise AssertionError('no summary line in:\n' + out)
    return tuple(int(x) for x in m.groups())


class ContentValidate(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix='yordam-content-')
        cls.d = Yordamd(content=PACK, hlr_port=9)
        cls.d.name = 'yordamd'
        cls.d.log_path = cls.d.logpath
        hlrmod.LIVE.append(cls.d)
        cls.d.start(wait_link=False)

    @classmethod
    def tearDownClass(cls):
        hlrmod.LIVE.remove(cls.d)
        rc = cls.d.stop()
        cls.d.cleanup()
        cls.tmp.cleanup()
        if rc != 0:
            raise AssertionError('yordamd exited with %r' % rc)

    def validate(self, *args):
        return self.d.ctl('content', 'validate', *args)

    def test_bundled_pack_is_valid(self):
        rc, out, err = self.validate(PACK)
        self.assertEqual(rc, 0, out + err)
        n_lang, n_nodes, screens, warnings, errors = summary(out)
        self.assertEqual((n_lang, errors, warnings), (4, 0, 0), out)
        self.assertGreaterEqual(n_nodes, 52)
        self.assertNotIn('error:', out)
        # One SMS line per node and language, and the totals.
        sms = re.findall(r'^sms: (\S+) (\S+) (gsm7|ucs2) (\d+) parts?$', out, re.M)
        self.assertEqual(len(sms), n_nodes * n_lang, out)
        for node, lang, coding, parts in sms:
            self.assertGreaterEqual(int(parts), 1)
            if lang in ('uz-Latn', 'en') and node != 'language':
                # Folding keeps Uzbek Latin in GSM-7; the picker lists Cyrillic autonyms.
                self.assertEqual(coding, 'gsm7', '%s %s' % (node, lang))
            if lang in ('uz-Cyrl', 'ru'):
                self.assertEqual(coding, 'ucs2', '%s %s' % (node, lang))
        ids = [node for node, _, _, _ in sms]
        self.assertEqual(ids, sorted(ids), 'the SMS table is sorted by node ID')
        self.assertIn('sms: rights.equal uz-Latn gsm7', out)
        for lang in ('uz-Latn', 'uz-Cyrl', 'ru', 'en'):
            self.assertRegex(out, r'(?m)^sms total: %s %d replies, \d+ parts, [\d.]+ per reply' % (lang, n_nodes))
        self.assertRegex(out, r'(?m)^screens: hlr \(128/56\): uz-Latn \d+ uz-Cyrl \d+ ru \d+ en \d+, \d+ in all$')
        self.assertRegex(out, r'(?m)^screens: dial \(128/56\):')

    def test_report_is_deterministic(self):
        a = self.validate(PACK)
        b = self.validate(PACK)
        self.assertEqual(a, b)

    def test_content_in_service_is_valid(self):
        rc, out, err = self.validate()
        self.assertEqual(rc, 0, out + err)
        self.assertIn('content in service: 4 languages', out)
        self.assertEqual(summary(out)[4], 0)

    def test_small_valid_pack(self):
        d = write_pack(os.path.join(self.tmp.name, 'good'))
        rc, out, err = self.validate(d)
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(summary(out)[3:], (0, 0), out)
        self.assertIn('sms: rights uz-Latn gsm7 1 part\n', out)
        self.assertIn('sms: rights uz-Cyrl ucs2 1 part\n', out)

    def test_broken_pack_is_reported(self):
        nodes = NODES
        # A missing translation: import falls back to en with a warning; validate says error.
        nodes = nodes.replace('title.uz-Cyrl = Оила\n', '')
        # OILA / ОИЛА (family) and oila (en, rights) are one word once case and script are gone.
        nodes = nodes.replace('keywords.en = RIGHTS', 'keywords.en = RIGHTS, oila')
        # An empty keyword and one that reads as a menu path.
        nodes = nodes.replace('keywords.en = FAMILY', 'keywords.en = FAMILY,,12')
        long_timeout = 'Time is up and this text is far too long to fit one USSD screen on any port: ' * 3
        ui = {
            'timeout.en': long_timeout.strip(),
            # 56 UCS-2 units a screen: a menu keeps less than half of it for a notice.
            'invalid.uz-Cyrl': 'Бу танлов йўқ, экрандаги рақамлардан бирини теринг',
        }
        d = write_pack(os.path.join(self.tmp.name, 'broken'), nodes, ui)
        rc, out, err = self.validate(d)
        self.assertNotEqual(rc, 0, out)
        report = out + err
        self.assertIn('warning: ', report)  # the loader's fallback warning, with file and line
        self.assertRegex(report, r'10-nodes\.pack:\d+: node family: title missing in uz-Cyrl, using en')
        self.assertIn('error: translation: node family: title missing in uz-Cyrl (falls back to en)', report)
        self.assertIn("error: keywords: 'OILA' (uz-Latn) on node family collides with 'oila' (en) on node "
                      "rights: both are OILA", report)
        self.assertIn("error: keywords: node family (en): empty keyword in 'FAMILY,,12'", report)
        self.assertIn("error: keywords: node family (en): '12' would be read as a menu path", report)
        self.assertRegex(report, r'error: hlr: ui timeout \(en\) does not fit one screen: \d+ units, the cap is 128')
        self.assertIn('error: dial: ui timeout (en) does not fit one screen', report)
        self.assertRegex(report, r"error: hlr: ui invalid \(uz-Cyrl\) is cut on node home: 'Бу танлов")
        self.assertIn('error: hlr: ui invalid+resume (uz-Cyrl) does not fit one screen', report)
        errors = summary(report)[4]
        self.assertGreaterEqual(errors, 6, report)
        self.assertEqual(errors, report.count('error: '), report)

    def test_same_keyword_on_one_node_is_fine(self):
        nodes = NODES.replace('keywords.en = RIGHTS', 'keywords.en = RIGHTS, huquq, Ҳуқуқ')
        d = write_pack(os.path.join(self.tmp.name, 'samenode'), nodes)
        rc, out, err = self.validate(d)
        self.assertEqual(rc, 0, out + err)
        self.assertNotIn('keywords', out)

    def test_missing_keywords_in_one_language_is_a_warning(self):
        nodes = NODES.replace('keywords.uz-Cyrl = ОИЛА\n', '')
        d = write_pack(os.path.join(self.tmp.name, 'nokw'), nodes)
        rc, out, err = self.validate(d)
        self.assertEqual(rc, 0, out + err)
        self.assertIn('warning: translation: node family: no keywords in uz-Cyrl', out)
        self.assertEqual(summary(out)[3:], (1, 0))

    def test_unloadable_pack(self):
        d = os.path.join(self.tmp.name, 'syntax')
        os.makedirs(d)
        with open(os.path.join(d, 'x.pack'), 'w') as f:
            f.write('[node home]\nkind = menu\nfrobnicate = 1\n')
        rc, out, err = self.validate(d)
        self.assertNotEqual(rc, 0)
        self.assertIn('x.pack:3', err)
        self.assertRegex(err, r'invalid, \d+ errors')


if __name__ == '__main__':
    hlrmod.run_tests()
