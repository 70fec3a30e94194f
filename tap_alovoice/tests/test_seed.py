"""The vendor's own example result, served by the emulator, comes out of the tap row for row."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from call_emulator.alovoice.gen import acknowledgement
from call_emulator.testing.alovoice_support import (
    alovoice_account,
    assert_no_token,
    expected_fragments,
    expected_tags,
    mount_alovoice,
    without_collected_at,
)
from call_emulator.testing.fixture_files import fixture_json
from call_emulator.testing.taprun import run_tap

if TYPE_CHECKING:
    from pathlib import Path

    from call_emulator import Emulator

SEED_RESULT = fixture_json("alovoice_seed_result.json")["answer"]
SEED_SUBMISSION = fixture_json("alovoice_seed_submission.json")["answer"]
CALL_ID = "1716207617.2391"


def test_seed_result_is_parsed_end_to_end(emulator: Emulator, tmp_path: Path) -> None:
    account = alovoice_account([], delay_seconds=0.2)
    account.given(CALL_ID, SEED_RESULT)
    config = mount_alovoice(emulator, account)

    run = run_tap("tap_alovoice", config, tmp_path)

    assert run.exit_code == 0, run.stderr[-3000:]
    [analysis] = run.records("analyses")
    assert analysis["call_id"] == CALL_ID
    assert analysis["status"] == "done"
    assert analysis["aicallid"] == SEED_RESULT["aicallid"]
    assert analysis["stereoaudio"] == SEED_RESULT["stereoaudio"]
    begin = datetime.fromisoformat(analysis["begin_time"])
    assert begin.utcoffset() is not None
    assert begin.timestamp() == SEED_RESULT["begin_time"]
    assert analysis["fragment_count"] == len(SEED_RESULT["stalk"])
    assert analysis["tag_count"] == len(SEED_RESULT["tags"])
    assert datetime.fromisoformat(analysis["collected_at"]).tzinfo == UTC
    fragments = without_collected_at(run.records("fragments"))
    tags = without_collected_at(run.records("tags"))
    assert fragments == expected_fragments(CALL_ID, SEED_RESULT)
    assert tags == expected_tags(CALL_ID, SEED_RESULT)
    assert [tag["matched"] for tag in tags] == [bool(t["value"]) for t in SEED_RESULT["tags"]]
    assert len({tag["name"] for tag in tags}) < len(tags), "the seed repeats a tag name"
    assert account.submissions[CALL_ID] == 1
    assert_no_token(run)


def test_seed_submission_shape_is_what_the_emulator_acknowledges() -> None:
    """The emulator's acknowledgement has exactly the keys of the vendor's example."""
    account = alovoice_account(1)
    call_id = account.call_ids()[0]

    assert list(acknowledgement(account.truth(call_id))) == list(SEED_SUBMISSION)
    assert list(account.truth(call_id)) == list(SEED_RESULT)
