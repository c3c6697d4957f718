"""Scenario: the store across versions and processes."""
import os
import sqlite3
import subprocess

from conftest import COFFRED, file_digest, sanitizer_env


def test_schema_is_migrated_and_in_wal_mode(server):
    con = server.db()
    versions = [r[0] for r in con.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions and versions == list(range(1, len(versions) + 1))
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


def test_newer_database_is_refused_and_untouched(coffred_factory, tmp_path):
    s = coffred_factory(data_dir=tmp_path / "d")
    s.stop()
    db = tmp_path / "d" / "coffre.db"
    con = sqlite3.connect(db)
    con.execute("INSERT INTO schema_migrations(version, name, applied_at) VALUES (9999, 'future', 0)")
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    before = file_digest(db)
    r = subprocess.run([COFFRED, "run", "--data-dir", str(tmp_path / "d"), "--listen", "127.0.0.1:0"],
                       capture_output=True, text=True, timeout=30, env=sanitizer_env())
    assert r.returncode != 0
    assert "9999" in r.stderr and "newer" in r.stderr
    assert file_digest(db) == before


def test_second_server_on_same_data_dir_is_refused(coffred_factory, tmp_path):
    coffred_factory(data_dir=tmp_path / "d")
    r = subprocess.run([COFFRED, "run", "--data-dir", str(tmp_path / "d"), "--listen", "127.0.0.1:0"],
                       capture_output=True, text=True, timeout=30, env=sanitizer_env())
    assert r.returncode != 0
    assert "in use" in r.stderr
