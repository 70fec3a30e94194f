"""Helpers shared by the tap-alovoice tests: a canary token, a mounted account, ground truth."""

from __future__ import annotations

import typing as t
from datetime import UTC, datetime

from call_emulator.alovoice import AlovoiceAccount

if t.TYPE_CHECKING:
    from call_emulator import Emulator
    from call_emulator.testing.taprun import TapRun

# A canary: no output of any run may ever contain it. Its characters need URL-encoding, so
# the encoded form (which appears in URLs) is checked as well.
ALOVOICE_TOKEN = "canary-alovoice-token-7c41e9+b2d8"
ALOVOICE_TOKEN_IN_URL = "canary-alovoice-token-7c41e9%2Bb2d8"
PREFIX = "/alovoice"


def alovoice_account(calls: int | t.Iterable[str] = 20, **kwargs: t.Any) -> AlovoiceAccount:
    """An account whose token is the canary, with a short analysis delay."""
    kwargs.setdefault("token", ALOVOICE_TOKEN)
    kwargs.setdefault("delay_seconds", 0.15)
    return AlovoiceAccount(calls, **kwargs)


def mount_alovoice(emulator: Emulator, account: AlovoiceAccount) -> dict[str, t.Any]:
    """Serve ``account`` and return a tap config for all its calls that polls and retries fast."""
    emulator.mount(PREFIX, account)
    return {
        "api_url": emulator.url_for(PREFIX),
        "token": ALOVOICE_TOKEN,
        "call_ids": account.call_ids(),
        "poll_interval_ms": 100,
        "poll_interval_max_ms": 300,
        "max_wait": 30,
        "request_timeout": 2,
        "max_retries": 10,
        "backoff_ms": 50,
    }


def assert_no_token(run: TapRun) -> None:
    """The canary, raw or URL-encoded, is in no output: messages, logs, state."""
    output = run.stdout + run.stderr
    assert ALOVOICE_TOKEN not in output
    assert ALOVOICE_TOKEN_IN_URL not in output
    assert "canary-alovoice-token" not in output


def expected_fragments(call_id: str, answer: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
    """The fragments rows of a done call, read straight from its answer."""
    return [
        {
            "fragment_id": item["fragment_id"],
            "call_id": call_id,
            "position": position,
            "begin_ms": item["begin"],
            "end_ms": item["end"],
            "direction": item["direction"],
            "text": item["text"],
        }
        for position, item in enumerate(answer["stalk"], start=1)
    ]


def expected_tags(call_id: str, answer: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
    """The tags rows of a done call, read straight from its answer."""
    return [
        {
            "call_id": call_id,
            "position": position,
            "name": item["name"],
            "value": item["value"],
            "matched": item["value"] != "",
            "visible": item["visible"],
            "tag_type": item["tag_type"],
            "begin_ms": item.get("begin"),
            "end_ms": item.get("end"),
            "match_text": item.get("match_text"),
            "fragment_id": item.get("fragment_id"),
        }
        for position, item in enumerate(answer["tags"], start=1)
    ]


def without_collected_at(rows: t.Iterable[t.Mapping[str, t.Any]]) -> list[dict[str, t.Any]]:
    return [{k: v for k, v in row.items() if k != "collected_at"} for row in rows]


def rows_by_call(rows: t.Iterable[t.Mapping[str, t.Any]]) -> dict[str, list[dict[str, t.Any]]]:
    grouped: dict[str, list[dict[str, t.Any]]] = {}
    for row in without_collected_at(rows):
        grouped.setdefault(row["call_id"], []).append(row)
    return grouped


def assert_delivers(run: TapRun, account: AlovoiceAccount, expected: t.Iterable[str]) -> None:
    """Exactly these calls came out done, once each, with every fragment and tag as served."""
    assert run.exit_code == 0, run.stderr[-3000:]
    expected_ids = sorted(expected)
    assert expected_ids, "a check on no calls proves nothing"
    done = [row for row in run.records("analyses") if row["status"] == "done"]
    assert sorted(row["call_id"] for row in done) == expected_ids
    for row in done:
        truth = account.truth(row["call_id"])
        assert row["aicallid"] == truth["aicallid"]
        assert row["begin_time"] == datetime.fromtimestamp(truth["begin_time"], UTC).isoformat()
        assert row["stereoaudio"] == truth["stereoaudio"]
        assert (row["fragment_count"], row["tag_count"]) == (
            len(truth["stalk"]),
            len(truth["tags"]),
        )
        assert row["error"] is None
    fragments, tags = rows_by_call(run.records("fragments")), rows_by_call(run.records("tags"))
    assert sorted(fragments) == sorted(tags) == expected_ids
    for call_id in expected_ids:
        truth = account.truth(call_id)
        assert fragments[call_id] == expected_fragments(call_id, truth)
        assert tags[call_id] == expected_tags(call_id, truth)
    assert_no_token(run)


def submitted_once(account: AlovoiceAccount, call_ids: t.Iterable[str]) -> bool:
    """Every one of these calls was billed exactly once."""
    billed = account.submissions.snapshot()
    return all(billed.get(call_id) == 1 for call_id in call_ids)
