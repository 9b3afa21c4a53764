"""The system of record (issue 13): rounds, diff, measures, audit and backup, on SQLite and PostgreSQL.

Every test takes ``db_url`` (tests/_db.py) and so runs once per backend.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from lianxin_geo.assessment import assess
from lianxin_geo.ingest.creditcode import check_char
from lianxin_geo.store import StaleVersionError, StoreError, import_files, open_store


def _code(n: int) -> str:
    first = f"91110113MA00000A{n}"
    return first + check_char(first)


CX, CY, CV = _code(0), _code(1), _code(2)
_BASE = {"组织类别": "非公企业", "行业": "I 信息传输、软件和信息技术服务业", "所属镇街": "胜利街道", "从业人员数": 20,
         "正式党员数": 0, "党组织状态": "未建立"}


def _org(name: str, code: str | None, address: str, lon: float, **extra) -> dict:
    rec = {**_BASE, "单位名称": name, "统一社会信用代码": code or "", "地址": address, "经度": lon, "纬度": 40.128}
    rec.update(extra)
    return rec


def _ledger(path: Path, rows: list[dict]) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False, encoding="utf-8")
    return path


@pytest.fixture
def two_rounds(tmp_path) -> tuple[Path, Path]:
    """Round A and round B of five orgs (see test_diff_matches_by_code_then_name_and_address)."""
    a = _ledger(tmp_path / "a.csv", [
        _org("甲科技有限公司", CX, "顺义区胜利街道甲路1号", 116.650, 正式党员数=3),
        _org("乙咨询有限公司", CY, "顺义区胜利街道乙路2号", 116.651),
        _org("丙商贸中心", None, "顺义区胜利街道丙路3号", 116.652),
        _org("丁餐厅", None, "顺义区胜利街道丁路4号", 116.653),
    ])
    b = _ledger(tmp_path / "b.csv", [
        _org("甲科技有限公司", CX, "顺义区胜利街道甲路1号", 116.650, 正式党员数=4, 党组织状态="单独建立",
             党组织类型="党支部"),
        _org("丙商贸中心", None, "顺义区胜利街道丙路3号", 116.652),
        _org("丁餐厅", None, "顺义区胜利街道丁路40号", 116.653),
        _org("戊软件有限公司", CV, "顺义区胜利街道戊路5号", 116.654),
    ])
    return a, b


def _ids(store, name: str) -> dict[str, str]:
    ws = store.load_round(name)
    return dict(zip(ws.orgs["name"], ws.orgs["id"].astype(str)))


def test_import_then_load_gives_the_same_assessment(db_url, demo_ws):
    with open_store(db_url) as store:
        info = store.import_round("2026-06", demo_ws)
        assert info.orgs == len(demo_ws.orgs) and info.rows_in == sum(r.rows_in for r in demo_ws.ledgers.values())
        ws = store.load_round("2026-06")
    before = assess(demo_ws.orgs, centers=demo_ws.centers, parks=demo_ws.parks, buildings=demo_ws.buildings,
                    district=demo_ws.district, profile=demo_ws.profile)
    after = assess(ws.orgs, centers=ws.centers, parks=ws.parks, buildings=ws.buildings, district=ws.district,
                   profile=ws.profile)
    pd.testing.assert_frame_equal(before.district_summary, after.district_summary)
    pd.testing.assert_frame_equal(before.jurisdictions, after.jurisdictions)
    pd.testing.assert_frame_equal(before.actions, after.actions)
    pd.testing.assert_frame_equal(demo_ws.orgs, ws.orgs)
    pd.testing.assert_frame_equal(demo_ws.centers, ws.centers)
    assert info.district["org_coverage_rate"] == before.district_summary.iloc[0]["org_coverage_rate"]
    assert ws.profile.to_dict() == demo_ws.profile.to_dict()
    assert list(ws.district.jurisdictions["code"]) == list(demo_ws.district.jurisdictions["code"])
    assert ws.district.jurisdictions.geometry.geom_equals_exact(demo_ws.district.jurisdictions.geometry, 0).all()
    assert ws.data_notes == demo_ws.data_notes  # the demo stays flagged after the round trip


def test_an_imported_name_is_refused_and_replace_keeps_the_history(db_url, two_rounds):
    a, b = two_rounds
    with open_store(db_url) as store:
        import_files(store, "R", orgs=a)
        with pytest.raises(StoreError, match="已存在.*--replace"):
            import_files(store, "R", orgs=b)
        assert [r.orgs for r in store.rounds()] == [4]
        info = import_files(store, "R", orgs=b, replace=True)
        hist = store.rounds(history=True)
        assert [(r.replaced, r.superseded_by) for r in hist] == [(True, info.id), (False, None)]
        assert [r.name for r in store.rounds()] == ["R"] and store.round_info("R").id == info.id
        assert set(_ids(store, "R")) == {"甲科技有限公司", "丙商贸中心", "丁餐厅", "戊软件有限公司"}
        assert [e["what"] for e in store.audit() if e["what"].startswith("round.")] == ["round.import",
                                                                                          "round.replace"]
        assert info.files["orgs"]["name"] == "b.csv" and len(info.files["orgs"]["sha256"]) == 64
        assert info.created_at.endswith("+00:00") and store.audit()[0]["at"].endswith("+00:00")


def test_diff_matches_by_code_then_name_and_address(db_url, two_rounds):
    a, b = two_rounds
    with open_store(db_url) as store:
        import_files(store, "A", orgs=a)
        import_files(store, "B", orgs=b)
        ia, ib = _ids(store, "A"), _ids(store, "B")
        doc = store.diff("A", "B")
        wa, wb = store.load_round("A"), store.load_round("B")
    assert doc["from"] == "A" and doc["to"] == "B"
    assert sorted(doc["orgs_new"]) == sorted([ib["戊软件有限公司"], ib["丁餐厅"]])
    assert sorted(doc["orgs_closed"]) == sorted([ia["乙咨询有限公司"], ia["丁餐厅"]])
    changed = {c["org_id"]: c["fields"] for c in doc["orgs_changed"]}
    assert changed == {CX: {"members": [3, 4], "party_status": ["未建立", "单独建立"],
                            "party_org_type": [None, "党支部"]}}
    assert doc["status_changes"] == [{"org_id": CX, "from": "未覆盖", "to": "单独建立"}]
    sus = {(s["name"], s["basis"], s["matched"]) for s in doc["suspected_same"]}
    assert sus == {("丙商贸中心", "名称+地址", True), ("丁餐厅", "名称相同、地址不同", False)}
    assert all(s["note"] == "疑似同一组织" for s in doc["suspected_same"])
    for ws, side in ((wa, "from"), (wb, "to")):  # the rates are exactly what assess gives for each round
        res = assess(ws.orgs, centers=ws.centers, parks=ws.parks, district=ws.district, profile=ws.profile)
        total = res.district_summary.iloc[0]
        for key in ("org_coverage_rate", "single_rate", "work_coverage_rate"):
            assert doc["district"][key][side] == total[key]
        j = res.jurisdictions.set_index("code")
        for rec in doc["jurisdictions"]:
            got, want = rec["org_coverage_rate"][side], j.loc[rec["code"], "org_coverage_rate"]
            assert (got is None and pd.isna(want)) or got == want
    d = doc["district"]["org_coverage_rate"]
    assert d["delta"] == pytest.approx(d["to"] - d["from"]) and d["delta"] > 0


def test_measures_carry_forward_and_become_closable(db_url, two_rounds):
    a, b = two_rounds
    with open_store(db_url) as store:
        import_files(store, "A", orgs=a)
        first = {(m["org_name"], m["action"]): m for m in store.measures(round="A")}
        assert first and all(m["status"] == "待办" and m["version"] == 1 and m["measure"] for m in first.values())
        x = next(m for (n, _), m in first.items() if n == "甲科技有限公司" and m["rule"] == "R2")
        z = next(m for (n, _), m in first.items() if n == "丙商贸中心")
        y = next(m for (n, _), m in first.items() if n == "乙咨询有限公司")
        store.set_measure(z["id"], status="进行中", owner="张三", expect_version=1)
        import_files(store, "B", orgs=b)
        now = {m["id"]: m for m in store.measures(round="B")}
        assert now[x["id"]]["status"] == "可销号" and "不再提出" in now[x["id"]]["note"]
        assert now[y["id"]]["status"] == "可销号" and "未出现" in now[y["id"]]["note"]
        assert (now[z["id"]]["status"], now[z["id"]]["owner"], now[z["id"]]["version"]) == ("进行中", "张三", 2)
        assert now[z["id"]]["origin_round"] == "A" and now[z["id"]]["round"] == "B"
        new_ids = [i for i, m in now.items() if m["org_name"] == "戊软件有限公司"]
        assert new_ids and all(now[i]["origin_round"] == "B" and now[i]["status"] == "待办" for i in new_ids)
        assert {m["id"] for m in store.measures(status="可销号")} >= {x["id"], y["id"]}
        assert {m["jurisdiction_code"] for m in store.measures(town="110113001")} == {"110113001"}
        assert store.measures(town="999999999") == []


def test_a_stale_version_is_refused_and_audited(db_url, two_rounds):
    with open_store(db_url) as store:
        import_files(store, "A", orgs=two_rounds[0])
        m = store.measures()[0]
        first = store.set_measure(m["id"], status="进行中", owner="李四", due="2027-01-31", expect_version=1)
        assert (first["version"], first["status"], first["due"]) == (2, "进行中", "2027-01-31")
        with pytest.raises(StaleVersionError, match="已被他人修改.*第 1 版.*第 2 版"):
            store.set_measure(m["id"], status="已完成", expect_version=1)  # the second person read version 1
        assert store.measure(m["id"])["status"] == "进行中"  # never silently overwritten
        with pytest.raises(StoreError, match="没有第 9 版：当前是第 2 版"):
            store.set_measure(m["id"], status="已完成", expect_version=9)
        with pytest.raises(StoreError, match="状态"):
            store.set_measure(m["id"], status="完成了", expect_version=2)
        with pytest.raises(StoreError, match="日期"):
            store.set_measure(m["id"], due="明年", expect_version=2)
        log = store.audit(target=f"measure:{m['id']}")
        assert [(e["what"], e["outcome"]) for e in log] == [("measure.set", "ok"),
                                                            ("measure.set", "refused: stale version")]
        assert log[0]["old"] == {"status": "待办", "owner": m["owner"], "due": m["due"], "version": 1}
        assert log[0]["new"]["owner"] == "李四" and log[0]["who"]


def test_backup_and_restore_round_trip(db_url, two_rounds, tmp_path):
    a, b = two_rounds
    with open_store(db_url) as store:
        import_files(store, "A", orgs=a)
        m = store.measures()[0]
        store.set_measure(m["id"], note="备份前", expect_version=1)
        out = store.backup(tmp_path / "backup.bin")
        assert out.stat().st_size > 0
        import_files(store, "B", orgs=b)
        store.set_measure(m["id"], note="备份后", expect_version=store.measure(m["id"])["version"])
        store.restore(out)
        assert [r.name for r in store.rounds()] == ["A"]
        assert (store.measure(m["id"])["note"], store.measure(m["id"])["version"]) == ("备份前", 2)
        assert [e["what"] for e in store.audit()][-1] == "db.restore"
        import_files(store, "B", orgs=b)  # the restored database is fully usable
        assert [r.name for r in store.rounds()] == ["A", "B"]
    with pytest.raises(StoreError, match="不是"):
        bogus = tmp_path / "bogus.bin"
        bogus.write_bytes(b"not a backup")
        with open_store(db_url) as store:
            store.restore(bogus)


def test_an_import_that_fails_leaves_nothing(db_url, demo_ws, monkeypatch):
    """One transaction: a failure after the rows are written rolls everything back."""
    from lianxin_geo.store import store as store_mod

    def boom(*_a, **_k):
        raise RuntimeError("中断")

    with open_store(db_url) as store:
        monkeypatch.setattr(store_mod, "create_and_carry", boom)
        with pytest.raises(RuntimeError):
            store.import_round("X", demo_ws)
        monkeypatch.undo()
        with store.engine.connect() as conn:
            for table in ("rounds", "round_rows", "assessments", "towns", "measures", "audit"):
                assert conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar() == 0, table
        store.import_round("X", demo_ws)
        assert [r.name for r in store.rounds()] == ["X"]


def test_unknown_round_and_bad_url_say_what_to_do(db_url, tmp_path):
    with open_store(db_url) as store:
        with pytest.raises(StoreError, match="没有轮次 'Q'.*round import"):
            store.load_round("Q")
    with pytest.raises(StoreError, match="不支持的数据库"):
        open_store("mysql://x@y/z")
    with pytest.raises(StoreError, match="文件夹不存在"):
        open_store(tmp_path / "missing" / "x.db")


def test_default_url_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LIANXIN_DB", str(tmp_path / "env.db"))
    with open_store() as store:
        assert store.path == tmp_path / "env.db" and store.backend == "sqlite"
    monkeypatch.delenv("LIANXIN_DB")
    monkeypatch.chdir(tmp_path)
    with open_store() as store:
        assert store.path == tmp_path / "lianxin.db"
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_replaced_round_keeps_its_place_and_the_next_round_carries_from_the_latest(db_url, two_rounds):
    a, b = two_rounds
    with open_store(db_url) as store:
        import_files(store, "A", orgs=a)
        import_files(store, "B", orgs=b)
        import_files(store, "A", orgs=a, replace=True)  # a correction of the first round
        assert [r.name for r in store.rounds()] == ["A", "B"]
        assert [(r.name, r.replaced) for r in store.rounds(history=True)] == [("A", True), ("A", False),
                                                                              ("B", False)]
        import_files(store, "C", orgs=b)
        carried = [m for m in store.measures(round="C") if m["origin_round"] != "C"]
        assert carried and all(m["round"] == "C" for m in carried)
        assert {m["origin_round"] for m in carried} <= {"A", "B"}
        # B's open measures went on into C (nothing is proposed anew for B's unchanged orgs)
        assert not [m for m in store.measures(round="C") if m["origin_round"] == "C"]


def test_sqlite_readers_are_not_blocked_by_a_writer(tmp_path, two_rounds):
    """WAL: while an import holds its write transaction, another connection still reads (at once)."""
    import time

    from lianxin_geo.store.engine import writer

    path = tmp_path / "busy.db"
    with open_store(path) as first, open_store(path) as second:
        import_files(first, "A", orgs=two_rounds[0])
        with writer(first.engine).connect() as conn:
            trans = conn.begin()
            conn.execute(sa.text("UPDATE measures SET note = '写入中' WHERE id = 1"))
            t0 = time.perf_counter()
            assert [r.name for r in second.rounds()] == ["A"]
            assert second.measure(1)["note"] is None  # the reader sees the last committed state
            assert time.perf_counter() - t0 < 5
            trans.rollback()


def test_a_round_with_its_own_boundaries_and_policy_rebuilds_exactly(db_url, tmp_path):
    """Another district (box towns far from Shunyi) and another profile: both come back from the database."""
    import geopandas as gpd
    import numpy as np
    import shapely

    towns = {"甲街道": (113.0, 23.0, 113.05, 23.05), "乙镇": (113.05, 23.0, 113.15, 23.08)}
    bpath = tmp_path / "towns.geojson"
    gpd.GeoDataFrame({"名称": list(towns)}, geometry=[shapely.box(*b) for b in towns.values()],
                     crs="EPSG:4326").to_file(bpath, driver="GeoJSON")
    rng = np.random.default_rng(4)
    n = 40
    opath = _ledger(tmp_path / "orgs.csv", [
        {"单位名称": f"测试企业{i}", "组织类别": "非公企业", "行业": "C", "经度": round(float(x), 6),
         "纬度": round(float(y), 6), "从业人员数": int(e), "正式党员数": int(m)}
        for i, (x, y, e, m) in enumerate(zip(rng.uniform(113.0, 113.15, n), rng.uniform(23.0, 23.05, n),
                                             rng.integers(1, 200, n), rng.choice([0, 1, 2, 3, 5], n)))])
    with open_store(db_url) as store:
        info = import_files(store, "S", orgs=opath, boundaries=bpath, policy="national-2018")
        ws = store.load_round("S")
    assert info.profile == ws.profile.name == "national-2018"
    assert set(info.files) == {"orgs", "buildings", "parks", "centers", "boundaries"}
    assert list(ws.district.jurisdictions["code"]) == ["J001", "J002"] and ws.missing_kinds == (
        "buildings", "parks", "centers")
    res = assess(ws.orgs, centers=ws.centers, parks=ws.parks, district=ws.district, profile=ws.profile)
    assert [res.district_summary.iloc[0][k] for k in ("org_coverage_rate", "single_rate", "work_coverage_rate")] == [
        info.district[k] for k in ("org_coverage_rate", "single_rate", "work_coverage_rate")]
    assert ws.district.outline.equals(shapely.union_all([shapely.box(*b) for b in towns.values()]))


def test_overdue_means_open_and_past_due():
    import datetime as dt

    from lianxin_geo.store import is_overdue

    day = dt.date(2026, 12, 1)
    assert is_overdue({"status": "待办", "due": "2026-11-30"}, day)
    assert is_overdue({"status": "可销号", "due": "2026-06-30"}, day)
    assert not is_overdue({"status": "待办", "due": "2026-12-01"}, day)
    assert not is_overdue({"status": "已完成", "due": "2026-01-01"}, day)
    assert not is_overdue({"status": "已销号", "due": "2026-01-01"}, day)
    assert not is_overdue({"status": "待办", "due": None}, day) and not is_overdue({"status": "待办", "due": "未定"}, day)
