"""Bad input for tap-alovoice: settings, alovoice's error bodies, pages and changed shapes.

alovoice's pages show no error body; the contract names {"error": "..."} for an unknown call or
a failed analysis (about one call: a failed row, the rest go on) and for a refused token (401,
403, or even 200: the run ends). alovoice bills each submission, so every row also counts the
calls submitted twice.
"""

from __future__ import annotations

import typing as t

from call_emulator import Emulator, Response
from call_emulator.alovoice import CALL_NOT_FOUND, INVALID_TOKEN, AlovoiceAccount
from call_emulator.messages import HTML_TYPE
from call_emulator.testing.alovoice_support import (
    ALOVOICE_TOKEN,
    PREFIX,
    alovoice_account,
    mount_alovoice,
)
from call_emulator.testing.taprun import run_tap

from .bad_input_checks import configured, record_where, replaced
from .bad_input_judge import DELIVER, Case, Expect, Key, TapJudge, pick, stops, warns
from .bad_input_vendors import LEGACY_TEXT, Detour, Fixed, Recoded, huge_text

if t.TYPE_CHECKING:
    from pathlib import Path

    from call_emulator import Vendor
    from call_emulator.testing.taprun import TapRun

    from .outcome import Outcome, Scenario

TAP = "tap-alovoice"
KEYS = {"analyses": ("call_id",), "fragments": ("fragment_id",), "tags": ("call_id", "position")}
CALLS = 8
UNKNOWN_CALL = "1716299999.9999"
Answer = dict[str, t.Any]
Check = t.Callable[["TapRun", str, Answer], list[str]]
JUDGE = TapJudge(TAP, KEYS, secrets=(ALOVOICE_TOKEN,))


def _account(calls: int = CALLS) -> AlovoiceAccount:
    return alovoice_account(calls, delay_seconds=0.1)


def _target(account: AlovoiceAccount) -> tuple[str, Answer]:
    """The call a scenario spoils, and its answer as alovoice would serve it."""
    call_id = account.call_ids()[CALLS // 2]
    return call_id, account.truth(call_id)


def _expected(
    account: AlovoiceAccount, *, failed: t.Iterable[str] = (), absent: t.Iterable[str] = ()
) -> set[Key]:
    """Every row for the account's calls: done calls in full, ``failed`` ones as a row alone,
    ``absent`` ones not at all."""
    failed, absent = set(failed), set(absent)
    keys: set[Key] = {("analyses", call_id) for call_id in failed}
    for call_id in account.call_ids():
        if call_id in absent:
            continue
        keys.add(("analyses", call_id))
        if call_id in failed:
            continue
        answer = account.truth(call_id)
        stalk = answer["stalk"] if isinstance(answer["stalk"], list) else []
        keys |= {("fragments", item["fragment_id"]) for item in stalk}
        keys |= {("tags", call_id, n) for n in range(1, len(answer["tags"]) + 1)}
    return keys


def _sync(
    workdir: Path,
    account: AlovoiceAccount,
    change: t.Mapping[str, t.Any] | None = None,
    *,
    front: t.Callable[[AlovoiceAccount], Vendor] | None = None,
    state: dict[str, t.Any] | None = None,
) -> TapRun:
    """Run the tap once against ``account``, behind ``front`` when given."""
    with Emulator() as emulator:
        config = mount_alovoice(emulator, account)
        if front is not None:
            emulator.mount(PREFIX, front(account))
        return run_tap("tap_alovoice", configured(config, change), workdir, state=state)


def _judge(
    name: str,
    run: TapRun,
    expect: Expect,
    account: AlovoiceAccount,
    *,
    expected: t.Collection[Key] = (),
    problems: t.Iterable[str] = (),
) -> Outcome:
    """The tap's judge, with the calls ``account`` billed more than once."""
    billed = account.submissions.snapshot().values()
    twice = sum(1 for n in billed if n > 1)
    return JUDGE(name, run, expect, expected=expected, problems=problems, double_submissions=twice)


def _analysis(run: TapRun, call_id: str) -> dict[str, t.Any]:
    return record_where(run, "analyses", call_id=call_id)


def _settled(run: TapRun) -> dict[str, t.Any]:
    states = [m["value"] for m in run.messages if m["type"] == "STATE"]
    return states[-1]["bookmarks"]["analyses"] if states else {}


# --- input the run cannot use ------------------------------------------------------------------


def bad_config(what: str, change: dict[str, t.Any], named: str, *, fast: bool = False) -> Case:
    """A setting the run cannot use: one line naming it, before any request."""
    name = f"input/config: {what} -> stop, named"

    def run(workdir: Path) -> Outcome:
        account = _account()
        tap_run = _sync(workdir, account, change)
        sent = account.requests.total
        problems = [f"{sent} requests sent with a bad config"] if sent else []
        problems += ["a STATE was written: the saved one is replaced"] if tap_run.states else []
        return _judge(name, tap_run, stops(named), account, problems=problems)

    return Case(name, run, fast)


def refused(what: str, *, mode: t.Literal["401", "403", "200"], fast: bool = False) -> Case:
    """alovoice refuses the token: the run ends at once, nothing submitted, nothing failed."""
    name = f"input/{what} -> stop, quoted"

    def run(workdir: Path) -> Outcome:
        account = alovoice_account(CALLS, token="the-real-token")
        account.token_error_mode = mode
        tap_run = _sync(workdir, account)
        says = stops("alovoice refused the token", INVALID_TOKEN, "check the token")
        submitted = account.requests["callsendai"]
        problems = [f"{submitted} calls submitted with a refused token"] if submitted else []
        return _judge(name, tap_run, says, account, problems=problems)

    return Case(name, run, fast)


def answered(what: str, response: Response, *says: str, fast: bool = False) -> Case:
    """Every request gets ``response``: the run ends with one line, no call recorded failed."""
    name = f"input/{what} -> stop, quoted"

    def run(workdir: Path) -> Outcome:
        account = _account(5)
        tap_run = _sync(workdir, account, {"max_retries": 1}, front=lambda _: Fixed(response))
        failed = _settled(tap_run).get("failed_call_ids")
        problems = [f"calls recorded as failed: {failed}"] if failed else []
        return _judge(name, tap_run, stops(*says), account, problems=problems)

    return Case(name, run, fast)


def unknown_calls() -> Case:
    """None of the listed calls is known: a wrong list or api_url, not five failed calls."""
    name = "input/'Call not found' for every call -> stop, nothing failed"

    def run(workdir: Path) -> Outcome:
        account = _account()
        strangers = [f"1716300000.{n:04d}" for n in range(5)]
        tap_run = _sync(workdir, account, {"call_ids": strangers})
        failed = _settled(tap_run).get("failed_call_ids")
        problems = [f"calls recorded as failed: {failed}"] if failed else []
        says = stops("knows none of the 5 calls", CALL_NOT_FOUND, "check api_url")
        return _judge(name, tap_run, says, account, problems=problems)

    return Case(name, run)


# --- input that costs one call at most ---------------------------------------------------------


def one_unknown(what: str, *, mode: t.Literal["404", "200"], fast: bool = False) -> Case:
    """One listed call is unknown to alovoice: a failed row for it, every other call done."""
    name = f"input/{what} -> failed row, rest delivered"

    def run(workdir: Path) -> Outcome:
        account = _account()
        account.unknown_mode = mode
        tap_run = _sync(workdir, account, {"call_ids": [*account.call_ids(), UNKNOWN_CALL]})
        row = _analysis(tap_run, UNKNOWN_CALL)
        problems = [] if row.get("status", "failed") == "failed" else [f"the row is {row}"]
        expected = _expected(account, failed=[UNKNOWN_CALL])
        says = warns(UNKNOWN_CALL, CALL_NOT_FOUND, "recorded as failed")
        return _judge(name, tap_run, says, account, expected=expected, problems=problems)

    return Case(name, run, fast)


def failed_analysis(what: str, *, style: t.Literal["answer", "body"]) -> Case:
    """alovoice reports one call's analysis failed: a failed row with its text, the rest done."""
    name = f"input/{what} -> failed row, rest delivered"
    text = "Audio file could not be decoded"

    def run(workdir: Path) -> Outcome:
        account = _account()
        call_id, _ = _target(account)
        account.failing[call_id] = text
        account.failure_style = style
        tap_run = _sync(workdir, account)
        row = _analysis(tap_run, call_id)
        problems = [] if row.get("error", text) == text else [f"the row is {row}"]
        expected = _expected(account, failed=[call_id])
        says = warns(call_id, text, "recorded as failed")
        return _judge(name, tap_run, says, account, expected=expected, problems=problems)

    return Case(name, run)


def one_call_html() -> Case:
    """A proxy answers one call's requests with a page: that call waits for the next run."""
    name = "input/HTML for one call, retried -> left for next run, rest delivered"

    def run(workdir: Path) -> Outcome:
        account = _account()
        call_id, _ = _target(account)
        page = Response.text("<html><body>502 Bad Gateway</body></html>", 200, HTML_TYPE)
        tap_run = _sync(
            workdir,
            account,
            {"max_retries": 1},
            front=lambda account: Detour(account, f"/{call_id}", page),
        )
        settled = _settled(tap_run)
        in_state = [
            k for k in ("done_call_ids", "failed_call_ids") if call_id in settled.get(k, [])
        ]
        problems = [f"the call is in {in_state}, not left for the next run"] if in_state else []
        expected = _expected(account, absent=[call_id])
        says = warns(call_id, "HTML", "retries exhausted")
        return _judge(name, tap_run, says, account, expected=expected, problems=problems)

    return Case(name, run)


def spoiled(
    what: str,
    spoil: t.Callable[[Answer], None],
    expect: Expect,
    check: Check | None = None,
    *,
    fast: bool = False,
) -> Case:
    """One call's finished analysis is spoiled; every other call must arrive as served."""
    name = f"input/{what}"

    def run(workdir: Path) -> Outcome:
        account = _account()
        call_id, answer = _target(account)
        spoil(answer)
        account.given(call_id, answer)
        tap_run = _sync(workdir, account)
        problems = check(tap_run, call_id, answer) if check else []
        expected = _expected(account)
        return _judge(name, tap_run, expect, account, expected=expected, problems=problems)

    return Case(name, run, fast)


def _fragment(run: TapRun, call_id: str, position: int = 1) -> dict[str, t.Any]:
    return record_where(run, "fragments", call_id=call_id, position=position)


def _drop_fields(answer: Answer) -> None:
    del answer["aicallid"], answer["stalk"][0]["direction"], answer["tags"][0]["tag_type"]


def _empty_where_dropped(run: TapRun, call_id: str, answer: Answer) -> list[str]:  # noqa: ARG001 (a fixture used for its effect, or a signature the caller fixes)
    row, fragment = _analysis(run, call_id), _fragment(run, call_id)
    found = [(row, "aicallid"), (fragment, "direction")]
    return [f"{field} arrived as {r[field]!r}" for r, field in found if r.get(field) is not None]


def _add_fields(answer: Answer) -> None:
    answer["sentiment"] = {"operator": "neutral", "client": "positive"}
    answer["stalk"][0]["confidence"] = 0.93
    answer["tags"][0]["color"] = "red"


def _numbers_as_strings(answer: Answer) -> None:
    answer["begin_time"] = str(answer["begin_time"])
    fragment = answer["stalk"][0]
    fragment["begin"], fragment["end"] = str(fragment["begin"]), str(fragment["end"])


def _converted(run: TapRun, call_id: str, answer: Answer) -> list[str]:
    served = answer["stalk"][0]
    fragment = _fragment(run, call_id) or {"begin_ms": int(served["begin"])}
    found = [] if fragment["begin_ms"] == int(served["begin"]) else [f"fragment {fragment}"]
    begin_time = _analysis(run, call_id).get("begin_time") or "2024"
    return found if begin_time.startswith("2024") else [*found, f"begin_time {begin_time}"]


def _stalk_an_object(answer: Answer) -> None:
    answer["stalk"] = {"fragments": answer["stalk"]}


def _huge_fragment(answer: Answer) -> None:
    answer["stalk"][0]["text"] = huge_text()


def _huge_intact(run: TapRun, call_id: str, answer: Answer) -> list[str]:
    text = _fragment(run, call_id).get("text")
    if text is None or text == answer["stalk"][0]["text"]:
        return []
    return [f"the fragment arrived with {len(text)} characters, not intact"]


def nothing_new() -> Case:
    """Every listed call was collected by earlier runs: 0 records, exit 0, the state kept, and
    one request, the token check.

    (A call list with no call at all is refused instead, as tap_alovoice/README.md says: see the
    config case "empty call list".)
    """
    name = "input/empty account: every call settled earlier -> 0 records, exit 0"

    def run(workdir: Path) -> Outcome:
        account = _account()
        state = {"bookmarks": {"analyses": {"done_call_ids": account.call_ids()}}}
        tap_run = _sync(workdir, account, state=state)
        kept = sorted(_settled(tap_run).get("done_call_ids", []))
        problems = [] if kept == sorted(account.call_ids()) else [f"the state kept {kept}"]
        sent = account.requests.snapshot()
        # The token check is the one request: a result query, never a submission.
        problems += [] if sent == {"callgetairesult": 1} else [f"requests sent: {sent}"]
        return _judge(name, tap_run, DELIVER, account, problems=problems)

    return Case(name, run, fast=True)


def legacy_bytes() -> Case:
    """One fragment comes in cp1251: U+FFFD there, a warning naming the call, every other row."""
    name = "input/cp1251 bytes in one call -> U+FFFD, warned, rest delivered"

    def run(workdir: Path) -> Outcome:
        account = _account()
        call_id, answer = _target(account)
        tail = answer["stalk"][0]["text"]
        answer["stalk"][0]["text"] = f"{LEGACY_TEXT}. {tail}"
        account.given(call_id, answer)
        recoded: list[Recoded] = []

        def front(account: AlovoiceAccount) -> Vendor:
            recoded.append(Recoded(account, LEGACY_TEXT))
            return recoded[0]

        tap_run = _sync(workdir, account, front=front)
        problems = [] if recoded[0].sent["recoded"] else ["the emulator never sent cp1251 text"]
        problems += replaced("the fragment", _fragment(tap_run, call_id).get("text"), tail)
        says = warns(call_id, "not UTF-8")
        return _judge(name, tap_run, says, account, expected=_expected(account), problems=problems)

    return Case(name, run, fast=True)


# --- the list ----------------------------------------------------------------------------------


def scenarios(fast: bool) -> list[Scenario]:
    return pick(TAP, cases(), fast)


def cases() -> list[Case]:
    """Every case; each name says what a data engineer expects of the run."""
    html = Response.text("<html><body><h1>Texnik ishlar</h1></body></html>", 200, HTML_TYPE)
    not_found_page = Response.text("<html><body>404 Not Found</body></html>", 404, HTML_TYPE)
    renamed = Response.json({"result": {"begin_time": 1716207617}})
    denied = Response.json({"error": "Доступ запрещён"})
    return [
        bad_config(
            "max_concurrency a word", {"max_concurrency": "eight"}, "max_concurrency", fast=True
        ),
        bad_config("call_ids a string", {"call_ids": "1716207617.2391"}, "call_ids"),
        bad_config("submit a word", {"submit": "maybe"}, "submit"),
        bad_config("token missing", {"token": None}, "token"),
        bad_config("no call list", {"call_ids": None}, "set call_ids, call_ids_file, or both"),
        bad_config(
            "poll_interval_max_ms below poll_interval_ms",
            {"poll_interval_ms": 10000, "poll_interval_max_ms": 1000},
            "poll_interval_max_ms",
        ),
        bad_config(
            "empty call list (state kept, as the tap's README says)",
            {"call_ids": []},
            "call_ids: the list is empty",
        ),
        refused("'Invalid token' HTTP 401", mode="401", fast=True),
        refused("'Invalid token' HTTP 403", mode="403"),
        refused("'Invalid token' HTTP 200", mode="200"),
        answered("'Доступ запрещён' for every call", denied, "'Доступ запрещён' for 5 calls"),
        unknown_calls(),
        answered("HTML with HTTP 200, retried", html, "HTML", "retr", fast=True),
        answered("HTML 404 page (a wrong api_url)", not_found_page, "HTTP 404", "check api_url"),
        answered("JSON shape: no answer and no error", renamed, "neither an answer nor an error"),
        one_unknown("'Call not found' HTTP 404 for one call", mode="404"),
        one_unknown("'Call not found' HTTP 200 for one call", mode="200"),
        failed_analysis("analysis failed (error in answer) for one call", style="answer"),
        failed_analysis("analysis failed (bare error body) for one call", style="body"),
        one_call_html(),
        spoiled(
            "one call lacks fields -> delivered, empty",
            _drop_fields,
            DELIVER,
            _empty_where_dropped,
        ),
        spoiled("new fields in one call -> delivered", _add_fields, DELIVER),
        spoiled(
            "numbers as strings in one call -> converted",
            _numbers_as_strings,
            DELIVER,
            _converted,
            fast=True,
        ),
        spoiled(
            "stalk an object in one call -> delivered without fragments, warned",
            _stalk_an_object,
            warns("stalk"),
        ),
        spoiled(
            "8 MB fragment text in one call -> delivered intact",
            _huge_fragment,
            DELIVER,
            _huge_intact,
        ),
        nothing_new(),
        legacy_bytes(),
    ]
