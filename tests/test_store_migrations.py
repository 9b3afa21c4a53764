"""Schema versions (Alembic): a database of an older revision opens after a backed-up automatic upgrade."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from lianxin_geo.store import StoreError, head_revision, open_store
from lianxin_geo.store import engine as E

NOW = dt.datetime(2026, 6, 30, 8, 0, tzinfo=dt.timezone.utc)


def _at_revision_1(db_url: str) -> sa.Engine:
    """A database made by the first release (revision 0001) holding one round and one measure."""
    engine = E.make_engine(E.resolve_url(db_url))
    E.migrate(engine, "0001")
    with engine.begin() as conn:
        meta = sa.MetaData()
        rounds = sa.Table("rounds", meta, autoload_with=conn)
        measures = sa.Table("measures", meta, autoload_with=conn)
        assert "seconds" not in rounds.c  # revision 0001 has no import time yet
        conn.execute(rounds.insert(), {
            "id": 1, "name": "2026-06", "created_at": NOW, "created_by": "旧版本", "replaced": False,
            "profile_name": "shunyi-2017", "profile_json": {"profile": {"name": "shunyi-2017"}, "values": []},
            "files": {"orgs": {"name": "组织.xlsx", "sha256": "0" * 64}}, "rows_in": 3, "accepted": 2,
            "rejected": 1, "orgs": 2, "org_coverage_rate": 0.5, "single_rate": 0.25, "work_coverage_rate": 1.0,
            "district": {"code": "110113"}, "meta": {}})
        conn.execute(measures.insert(), {
            "id": 7, "origin_round_id": 1, "last_round_id": 1, "org_id": "X", "org_name": "甲公司",
            "jurisdiction_code": "110113001", "action": "应单独建立党组织", "measure": "组建", "status": "进行中",
            "version": 3, "created_at": NOW, "updated_at": NOW, "owner": "张三"})
        conn.execute(sa.text("INSERT INTO measure_rounds (measure_id, round_id, proposed) VALUES (7, 1, true)"))
        audit = sa.Table("audit", meta, autoload_with=conn)
        conn.execute(audit.insert(), {"at": NOW, "who": "旧版本", "what": "round.import", "round_name": "2026-06",
                                      "target": "round:1", "new": {"round_id": 1}, "outcome": "ok"})
    return engine


def test_an_older_database_is_backed_up_then_upgraded(db_url, tmp_path):
    engine = _at_revision_1(db_url)
    assert E.current_revision(engine) == "0001" and E.revisions() == ["0001", "0002", "0003"]
    assert head_revision() == "0003"
    engine.dispose()
    with open_store(db_url, backup_dir=tmp_path) as store:
        assert store.revision() == "0003"
        backup = store.upgrade_backup
        assert backup is not None and backup.is_file() and backup.stat().st_size > 0
        if store.backend == "sqlite":
            assert backup.name == "lianxin.db.bak-0001"
            con = sqlite3.connect(backup)
            assert con.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
            assert con.execute("SELECT name FROM rounds").fetchall() == [("2026-06",)]
            con.close()
        else:
            assert backup.name.endswith(".bak-0001.dump") and backup.parent == tmp_path
        # the data is intact and the new revision's column and indexes are there
        info = store.round_info("2026-06")
        assert (info.orgs, info.district["single_rate"], info.seconds, info.files["orgs"]["name"]) == (
            2, 0.25, None, "组织.xlsx")
        m = store.measure(7)
        assert (m["status"], m["owner"], m["version"], m["round"]) == ("进行中", "张三", 3, "2026-06")
        insp = sa.inspect(store.engine)
        assert "seconds" in {c["name"] for c in insp.get_columns("rounds")}
        assert "ix_measures_town_status" in {i["name"] for i in insp.get_indexes("measures")}
        assert "ix_assessments_round_org" in {i["name"] for i in insp.get_indexes("assessments")}
        # revision 0003: the accounts table, and the account and towns of every audit row
        assert "users" in insp.get_table_names() and not store.has_accounts()
        assert {"user", "towns"} <= {c["name"] for c in insp.get_columns("audit")}
        assert store.set_measure(7, status="已完成", expect_version=3)["version"] == 4
        old_row = store.audit()[0]  # the audit rows of 0001 are kept, with no account and no towns
        assert (old_row["who"], old_row["what"], old_row["user"], old_row["towns"]) == ("旧版本", "round.import", None,
                                                                                       [])
        admin, _ = store.add_user("区管理员", "admin", password="correct horse")
        assert store.authenticate("区管理员", "correct horse") == admin
        assert [(r["what"], r["user"]) for r in store.audit()][-2:] == [("user.add", None), ("login", "区管理员")]
    with open_store(db_url) as store:  # already at the head: nothing more to back up
        assert store.upgrade_backup is None


def test_upgrade_refusals_say_what_to_do(db_url, tmp_path, monkeypatch):
    engine = _at_revision_1(db_url)
    with pytest.raises(StoreError, match="较旧.*db upgrade"):
        open_store(db_url, upgrade=False)
    if engine.dialect.name == "postgresql":
        monkeypatch.setattr(E, "pg_binary", lambda _name: None)
        with pytest.raises(StoreError, match="找不到 pg_dump.*db upgrade"):
            open_store(db_url)
        assert E.current_revision(engine) == "0001"  # refused: untouched
        with open_store(db_url, upgrade=True) as store:  # explicit: upgrade without a backup
            assert store.revision() == "0003" and store.upgrade_backup is None
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="比本程序新"):
        open_store(db_url)
    engine.dispose()


def test_a_database_of_another_program_is_refused(tmp_path):
    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE customers (id INTEGER)")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="不是 lianxin-geo 的数据库"):
        open_store(path)
    (tmp_path / "junk.db").write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError, match="不是可用的数据库"):
        open_store(tmp_path / "junk.db")


def test_postgis_columns_and_spatial_indexes(pg_url):
    with open_store(pg_url) as store:
        insp = sa.inspect(store.engine)
        types = {c["name"]: str(c["type"]) for c in insp.get_columns("round_rows")}
        assert types["geom"].startswith("geometry(POINT,4326)")
        gist = {i["name"] for i in insp.get_indexes("round_rows")} | {i["name"] for i in insp.get_indexes("towns")}
        assert {"ix_round_rows_geom", "ix_towns_geom"} <= gist


def test_migrations_ship_inside_the_package():
    folder = Path(E.MIGRATIONS)
    assert folder.is_relative_to(Path(E.__file__).parent)
    assert {p.name for p in (folder / "versions").glob("*.py")} >= {"0001_initial.py", "0002_speed_and_timing.py",
                                                                    "0003_users_and_audit_scope.py"}
    assert (folder / "env.py").is_file()
