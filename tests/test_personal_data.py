"""personal_data, end to end: each tap in each mode, its whole output scanned.

The values looked for are what the emulator served (its own truth, not the tap's keep output):
every phone number in every spelling the vendor wrote it, every name, every transcript line
and summary, every recording path. With ``hash`` and ``drop`` none of them may be in the
records, the state or the log; with ``keep`` they all are, which proves the scan finds them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import typing as t

import pytest

from call_emulator.testing.aiokk_support import aiokk_account, mount_aiokk
from call_emulator.testing.alovoice_support import alovoice_account, mount_alovoice
from call_emulator.testing.personal_values import (
    aiokk_values,
    alovoice_values,
    found_in,
    searchable,
    twin24_values,
)
from call_emulator.testing.taprun import TapRun, run_tap
from call_emulator.testing.twin24_support import mount_twin24
from call_emulator.twin24 import Twin24Account
from tap_twin24.tap import TapTwin24

if t.TYPE_CHECKING:
    from pathlib import Path

    from call_emulator import Emulator

KEY = "canary-personal-data-key-0c9e7f215b"
"""The hash key: a secret, so a canary too."""
MODES = ("hash", "drop")
HASH = {"personal_data": "hash", "personal_data_key": KEY}


def _hmac(kind: str, normal: str) -> str:
    """The documented hash, computed here independently of the tap's code."""
    return hmac.new(KEY.encode(), f"{kind}:{normal}".encode(), hashlib.sha256).hexdigest()


def _leaks(run: TapRun, served: set[str]) -> list[str]:
    """The served values anywhere in the run's output: records, state and log (decoded: JSON
    escapes non-ASCII text)."""
    decoded = "\n".join(json.dumps(message, ensure_ascii=False) for message in run.messages)
    return found_in(decoded + "\n" + run.stderr, served)


def _run(
    module: str,
    config: dict[str, t.Any],
    mode: str,
    tmp_path: Path,
    args: t.Sequence[str] = (),
) -> TapRun:
    settings = config | {"log_details": True}
    if mode != "keep":
        settings |= {"personal_data": mode, "personal_data_key": KEY}
    run = run_tap(module, settings, tmp_path / mode, args=args)
    assert run.exit_code == 0, run.stderr[-3000:]
    assert KEY not in run.stdout + run.stderr
    return run


def _twin24(emulator: Emulator) -> tuple[dict[str, t.Any], set[str]]:
    account = Twin24Account(calls=60, seed=5)
    return mount_twin24(emulator, account), twin24_values(account)


def _aiokk(emulator: Emulator) -> tuple[dict[str, t.Any], set[str]]:
    account = aiokk_account(dialogs=40, seed=7, unfinished_share=0)
    return mount_aiokk(emulator, account), aiokk_values(account.truth())


def _alovoice(emulator: Emulator) -> tuple[dict[str, t.Any], set[str]]:
    account = alovoice_account(8)
    return mount_alovoice(emulator, account), alovoice_values(account)


TAPS = {"tap_twin24": _twin24, "tap_aiokk": _aiokk, "tap_alovoice": _alovoice}


@pytest.mark.parametrize("module", TAPS)
def test_hash_and_drop_let_no_served_personal_value_out(
    emulator: Emulator, tmp_path: Path, module: str
) -> None:
    config, served = TAPS[module](emulator)
    assert len(served) > 10, "the account serves personal data to look for"
    keep = _run(module, config, "keep", tmp_path)
    found = _leaks(keep, served)
    assert len(found) == len(searchable(served)) > 10, "keep delivers them: the scan can see"
    for mode in MODES:
        run = _run(module, config, mode, tmp_path)
        assert _leaks(run, served) == [], mode
        streams = {m["stream"] for m in run.messages if m["type"] == "RECORD"}
        for stream in streams:  # the same rows, and their schemas unchanged
            assert len(run.records(stream)) == len(keep.records(stream)), (mode, stream)
        assert _schemas(run) == _schemas(keep)
        assert (run.states and run.final_state == keep.final_state) or module == "tap_alovoice"


def _schemas(run: TapRun) -> dict[str, t.Any]:
    return {m["stream"]: m["schema"] for m in run.messages if m["type"] == "SCHEMA"}


def test_keep_is_the_output_of_a_run_without_the_setting(
    emulator: Emulator, tmp_path: Path
) -> None:
    config, _ = _twin24(emulator)
    default = run_tap("tap_twin24", config, tmp_path / "default")
    keep = run_tap("tap_twin24", config | {"personal_data": "keep"}, tmp_path / "keep")
    for stream in ("calls", "call_messages", "tasks"):
        assert keep.records(stream) == default.records(stream)
        assert keep.records(stream), stream
    assert _schemas(keep) == _schemas(default)


def test_drop_nulls_every_marked_field_and_keeps_the_rest(
    emulator: Emulator, tmp_path: Path
) -> None:
    config, _ = _aiokk(emulator)
    keep = _run("tap_aiokk", config, "keep", tmp_path)
    drop = _run("tap_aiokk", config, "drop", tmp_path)
    marked = {"caller_id", "caller_id_clean", "operator_name", "summary"}
    for kept, dropped in zip(keep.records("dialogs"), drop.records("dialogs"), strict=True):
        assert {field: dropped[field] for field in marked} == dict.fromkeys(marked)
        assert {k: v for k, v in dropped.items() if k not in marked} == {
            k: v for k, v in kept.items() if k not in marked
        }


def test_hash_keeps_text_with_personal_data_keep_text(emulator: Emulator, tmp_path: Path) -> None:
    account = alovoice_account(4)
    config = mount_alovoice(emulator, account) | {"personal_data_keep_text": True}
    run = _run("tap_alovoice", config, "hash", tmp_path)
    texts = {r["text"] for r in run.records("fragments")}
    served = {f["text"] for c in account.call_ids() for f in account.truth(c)["stalk"]}
    assert texts == served


PHONE_SPELLINGS = {"+7 (912) 345-67-89", "79123456789", "89123456789", "9123456789"}


def test_one_phone_number_gives_one_hash_in_every_tap_and_run(
    emulator: Emulator, tmp_path: Path
) -> None:
    """twin24 writes 7..., aiokk +7 (...) and its bare ten digits; all join on one hash."""
    twin24_source = Twin24Account(calls=3, seed=2)
    items = list(twin24_source.truth(None, None).values())
    for item, phone in zip(items, ("79123456789", "89123456789", "79990001122"), strict=True):
        item["phone"] = phone
    twin24 = Twin24Account.from_items(items)
    dialogs = list(aiokk_account(dialogs=2, seed=3, unfinished_share=0).truth())
    dialogs[0]["call"]["callerId"] = "+7 (912) 345-67-89"
    dialogs[0]["call"]["callerIdClean"] = "9123456789"
    aiokk = aiokk_account(dialogs=0)
    aiokk = type(aiokk).from_dialogs(dialogs, token=aiokk.token)
    twin24_config = mount_twin24(emulator, twin24)
    twin24_config |= {"start_date": twin24.first_moment().isoformat()}
    aiokk_config = mount_aiokk(emulator, aiokk)
    expected = _hmac("phone", "79123456789")
    hashes = []
    for attempt in ("first", "second"):
        twin24_run = _run("tap_twin24", twin24_config, "hash", tmp_path / attempt / "twin24")
        aiokk_run = _run("tap_aiokk", aiokk_config, "hash", tmp_path / attempt / "aiokk")
        phones = [r["phone"] for r in twin24_run.records("calls")]
        first = next(r for r in aiokk_run.records("dialogs") if r["dialog_id"] == _id(dialogs[0]))
        hashes += [first["caller_id"], first["caller_id_clean"], *phones[:2]]
        assert phones[2] == _hmac("phone", "79990001122")
    assert set(hashes) == {expected}, "every spelling, tap and run gives the one hash"
    assert len(hashes) == 8


def _id(dialog: dict[str, t.Any]) -> int:
    return int(dialog["call"]["dialogId"])


@pytest.mark.parametrize("module", TAPS)
def test_hash_without_a_key_is_one_line_and_exit_1(
    emulator: Emulator, tmp_path: Path, module: str
) -> None:
    config, _ = TAPS[module](emulator)
    run = run_tap(module, config | {"personal_data": "hash"}, tmp_path)
    assert run.exit_code == 1
    assert "Traceback" not in run.stderr
    assert len(run.error_lines) == 1, run.stderr[-2000:]
    assert "personal_data=hash needs personal_data_key" in run.error_lines[0]
    assert run.records(next(iter(_schemas(run)), "none")) == []


def test_hash_with_batch_messages_is_refused_since_no_stream_map_sees_them(
    emulator: Emulator, tmp_path: Path
) -> None:
    config, _ = _aiokk(emulator)
    batch = {"encoding": {"format": "jsonl"}, "storage": {"root": f"file://{tmp_path}/b"}}
    settings = config | {"personal_data": "drop", "batch_config": batch}
    run = run_tap("tap_aiokk", settings, tmp_path)
    assert run.exit_code == 1
    assert len(run.error_lines) == 1
    assert "remove batch_config" in run.error_lines[0]


@pytest.mark.parametrize("module", TAPS)
def test_the_key_from_the_environment_alone_hashes_and_never_shows(
    emulator: Emulator, tmp_path: Path, module: str
) -> None:
    """As Meltano passes a setting from .env: TAP_<NAME>_PERSONAL_DATA_KEY, read with
    ``--config=ENV``; not in the config file."""
    config, served = TAPS[module](emulator)
    prefix = module.upper()
    env = {f"{prefix}_PERSONAL_DATA": "hash", f"{prefix}_PERSONAL_DATA_KEY": KEY}
    run = run_tap(module, config, tmp_path, args=["--config", "ENV"], env=env)
    assert run.exit_code == 0, run.stderr[-3000:]
    assert _leaks(run, served) == []
    assert KEY not in run.stdout + run.stderr
    assert any(m["type"] == "RECORD" for m in run.messages)


def test_a_users_map_that_copies_a_phone_number_is_refused_with_one_line(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Every stream map sees the raw record: ``client: phone`` would load the number itself."""
    config, served = _twin24(emulator)
    maps = {"calls": {"client": "phone"}}
    run = run_tap("tap_twin24", config | HASH | {"stream_maps": maps}, tmp_path)
    assert run.exit_code == 1
    assert "Traceback" not in run.stderr
    assert len(run.error_lines) == 1, run.stderr[-2000:]
    assert "'client' is computed from the raw record (phone)" in run.error_lines[0]
    assert _leaks(run, served) == []


def test_streams_left_out_by_else_null_stay_out(emulator: Emulator, tmp_path: Path) -> None:
    config, _ = _twin24(emulator)
    settings = config | {"stream_maps": {"__else__": None, "tasks": {}}}
    for mode in ("keep", *MODES):
        run = _run("tap_twin24", settings, mode, tmp_path)
        assert {m["stream"] for m in run.messages if m["type"] == "RECORD"} == {"tasks"}, mode


def test_a_personal_field_the_catalog_deselects_stays_out(
    emulator: Emulator, tmp_path: Path
) -> None:
    config, _ = _twin24(emulator)
    catalog = TapTwin24(config=config, setup_mapper=False).catalog_dict
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = True
            elif entry["tap_stream_id"] == "calls" and item["breadcrumb"][-1] == "phone":
                item["metadata"]["selected"] = False
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog))
    keep = run_tap("tap_twin24", config, tmp_path / "keep", args=["--catalog", str(path)])
    for mode in MODES:
        run = _run("tap_twin24", config, mode, tmp_path, args=["--catalog", str(path)])
        assert _schemas(run) == _schemas(keep), mode
        assert "phone" not in _schemas(run)["calls"]["properties"]
        assert all("phone" not in record for record in run.records("calls"))
        assert len(run.records("calls")) == len(keep.records("calls")) > 0


def test_a_personal_value_of_the_wrong_type_is_not_quoted_in_the_log(
    emulator: Emulator, tmp_path: Path
) -> None:
    """The warning about a value left empty names its type, not the value, unless ``keep``."""
    dialogs = list(aiokk_account(dialogs=2, seed=3, unfinished_share=0).truth())
    dialogs[0]["call"]["callerId"] = ["+7 (912) 345-67-89"]
    dialogs[0]["operator"]["fullName"] = {"name": "Фёдорова Алёна Ивановна"}
    empty = aiokk_account(dialogs=0)
    aiokk_config = mount_aiokk(emulator, type(empty).from_dialogs(dialogs, token=empty.token))
    voice = alovoice_account(1)
    call_id = voice.call_ids()[0]
    answer = voice.truth(call_id)
    answer["stalk"][0]["text"] = ["Меня зовут Иван Петров, мой номер 89123456789"]
    answer["stereoaudio"] = {"url": f"/stereo/{call_id}/recording.mp3"}
    voice.given(call_id, answer)
    alovoice_config = mount_alovoice(emulator, voice)
    served = {"+7 (912) 345-67-89", "Фёдорова Алёна Ивановна", "Иван Петров", "recording.mp3"}
    for module, config in (("tap_aiokk", aiokk_config), ("tap_alovoice", alovoice_config)):
        keep = _run(module, config, "keep", tmp_path / module)
        assert found_in(keep.stderr, served), "keep quotes them: the scan can see"
        for mode in MODES:
            run = _run(module, config, mode, tmp_path / module)
            assert found_in(run.stderr, served) == [], (module, mode)
            assert "unexpected value of type list; left empty" in run.stderr, (module, mode)
