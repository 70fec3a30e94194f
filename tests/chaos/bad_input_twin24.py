"""Bad input for tap-twin24: settings, twin24's NestJS error bodies, pages and changed shapes.

twin24's pages show no error body; the contract names a 401 for a refused login or token, a 400
past the 50,000 cap, and NestJS answers the rest ({"statusCode", "message", "error"}).
"""

from __future__ import annotations

import typing as t
from datetime import UTC, datetime

from call_emulator import Emulator, Response
from call_emulator.messages import HTML_TYPE
from call_emulator.testing.taprun import run_tap
from call_emulator.testing.twin24_support import TWIN24_PASSWORD, TWIN24_PREFIXES, mount_twin24
from call_emulator.twin24 import Twin24Account
from call_emulator.twin24.auth import compact_json, nest_error
from call_emulator.twin24.hosts import CAP_MESSAGE

from .bad_input_checks import arrives_with, configured, record_where, replaced
from .bad_input_judge import DELIVER, Case, Expect, Key, TapJudge, pick, stops, warns
from .bad_input_vendors import LEGACY_TEXT, Fixed, Recoded, huge_text

if t.TYPE_CHECKING:
    from pathlib import Path

    from call_emulator import Vendor
    from call_emulator.testing.taprun import TapRun

    from .outcome import Outcome, Scenario

TAP = "tap-twin24"
KEYS = {"calls": ("id",), "call_messages": ("call_id", "position"), "tasks": ("id",)}
TOKEN_CANARY = "canary-twin24-ready-token-6a0d93"
JWT_HEADER = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
"""How every token twin24 issues starts: none may reach the output either."""
IAM, ANALYSE, CIS = TWIN24_PREFIXES
Item = dict[str, t.Any]
Check = t.Callable[["TapRun", Item], list[str]]
_judge = TapJudge(TAP, KEYS)


def _items() -> list[Item]:
    """A small account's calls as served, transcripts included."""
    return list(Twin24Account(calls=30, seed=5, tasks=3).truth().values())


def _expected(items: t.Iterable[Item]) -> set[Key]:
    """Every row the tap must deliver for these calls: calls, their lines, their tasks."""
    keys: set[Key] = set()
    for item in items:
        keys.add(("calls", item["id"]))
        keys.add(("tasks", item["taskId"]))
        lines = item.get("messages") or []
        keys |= {("call_messages", item["id"], n) for n in range(1, len(lines) + 1)}
    return keys


def _sync(
    workdir: Path,
    account: Twin24Account,
    change: t.Mapping[str, t.Any] | None = None,
    *,
    fronts: t.Mapping[str, t.Callable[[Vendor], Vendor]] | None = None,
    ready_token: bool = False,
) -> tuple[TapRun, list[str]]:
    """Run the tap once; ``fronts`` put a stand-in before a host, by its prefix.

    Returns the run and the secrets it was given (a ready token is a real one, when asked).
    """
    with Emulator() as emulator:
        config = mount_twin24(emulator, account)
        served: tuple[Vendor, ...] = (account.iam, account.analyse, account.cis)
        hosts = dict(zip(TWIN24_PREFIXES, served, strict=True))
        for prefix, front in (fronts or {}).items():
            emulator.mount(prefix, front(hosts[prefix]))
        if ready_token:
            config["token"] = account.auth.issue(account.email, 3600)["token"]
        config = configured(config, change)
        secrets = [TWIN24_PASSWORD, JWT_HEADER]
        secrets += [str(config[name]) for name in ("password", "token") if name in config]
        return run_tap("tap_twin24", config, workdir), secrets


# --- input the run cannot use ------------------------------------------------------------------


def bad_config(what: str, change: dict[str, t.Any], *says: str, fast: bool = False) -> Case:
    """A setting the run cannot use, or twin24 refusing the login: one line, no calls."""
    name = f"input/config: {what} -> stop, named"

    def run(workdir: Path) -> Outcome:
        account = Twin24Account.from_items(_items())
        tap_run, secrets = _sync(workdir, account, change)
        return _judge(name, tap_run, stops(*says), secrets=secrets)

    return Case(name, run, fast)


def answered(what: str, prefix: str, response: Response, *says: str, fast: bool = False) -> Case:
    """The host at ``prefix`` answers every request with ``response``: one line saying so."""
    name = f"input/{what} -> stop, quoted"

    def run(workdir: Path) -> Outcome:
        account = Twin24Account.from_items(_items())
        fixed = Fixed(response)
        tap_run, secrets = _sync(
            workdir, account, {"max_retries": 1}, fronts={prefix: lambda _: fixed}
        )
        asked = [] if fixed.requests else [f"the tap never asked {prefix}"]
        return _judge(name, tap_run, stops(*says), secrets=secrets, problems=asked)

    return Case(name, run, fast)


def _html(status: int = 200) -> Response:
    page = "<html><head><title>twin24</title></head><body>Технические работы</body></html>"
    return Response.text(page, status, HTML_TYPE)


# --- input that costs one record at most -------------------------------------------------------


def spoiled(
    what: str,
    spoil: t.Callable[[Item], None],
    expect: Expect,
    check: Check | None = None,
    *,
    fast: bool = False,
) -> Case:
    """One call of the account is spoiled; every other one must arrive as served."""
    name = f"input/{what}"

    def run(workdir: Path) -> Outcome:
        items = _items()
        target = items[len(items) // 2]
        spoil(target)
        account = Twin24Account.from_items(items)
        tap_run, secrets = _sync(workdir, account, ready_token=fast)
        usable = [item for item in items if "updatedAt" in item]
        problems = check(tap_run, target) if check else []
        return _judge(
            name, tap_run, expect, secrets=secrets, expected=_expected(usable), problems=problems
        )

    return Case(name, run, fast)


def _call(run: TapRun, item: Item) -> dict[str, t.Any]:
    return record_where(run, "calls", id=item["id"])


def _line(run: TapRun, item: Item, position: int = 1) -> dict[str, t.Any]:
    return record_where(run, "call_messages", call_id=item["id"], position=position)


def _drop_price(item: Item) -> None:
    del item["price"]


def _drop_updated_at(item: Item) -> None:
    del item["updatedAt"]


def _add_fields(item: Item) -> None:
    item["sentiment"] = "positive"
    item["recordDuration"] = 42
    item["messages"][0]["emotion"] = "neutral"


def _numbers_as_strings(item: Item) -> None:
    item.update(duration="18", regionId="5026", timezone="3", isFinished="true", price=1.79)


def _number_for_a_line(item: Item) -> None:
    item["messages"][0]["text"] = 42


def _line_as_text(run: TapRun, item: Item) -> list[str]:
    text = _line(run, item).get("text", "42")
    return [] if text == "42" else [f"the line arrived as {text!r}, not '42'"]


def _huge_transcript(item: Item) -> None:
    item["messages"][0]["text"] = huge_text()
    item["messagesAsString"] = "Робот: " + huge_text()


def _huge_intact(run: TapRun, item: Item) -> list[str]:
    problems = []
    line = _line(run, item).get("text")
    if line is not None and line != huge_text():
        problems.append(f"the transcript line arrived with {len(line)} characters, not intact")
    whole = _call(run, item).get("messagesAsString")
    if whole is not None and whole != item["messagesAsString"]:
        problems.append(f"messagesAsString arrived with {len(whole)} characters, not intact")
    return problems


def empty_account() -> Case:
    """An account without calls or tasks: nothing to deliver, exit 0, a state to start from."""
    name = "input/empty account -> 0 records, exit 0"
    dates = {
        "start_date": datetime(2025, 3, 1, tzinfo=UTC).isoformat(),
        "end_date": datetime(2025, 3, 8, tzinfo=UTC).isoformat(),
    }

    def run(workdir: Path) -> Outcome:
        tap_run, secrets = _sync(workdir, Twin24Account.from_items([]), dates)
        return _judge(name, tap_run, DELIVER, secrets=secrets)

    return Case(name, run, fast=True)


def legacy_bytes() -> Case:
    """One call's transcript comes in cp1251: U+FFFD there, a warning, every other row."""
    name = "input/cp1251 bytes in one call -> U+FFFD, warned, rest delivered"

    def run(workdir: Path) -> Outcome:
        items = _items()
        target = items[len(items) // 2]
        tail = target["messagesAsString"]
        target["messagesAsString"] = f"{LEGACY_TEXT}. {tail}"
        recoded: list[Recoded] = []

        def front(host: Vendor) -> Vendor:
            recoded.append(Recoded(host, LEGACY_TEXT))
            return recoded[0]

        account = Twin24Account.from_items(items)
        tap_run, secrets = _sync(workdir, account, fronts={ANALYSE: front}, ready_token=True)
        problems = [] if recoded[0].sent["recoded"] else ["the emulator never sent cp1251 text"]
        text = _call(tap_run, target).get("messagesAsString")
        problems += replaced("messagesAsString", text, tail)
        expect = warns("not UTF-8", target["id"])
        return _judge(
            name, tap_run, expect, secrets=secrets, expected=_expected(items), problems=problems
        )

    return Case(name, run, fast=True)


# --- the list ----------------------------------------------------------------------------------


def scenarios(fast: bool) -> list[Scenario]:
    return pick(TAP, cases(), fast)


def cases() -> list[Case]:
    """Every case; each name says what a data engineer expects of the run."""
    cap = nest_error(400, CAP_MESSAGE, "Bad Request")
    invalid = nest_error(400, ["limit must not be greater than 1000"], "Bad Request")
    return [
        bad_config("page_size not a number", {"page_size": "a thousand"}, "page_size", fast=True),
        bad_config("task_ids a string", {"task_ids": "0c6e"}, "task_ids"),
        bad_config("start_date missing", {"start_date": None}, "start_date"),
        bad_config("no credentials", {"email": None, "password": None}, "email and password"),
        bad_config(
            "start_date 2025-02-29", {"start_date": "2025-02-29T00:00:00Z"}, "start_date", fast=True
        ),
        bad_config(
            "end_date before start_date",
            {"end_date": "2020-01-01T00:00:00Z"},
            "end_date must be after start_date",
        ),
        bad_config(
            "login 401 'Invalid credentials'",
            {"password": TWIN24_PASSWORD + "-old"},
            "twin24 refused the login",
            "Invalid credentials",
            fast=True,
        ),
        bad_config(
            "login 400 'email must be an email'",
            {"email": "robot-at-twin24"},
            "twin24 refused the login",
            "email must be an email",
        ),
        bad_config(
            "ready token 401, no credentials",
            {"email": None, "password": None, "token": TOKEN_CANARY},
            "twin24 rejected the token",
        ),
        answered("calls 400 cap message", ANALYSE, cap, "HTTP 400", CAP_MESSAGE),
        answered(
            "calls 400 validation list", ANALYSE, invalid, "limit must not be greater than 1000"
        ),
        answered(
            "calls 403 'Forbidden resource'",
            ANALYSE,
            nest_error(403, "Forbidden resource", "Forbidden"),
            "HTTP 403",
            "Forbidden resource",
        ),
        answered(
            "calls 404 'Cannot GET' (api_url of another host)",
            ANALYSE,
            nest_error(404, "Cannot GET /api/v1/search/cis/calls", "Not Found"),
            "HTTP 404",
            "Cannot GET",
        ),
        answered("calls HTML with HTTP 200, retried", ANALYSE, _html(), "HTML", fast=True),
        answered("login HTML with HTTP 200, retried", IAM, _html(), "login", "not JSON"),
        answered(
            "JSON shape: calls without items",
            ANALYSE,
            compact_json({"total": 0, "data": []}),
            "expected an object with 'items'",
        ),
        spoiled(
            "one call lacks its price -> delivered, empty",
            _drop_price,
            DELIVER,
            arrives_with(_call, price=None),
        ),
        spoiled(
            "one call lacks its updatedAt -> skipped, warned, rest delivered",
            _drop_updated_at,
            warns("Skipped a call", "updatedAt"),
        ),
        spoiled("new fields in one call -> delivered", _add_fields, DELIVER),
        spoiled(
            "numbers as strings in one call -> converted",
            _numbers_as_strings,
            DELIVER,
            arrives_with(
                _call, duration=18, regionId=5026, timezone=3, isFinished=True, price=1.79
            ),
            fast=True,
        ),
        spoiled(
            "a number for a transcript line -> delivered as text",
            _number_for_a_line,
            DELIVER,
            _line_as_text,
        ),
        spoiled(
            "8 MB transcript in one call -> delivered intact",
            _huge_transcript,
            DELIVER,
            _huge_intact,
        ),
        empty_account(),
        legacy_bytes(),
    ]
