"""The call model's rules (docs/call-model.md), one case each, on hand-made loader tables.

A DuckDB file is given the tables target-duckdb writes for the three taps (its column names:
twin24's `updatedAt` is `updatedat`), holding only the rows each case needs; `meltano invoke
dbt-duckdb build` then builds the model and runs its dbt tests, and each test reads one rule's
outcome from the marts. tests/test_call_model.py builds the same model on real loads, DuckDB's
and Postgres', and compares it with the emulator.
"""

from __future__ import annotations

import typing as t
from decimal import Decimal

import duckdb
import pytest

from harness.meltano_project import install, meltano

if t.TYPE_CHECKING:
    from pathlib import Path

TABLES = """
CREATE SCHEMA tap_aiokk;
CREATE SCHEMA tap_twin24;
CREATE SCHEMA tap_alovoice;
CREATE TABLE tap_aiokk.dialogs (
    dialog_id HUGEINT, call_date TIMESTAMPTZ, created_at TIMESTAMP, finished_at TIMESTAMP,
    call_type HUGEINT, duration_sec HUGEINT, operator_id HUGEINT, operator_name VARCHAR,
    department_id VARCHAR, department_name VARCHAR, price DOUBLE, summary VARCHAR,
    evaluation_title VARCHAR, evaluation_grade HUGEINT, evaluation_max_grade HUGEINT,
    client_loyalty_grade HUGEINT, client_loyalty_description VARCHAR, signals_title VARCHAR,
    signals_count HUGEINT);
CREATE TABLE tap_aiokk.dialog_criteria (
    dialog_id HUGEINT, number HUGEINT, description VARCHAR, mark HUGEINT, finished_at TIMESTAMP);
CREATE TABLE tap_aiokk.dialog_signals (
    dialog_id HUGEINT, position HUGEINT, signal VARCHAR, finished_at TIMESTAMP);
CREATE TABLE tap_twin24.calls (
    id VARCHAR, startedat TIMESTAMP, createdat TIMESTAMP, updatedat TIMESTAMP, status VARCHAR,
    isfinished BOOLEAN, duration HUGEINT, price DOUBLE, taskid VARCHAR, taskname VARCHAR,
    botname VARCHAR, responder VARCHAR, transferredtooperator BOOLEAN, dialogresults VARCHAR,
    nps VARCHAR);
CREATE TABLE tap_twin24.call_messages (
    call_id VARCHAR, position HUGEINT, author VARCHAR, text VARCHAR, created_at TIMESTAMP,
    call_updated_at TIMESTAMP);
CREATE TABLE tap_alovoice.analyses (
    call_id VARCHAR, status VARCHAR, begin_time TIMESTAMP, collected_at TIMESTAMP, error VARCHAR);
CREATE TABLE tap_alovoice.fragments (
    call_id VARCHAR, position HUGEINT, direction VARCHAR, text VARCHAR, begin_ms HUGEINT,
    end_ms HUGEINT);
CREATE TABLE tap_alovoice.tags (
    call_id VARCHAR, position HUGEINT, name VARCHAR, matched BOOLEAN, match_text VARCHAR);
"""

ROWS = """
-- aiokk 1000, analysed twice: the first analysis had criteria 1..3 and two signal words, the
-- second (the dialog's row now) criteria 1..2 and one word. Its call.date came as +05.
INSERT INTO tap_aiokk.dialogs VALUES
    (1000, '2025-04-21 12:06:15+05', '2025-04-21 07:10:00', '2025-04-22 10:00:00', 2, 95, 7,
     'Иванова Анна', '23', 'Колл-центр', 1.5, 'Клиент доволен', 'Вопросы', 40, 50, 9, 'лоялен',
     'стоп слова', 1),
    (1001, '2025-04-21 09:00:00+03', '2025-04-21 06:01:00', '2025-04-22 10:00:00', 1, 30, 8,
     'Петров Олег', '23', 'Колл-центр', 0.5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (1002, '2025-04-21 09:00:00+00', NULL, '2025-04-22 10:00:00', 3, 10, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (1003, '2025-04-21 09:00:00+00', NULL, '2025-04-22 10:00:00', 4, 10, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO tap_aiokk.dialog_criteria VALUES
    (1000, 1, 'Приветствие', 5, '2025-04-20 10:00:00'),
    (1000, 2, 'Выявление потребностей', 4, '2025-04-20 10:00:00'),
    (1000, 3, 'Прощание', 1, '2025-04-20 10:00:00'),
    (1000, 1, 'Приветствие', 9, '2025-04-22 10:00:00'),
    (1000, 2, 'Выявление потребностей', 8, '2025-04-22 10:00:00');
INSERT INTO tap_aiokk.dialog_signals VALUES
    (1000, 1, 'отказ', '2025-04-20 10:00:00'),
    (1000, 2, 'возврат денег', '2025-04-20 10:00:00'),
    (1000, 1, 'рассрочка', '2025-04-22 10:00:00');
-- twin24 call-a: first 3 lines at 10:00, then updated at 11:00 with a 2-line transcript.
-- call-b: the same id as an aiokk dialog's, 1000. call-c: nps as a word, dialog result "".
INSERT INTO tap_twin24.calls VALUES
    ('call-a', '2025-03-01 09:59:00', '2025-03-01 09:58:00', '2025-03-01 11:00:00', 'ANSWERED',
     true, 40, 3.2, 't1', 'Опрос', 'Бот NPS', 'Human', false, 'Согласие', '8'),
    ('1000', '2025-03-01 09:00:00', '2025-03-01 08:58:00', '2025-03-01 09:10:00', 'NOANSWER',
     true, 0, 0, 't1', 'Опрос', 'Бот NPS', NULL, false, NULL, NULL),
    ('call-c', '2025-03-01 09:00:00', '2025-03-01 08:58:00', '2025-03-01 09:10:00', 'ANSWERED',
     true, 12, 1, 't1', 'Опрос', 'Бот NPS', 'Human', false, '', 'не знаю');
INSERT INTO tap_twin24.call_messages VALUES
    ('call-a', 1, 'robot', 'Ало! Здравствуйте', '2025-03-01 09:59:10', '2025-03-01 10:00:00'),
    ('call-a', 2, 'user', 'Да', '2025-03-01 09:59:12', '2025-03-01 10:00:00'),
    ('call-a', 3, 'robot', 'До свидания', '2025-03-01 09:59:20', '2025-03-01 10:00:00'),
    ('call-a', 1, 'robot', 'Ало! Здравствуйте', '2025-03-01 09:59:10', '2025-03-01 11:00:00'),
    ('call-a', 2, 'user', 'Нет, спасибо', '2025-03-01 09:59:12', '2025-03-01 11:00:00'),
    ('call-c', 1, 'user', '', '2025-03-01 09:05:00', '2025-03-01 09:10:00');
-- alovoice: 555.1 done (a rule matched twice, one not matched), 555.2 still pending (a fragment
-- of it in the table, as an older tap version might have left, is no line of the model).
INSERT INTO tap_alovoice.analyses VALUES
    ('555.1', 'done', '2025-05-20 10:00:00', '2025-05-20 10:05:00', NULL),
    ('555.2', 'pending', '2025-05-20 11:00:00', '2025-05-20 11:01:00', NULL),
    ('1000', 'failed', NULL, '2025-05-20 11:01:00', 'call not found');
INSERT INTO tap_alovoice.fragments VALUES
    ('555.1', 1, 'operator', 'Здравствуйте, компания Тест', 0, 2500),
    ('555.1', 2, 'client', 'Сколько стоит?', 2600, 4400),
    ('555.2', 1, 'operator', 'Алло', 0, 900);
INSERT INTO tap_alovoice.tags VALUES
    ('555.1', 1, 'Цена', true, 'сколько стоит'),
    ('555.1', 2, 'Прощание', false, NULL),
    ('555.1', 3, 'Цена', true, 'стоимость');
"""


def build(workdir: Path, sql: str) -> tuple[int, str]:
    """A warehouse in `workdir` made by `sql`, and `meltano invoke dbt-duckdb build` on it."""
    path = workdir / "warehouse.duckdb"
    with duckdb.connect(str(path)) as db:
        db.execute(sql)
    env = {
        "MELTANO_DATABASE_URI": f"sqlite:///{workdir / 'meltano.db'}",
        "DBT_DUCKDB_PATH": str(path),
        "DBT_TARGET_PATH": str(workdir / "dbt-target"),
        "DBT_LOG_PATH": str(workdir / "dbt-logs"),
        # A machine set to local time, far from UTC: DuckDB's sessions take their zone from it.
        "TZ": "Asia/Vladivostok",
    }
    installed = install("dbt-duckdb", env=env)
    assert installed.returncode == 0, (installed.stdout + installed.stderr)[-4000:]
    log = workdir / "build.log"
    built = meltano("--environment=demo", "invoke", "dbt-duckdb", "build", env=env, log=log)
    return built.returncode, log.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[duckdb.DuckDBPyConnection]:
    workdir = tmp_path_factory.mktemp("rules")
    returncode, output = build(workdir, TABLES + ROWS)
    assert returncode == 0, output[-5000:]
    with duckdb.connect(str(workdir / "warehouse.duckdb"), read_only=True) as db:
        yield db


def rows(db: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[t.Any, ...]]:
    return db.execute(sql).fetchall()


def test_a_transcript_shortened_by_an_update_keeps_only_its_current_lines(
    marts: duckdb.DuckDBPyConnection,
) -> None:
    lines = rows(
        marts,
        "SELECT position, speaker, text FROM call_model.call_transcript_lines "
        "WHERE call_key = 'twin24:call-a' ORDER BY position",
    )
    assert lines == [(1, "robot", "Ало! Здравствуйте"), (2, "client", "Нет, спасибо")]


def test_a_reanalysed_dialog_keeps_only_its_latest_criteria_and_signal_words(
    marts: duckdb.DuckDBPyConnection,
) -> None:
    quality = rows(
        marts,
        "SELECT measure, item, value, text FROM call_model.call_quality "
        "WHERE call_key = 'aiokk:1000' AND measure IN ('criterion', 'signal_words') ORDER BY 1, 2",
    )
    assert quality == [
        ("criterion", "1", Decimal(9), "Приветствие"),
        ("criterion", "2", Decimal(8), "Выявление потребностей"),
        ("signal_words", "стоп слова", Decimal(1), "рассрочка"),
    ]


def test_a_call_date_sent_with_an_offset_starts_at_its_utc_time(
    marts: duckdb.DuckDBPyConnection,
) -> None:
    """aiokk's call.date is local time (+05): a loader that keeps the zone still gives UTC."""
    started = rows(marts, "SELECT started_at FROM call_model.calls WHERE call_key = 'aiokk:1000'")
    assert str(started[0][0]) == "2025-04-21 07:06:15"


def test_aiokk_call_types_become_direction_and_call_type(
    marts: duckdb.DuckDBPyConnection,
) -> None:
    found = rows(
        marts,
        "SELECT vendor_call_id, direction, call_type FROM call_model.calls "
        "WHERE vendor = 'aiokk' ORDER BY 1",
    )
    assert found == [
        ("1000", "incoming", "incoming"),
        ("1001", "outgoing", "outgoing"),
        ("1002", "incoming", "incoming_redirected"),
        ("1003", "outgoing", "callback"),
    ]


def test_the_same_id_at_three_vendors_is_three_calls(marts: duckdb.DuckDBPyConnection) -> None:
    found = rows(
        marts, "SELECT call_key, vendor FROM call_model.calls WHERE vendor_call_id = '1000'"
    )
    assert sorted(found) == [
        ("aiokk:1000", "aiokk"), ("alovoice:1000", "alovoice"), ("twin24:1000", "twin24"),
    ]  # fmt: skip


def test_an_overall_grade_is_scored_against_its_maximum(marts: duckdb.DuckDBPyConnection) -> None:
    found = rows(
        marts,
        "SELECT value, max_value, score, text FROM call_model.call_quality "
        "WHERE quality_key = 'aiokk:1000:overall_grade'",
    )
    assert found == [(Decimal(40), Decimal(50), Decimal("0.8"), "Вопросы")]


def test_a_dialog_without_analysis_measures_has_no_quality_rows(
    marts: duckdb.DuckDBPyConnection,
) -> None:
    assert rows(marts, "SELECT * FROM call_model.call_quality WHERE call_key = 'aiokk:1001'") == []


def test_nps_is_a_number_when_twin24_sent_a_whole_number_and_text_otherwise(
    marts: duckdb.DuckDBPyConnection,
) -> None:
    found = rows(
        marts,
        "SELECT call_key, value, score, text FROM call_model.call_quality "
        "WHERE measure = 'nps' ORDER BY 1",
    )
    assert found == [
        ("twin24:call-a", Decimal(8), Decimal("0.8"), "8"),
        ("twin24:call-c", None, None, "не знаю"),
    ]


def test_an_empty_dialog_result_is_no_result(marts: duckdb.DuckDBPyConnection) -> None:
    found = rows(
        marts, "SELECT call_key, text FROM call_model.call_quality WHERE measure = 'dialog_result'"
    )
    assert found == [("twin24:call-a", "Согласие")]


def test_a_rule_counts_its_matches_and_an_unmatched_rule_counts_zero(
    marts: duckdb.DuckDBPyConnection,
) -> None:
    found = rows(
        marts,
        "SELECT item, value, text FROM call_model.call_quality "
        "WHERE call_key = 'alovoice:555.1' ORDER BY item",
    )
    assert found == [
        ("Прощание", Decimal(0), None),
        ("Цена", Decimal(2), "сколько стоит | стоимость"),
    ]


def test_alovoice_calls_keep_their_status_and_a_duration_once_analysed(
    marts: duckdb.DuckDBPyConnection,
) -> None:
    found = rows(
        marts,
        "SELECT vendor_call_id, status, duration_seconds FROM call_model.calls "
        "WHERE vendor = 'alovoice' ORDER BY 1",
    )
    assert found == [("1000", "failed", None), ("555.1", "done", 4), ("555.2", "pending", None)]


def test_alovoice_lines_have_offsets_and_speakers(marts: duckdb.DuckDBPyConnection) -> None:
    found = rows(
        marts,
        "SELECT position, speaker, offset_ms, end_offset_ms FROM call_model.call_transcript_lines "
        "WHERE call_key = 'alovoice:555.1' ORDER BY position",
    )
    assert found == [(1, "operator", 0, 2500), (2, "client", 2600, 4400)]


def test_a_loaded_table_without_a_column_the_model_reads_fails_the_build_by_name(
    tmp_path: Path,
) -> None:
    """An old table, loaded before a column existed: dbt says which column, and where."""
    returncode, output = build(tmp_path, TABLES + "ALTER TABLE tap_twin24.calls DROP COLUMN nps;")
    assert returncode != 0
    assert "has no column nps" in output and "tap_twin24" in output, output[-3000:]


def test_a_vendor_whose_tables_are_not_loaded_gives_no_rows(tmp_path: Path) -> None:
    """Only tap-twin24 loaded: the model builds and tests, with twin24's calls alone, and the
    build says which tables it skipped."""
    statements = [part for part in (TABLES + ROWS).split(";") if "tap_twin24" in part]
    returncode, output = build(tmp_path, ";".join(statements) + ";")
    assert returncode == 0, output[-5000:]
    assert "call_model: " in output and "tap_aiokk" in output and "is not loaded" in output
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as db:
        vendors = db.execute("SELECT DISTINCT vendor FROM call_model.calls").fetchall()
        lines = db.execute("SELECT count(*) FROM call_model.call_transcript_lines").fetchone()
    assert vendors == [("twin24",)]
    assert lines == (3,)  # call-a's two current lines and call-c's one


def test_an_empty_text_is_null_whatever_the_loader(marts: duckdb.DuckDBPyConnection) -> None:
    """target-postgres keeps twin24's "", target-duckdb loads it as null: the model says null."""
    found = rows(
        marts,
        "SELECT speaker, text FROM call_model.call_transcript_lines "
        "WHERE call_key = 'twin24:call-c'",
    )
    assert found == [("client", None)]


def test_a_call_not_analysed_yet_has_no_transcript_lines(marts: duckdb.DuckDBPyConnection) -> None:
    found = rows(
        marts,
        "SELECT count(*) FROM call_model.call_transcript_lines WHERE call_key = 'alovoice:555.2'",
    )
    assert found == [(0,)]
