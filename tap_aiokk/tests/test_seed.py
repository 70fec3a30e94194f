"""The vendor's own example dialog, served over HTTP and parsed end to end, field by field."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from call_emulator import AiokkAccount, Emulator
from call_emulator.testing.aiokk_support import AIOKK_TOKEN, mount_aiokk
from call_emulator.testing.fixture_files import fixture_json
from call_emulator.testing.taprun import run_tap

if TYPE_CHECKING:
    from pathlib import Path

SEED = fixture_json("aiokk_seed_dialogs.json")[0]


@pytest.mark.parametrize("zone", ["Asia/Almaty", None], ids=["timezone-set", "call-date-offset"])
def test_seed_dialog_end_to_end(emulator: Emulator, tmp_path: Path, zone: str | None) -> None:
    config = mount_aiokk(emulator, AiokkAccount.from_dialogs([SEED], token=AIOKK_TOKEN))
    config["timezone"] = zone
    config = {key: value for key, value in config.items() if value is not None}

    run = run_tap("tap_aiokk", config, tmp_path)

    assert run.exit_code == 0, run.stderr[-2000:]
    [dialog] = run.records("dialogs")
    analytics = SEED["analytics"]
    evaluation, signals = analytics["evaluationCriteria"], analytics["signals"]
    assert dialog == {
        "dialog_id": 1138,
        # created_at is 07:06:15Z and date is 12:06:15+05: the same instant, no hours shift.
        "created_at": "2025-04-21T07:06:15+00:00",
        "call_date": "2025-04-21T07:06:15+00:00",
        "caller_id": "+7 (777) 777 77 77",
        "caller_id_clean": "7777777777",
        "call_type": 1,
        "duration_sec": 64,
        "duration_min": 2,
        "operator_id": 4,
        "operator_name": "Иван Иванович",
        "operator_extension": 594,
        "department_id": "84",
        "department_name": "Отдел продаж",
        "analysis_status": 3,
        "price": 150,
        # finishDate has no offset: Asia/Almaty (+05), or call.date's +05 when unset, applies.
        "finished_at": "2025-04-18T06:59:56+00:00",
        "summary": analytics["summary"],
        "languages": ["ru"],
        "client_loyalty_grade": 2,
        "client_loyalty_description": analytics["clientLoyalty"]["description"],
        "client_loyalty_recommendation": analytics["clientLoyalty"]["recommendation"],
        "evaluation_id": 27,
        "evaluation_title": "Вопросы по умолчанию",
        "evaluation_grade": 31,
        "evaluation_max_grade": 100,
        "evaluation_recommendation": evaluation["evaluationRecommendation"],
        "criteria": [
            {
                "number": n,
                "description": evaluation[f"criterion{n}"][f"description{n}"],
                "mark": evaluation[f"criterion{n}"][f"mark{n}"],
            }
            for n in range(1, 11)
        ],
        "signals_title": "сенсата, стоп слова",
        "signals_count": 24,
        "mentioned_signals": signals["mentionedSignals"].split(", "),
        "markers": [],
    }
    assert [c["mark"] for c in dialog["criteria"]] == [3, 4, 2, 3, 1, 5, 3, 5, 2, 3]
    assert len(dialog["mentioned_signals"]) == 24
    assert dialog["mentioned_signals"][-1] == "это ваша проблема"

    criteria = run.records("dialog_criteria")
    assert [(c["dialog_id"], c["number"], c["mark"]) for c in criteria] == [
        (1138, c["number"], c["mark"]) for c in dialog["criteria"]
    ]
    assert {c["evaluation_id"] for c in criteria} == {27}
    assert all(c["finished_at"] == "2025-04-18T06:59:56+00:00" for c in criteria)
    signal_rows = run.records("dialog_signals")
    assert [(s["position"], s["signal"]) for s in signal_rows] == list(
        enumerate(dialog["mentioned_signals"], start=1)
    )
    assert {s["signals_title"] for s in signal_rows} == {"сенсата, стоп слова"}

    state = run.final_state["bookmarks"]["dialogs"]
    assert state["replication_key"] == "finished_at"
    assert state["replication_key_value"] == "2025-04-18T06:59:56+00:00"
    assert state["recently_finished"] == {
        "finished_at": "2025-04-18T06:59:56+00:00",
        "replication_key_value": "2025-04-18T06:59:56+00:00",
        "max_dialog_id": 1138,
        "pending_dialog_ids": [],
        "dialogs": {"1138": "2025-04-18T06:59:56+00:00"},
    }
    schemas = {m["stream"]: m for m in run.messages if m["type"] == "SCHEMA"}
    assert schemas["dialogs"]["key_properties"] == ["dialog_id"]
    assert schemas["dialogs"]["bookmark_properties"] == ["finished_at"]
    assert schemas["dialog_criteria"]["key_properties"] == ["dialog_id", "number"]
    assert schemas["dialog_signals"]["key_properties"] == ["dialog_id", "position"]
