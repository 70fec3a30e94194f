"""Bad input for tap-aiokk: settings, aiokk's error bodies, pages and shapes it may send."""

from __future__ import annotations

import typing as t

from call_emulator import AIOKK_PREFIX, AiokkAccount, Emulator
from call_emulator.aiokk import SERVICE_UNAVAILABLE_HTML, ErrorMode
from call_emulator.testing import aiokk_truth
from call_emulator.testing.aiokk_support import AIOKK_TOKEN, mount_aiokk
from call_emulator.testing.fixture_files import fixture_json
from call_emulator.testing.taprun import run_tap

from .bad_input_checks import arrives_with, configured, record_where, replaced
from .bad_input_judge import DELIVER, Case, Expect, Key, TapJudge, pick, stops, warns
from .bad_input_vendors import LEGACY_TEXT, Recoded, huge_text

if t.TYPE_CHECKING:
    from pathlib import Path

    from call_emulator.testing.taprun import TapRun

    from .outcome import Outcome, Scenario

TAP = "tap-aiokk"
KEYS = {
    "dialogs": ("dialog_id",),
    "dialog_criteria": ("dialog_id", "number"),
    "dialog_signals": ("dialog_id", "position"),
}
ERROR_BODIES: list[dict[str, str]] = fixture_json("aiokk_error_bodies.json")
Raw = dict[str, t.Any]
Check = t.Callable[["TapRun", Raw], list[str]]
_judge = TapJudge(TAP, KEYS, secrets=(AIOKK_TOKEN,))


def _dialogs() -> list[Raw]:
    """A small account's dialogs as served, a tenth of them still being analysed."""
    return list(AiokkAccount(dialogs=30, seed=17, token=AIOKK_TOKEN).truth())


def _expected(dialogs: t.Iterable[Raw]) -> set[Key]:
    """Every row the tap must deliver for these dialogs, in all three streams."""
    done = aiokk_truth.finished(dialogs)
    keys: set[Key] = {("dialogs", i) for i in done}
    keys |= {("dialog_criteria", i, n) for i, n, _ in aiokk_truth.criteria_keys(done.values())}
    keys |= {("dialog_signals", i, p) for i, p, _ in aiokk_truth.signal_keys(done.values())}
    return keys


def _sync(
    workdir: Path,
    account: AiokkAccount,
    change: t.Mapping[str, t.Any] | None = None,
    *,
    recode: str | None = None,
) -> tuple[TapRun, int, int]:
    """Run the tap once against ``account``, with ``recode`` sent in cp1251.

    Returns the run, the requests it sent and how often the recoded text was served.
    """
    with Emulator() as emulator:
        config = mount_aiokk(emulator, account)
        recoded = Recoded(account, recode) if recode else None
        if recoded is not None:
            emulator.mount(AIOKK_PREFIX, recoded)
        run = run_tap("tap_aiokk", configured(config, change), workdir)
        served = recoded.sent["recoded"] if recoded is not None else 0
        return run, emulator.request_log.total, served


# --- input the run cannot use ------------------------------------------------------------------


def bad_config(what: str, change: dict[str, t.Any], named: str, *, fast: bool = False) -> Case:
    """A setting the run cannot use: one line naming it, before any request."""
    name = f"input/config: {what} -> stop, named"

    def run(workdir: Path) -> Outcome:
        account = AiokkAccount.from_dialogs(_dialogs(), token=AIOKK_TOKEN)
        tap_run, requests, _ = _sync(workdir, account, change)
        secrets = [str(change.get("token") or AIOKK_TOKEN)]
        sent = [f"{requests} requests sent with a bad config"] if requests else []
        return _judge(name, tap_run, stops(named), problems=sent, secrets=secrets)

    return Case(name, run, fast)


def answered(
    what: str,
    body: dict[str, t.Any] | str,
    *,
    status: int = 200,
    says: tuple[str, ...],
    retries: int = 0,
    fast: bool = False,
) -> Case:
    """aiokk answers every export with ``body``: the run ends saying so, after ``retries``."""
    name = f"input/{what} -> stop, quoted"

    def run(workdir: Path) -> Outcome:
        account = AiokkAccount.from_dialogs(_dialogs(), token=AIOKK_TOKEN)
        account.error = ErrorMode(body=body, status=status)
        tap_run, requests, _ = _sync(workdir, account, {"max_retries": max(retries, 1)})
        tries = [] if requests == retries + 1 else [f"{requests} requests, {retries + 1} expected"]
        return _judge(name, tap_run, stops(*says), problems=tries)

    return Case(name, run, fast)


# --- input that costs one record at most -------------------------------------------------------


def spoiled(
    what: str,
    spoil: t.Callable[[Raw], None],
    expect: Expect,
    check: Check | None = None,
    *,
    escaped: bool = False,
    fast: bool = False,
) -> Case:
    """One finished dialog of the export is spoiled; every other one must arrive as served.

    ``escaped``: text goes out as \\uXXXX escapes, as PHP's json_encode writes it by default.
    """
    name = f"input/{what}"

    def run(workdir: Path) -> Outcome:
        dialogs = _dialogs()
        target = next(d for d in dialogs if aiokk_truth.is_finished(d))
        spoil(target)
        account = AiokkAccount.from_dialogs(dialogs, token=AIOKK_TOKEN)
        account.escape_unicode = escaped
        tap_run, _, _ = _sync(workdir, account)
        usable = [d for d in dialogs if "dialogId" in d["call"]]
        problems = check(tap_run, target) if check else []
        return _judge(name, tap_run, expect, expected=_expected(usable), problems=problems)

    return Case(name, run, fast)


def _record(run: TapRun, raw: Raw) -> dict[str, t.Any]:
    return record_where(run, "dialogs", dialog_id=raw["call"]["dialogId"])


def _drop_summary(raw: Raw) -> None:
    del raw["analytics"]["summary"]


def _drop_id(raw: Raw) -> None:
    del raw["call"]["dialogId"]


def _add_fields(raw: Raw) -> None:
    raw["recordingUrl"] = "https://my.aiokk.example/records/1.mp3"
    raw["call"]["tags"] = ["vip"]
    raw["analytics"]["sentiment"] = {"score": 0.2, "label": "negative"}


def _numbers_as_strings(raw: Raw) -> None:
    raw["call"]["durationSec"] = "64"
    raw["operator"]["operatorId"] = "4"
    raw["operator"]["intNum"] = "594"
    raw["analytics"]["price"] = "150.5"
    raw["analytics"]["evaluationCriteria"]["eCurrentGrade"] = "31"


def _word_for_a_mark(raw: Raw) -> None:
    raw["analytics"]["evaluationCriteria"]["criterion1"]["mark1"] = "высокая"


def _huge_summary(raw: Raw) -> None:
    raw["analytics"]["summary"] = huge_text()


def _huge_intact(run: TapRun, raw: Raw) -> list[str]:
    record = _record(run, raw)
    if not record or record["summary"] == raw["analytics"]["summary"]:
        return []
    return [f"the summary arrived with {len(record['summary'] or '')} characters, not intact"]


def empty_account() -> Case:
    """An account without dialogs: nothing to deliver, exit 0, a state to start from."""
    name = "input/empty account -> 0 records, exit 0"

    def run(workdir: Path) -> Outcome:
        tap_run, requests, _ = _sync(workdir, AiokkAccount.from_dialogs([], token=AIOKK_TOKEN))
        problems = [] if requests == 4 else [f"{requests} requests, not one per call type"]
        return _judge(name, tap_run, DELIVER, problems=problems)

    return Case(name, run, fast=True)


def legacy_bytes() -> Case:
    """One dialog's summary comes in cp1251: it arrives with U+FFFD there, with a warning."""
    name = "input/cp1251 bytes in one dialog -> U+FFFD, warned, rest delivered"

    def run(workdir: Path) -> Outcome:
        dialogs = _dialogs()
        target = next(d for d in dialogs if aiokk_truth.is_finished(d))
        tail = target["analytics"]["summary"]
        target["analytics"]["summary"] = f"{LEGACY_TEXT}. {tail}"
        account = AiokkAccount.from_dialogs(dialogs, token=AIOKK_TOKEN)
        tap_run, _, served = _sync(workdir, account, recode=LEGACY_TEXT)
        problems = [] if served else ["the emulator never sent the cp1251 text"]
        problems += replaced("the summary", _record(tap_run, target).get("summary"), tail)
        expect = warns("not UTF-8", f"in dialogs {target['call']['dialogId']}")
        return _judge(name, tap_run, expect, expected=_expected(dialogs), problems=problems)

    return Case(name, run, fast=True)


# --- the list ----------------------------------------------------------------------------------


def scenarios(fast: bool) -> list[Scenario]:
    return pick(TAP, cases(), fast)


def cases() -> list[Case]:
    """Every case; each name says what a data engineer expects of the run."""
    found = [
        bad_config("call_types a string", {"call_types": "all"}, "call_types", fast=True),
        bad_config("max_retries a word", {"max_retries": "five"}, "max_retries"),
        bad_config("token a number", {"token": 918273645546372}, "token"),
        bad_config("token missing", {"token": None}, "token"),
        bad_config("api_url missing", {"api_url": None}, "api_url"),
        bad_config("start_date 2025-02-30", {"start_date": "2025-02-30T00:00:00Z"}, "start_date"),
        bad_config("timezone unknown", {"timezone": "Asia/Atlantis"}, "timezone"),
    ]
    for number, body in enumerate(ERROR_BODIES, 1):
        says = (body["error"], body.get("message") or body["code"])
        what = f"error body {number} '{body['error']}' HTTP 200"
        found.append(answered(what, body, says=says, fast=number == len(ERROR_BODIES)))
    found += [
        answered(
            "error body 'Token not found' HTTP 401",
            ERROR_BODIES[-1],
            status=401,
            says=("HTTP 401", "Token not found"),
        ),
        answered(
            "HTML 503 'Сервис не доступен', retried",
            SERVICE_UNAVAILABLE_HTML,
            status=503,
            says=("HTTP 503", "retries exhausted"),
            retries=1,
        ),
        answered(
            "HTML with HTTP 200, retried",
            "<html><body><h1>Добро пожаловать</h1></body></html>",
            says=("HTML", "retries exhausted"),
            retries=1,
            fast=True,
        ),
        answered(
            "JSON shape: an object, not the array", {"data": [], "total": 0}, says=("JSON array",)
        ),
        spoiled(
            "one dialog lacks its summary -> delivered, empty",
            _drop_summary,
            DELIVER,
            arrives_with(_record, summary=None),
        ),
        spoiled(
            "one dialog lacks its dialogId -> skipped, warned, rest delivered",
            _drop_id,
            warns("Skipped a dialog", "dialogId"),
        ),
        spoiled("new fields in one dialog -> delivered", _add_fields, DELIVER),
        spoiled(
            "numbers as strings in one dialog -> converted",
            _numbers_as_strings,
            DELIVER,
            arrives_with(
                _record,
                duration_sec=64,
                operator_id=4,
                operator_extension=594,
                price=150.5,
                evaluation_grade=31,
            ),
            fast=True,
        ),
        spoiled(
            "a word for a mark in one dialog -> left empty, warned",
            _word_for_a_mark,
            warns("mark1", "left empty"),
        ),
        spoiled(
            "8 MB summary in one dialog -> delivered intact", _huge_summary, DELIVER, _huge_intact
        ),
        spoiled(
            "8 MB summary as \\u escapes (24 MB) -> delivered intact",
            _huge_summary,
            DELIVER,
            _huge_intact,
            escaped=True,
        ),
        empty_account(),
        legacy_bytes(),
    ]
    return found
