-- The first released schema (version 1) with a little content: the fixture the migration test upgrades.
-- Rebuild with: rm -f tests/data/store-v1.db && sqlite3 tests/data/store-v1.db < tests/data/store-v1.sql
-- The CREATE statements must stay byte-identical to upgrade_v1 in store/store.c (the test compares sqlite_master).
BEGIN;
CREATE TABLE language (code TEXT PRIMARY KEY, name TEXT NOT NULL, pos INTEGER NOT NULL);
CREATE TABLE node (id TEXT PRIMARY KEY, parent TEXT REFERENCES node(id) DEFERRABLE INITIALLY DEFERRED, pos INTEGER NOT NULL, kind TEXT NOT NULL, country TEXT);
CREATE TABLE text (owner TEXT NOT NULL, field TEXT NOT NULL, lang TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (owner, field, lang));
CREATE TABLE hotline (id TEXT PRIMARY KEY, country TEXT NOT NULL, topic TEXT NOT NULL, number TEXT NOT NULL, pos INTEGER NOT NULL, source TEXT, example INTEGER NOT NULL DEFAULT 0);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO language VALUES ('uz', 'Oʻzbekcha', 1);
INSERT INTO language VALUES ('ru', 'Русский', 2);
INSERT INTO node VALUES ('root', NULL, 0, 'menu', NULL);
INSERT INTO node VALUES ('rights', 'root', 1, 'menu', NULL);
INSERT INTO node VALUES ('hotlines-ru', 'root', 2, 'hotlines', 'RU');
INSERT INTO text VALUES ('node:root', 'title', 'uz', 'Yordam');
INSERT INTO text VALUES ('node:root', 'title', 'ru', 'Помощь');
INSERT INTO text VALUES ('node:rights', 'title', 'uz', 'Huquqlaringiz');
INSERT INTO hotline VALUES ('ru-example', 'RU', 'labour', '+70000000000', 1, NULL, 1);
PRAGMA user_version = 1;
COMMIT;
