"""How a bad-input scenario is judged: the figures of its row, and what a data engineer expects.

Input that cannot be used (a bad setting, a refusal, a page that is not JSON) must stop the run
with exit code 1 and one ERROR line naming the cause, no traceback. Input that spoils one record
must cost at most that record: exit 0, every other record delivered, a WARNING naming what was
changed. Either way no secret may reach stdout (records and state) or stderr.
"""

from __future__ import annotations

import json
import typing as t
from collections import Counter
from dataclasses import dataclass

from jsonschema.validators import validator_for

from .leaks import leaked
from .outcome import Outcome, Scenario

if t.TYPE_CHECKING:
    from pathlib import Path

    from call_emulator.testing.taprun import TapRun

Key = tuple[t.Any, ...]
"""A record's identity: its stream, then the values of its primary key."""
PrimaryKeys = t.Mapping[str, tuple[str, ...]]
MAX_ERROR_LINES = 1
"""One ERROR line that names the cause; a second one is a wall to read through."""


@dataclass(frozen=True)
class Expect:
    """What the run should do with the input.

    ``says``: words that one ERROR line holds (fatal), or one WARNING line (not fatal; empty
    when the input needs no warning, such as a new field the tap does not export).
    """

    fatal: bool
    says: tuple[str, ...] = ()


DELIVER = Expect(fatal=False)
"""Every record arrives, exit 0; no warning needed."""


def stops(*words: str) -> Expect:
    """The run ends, exit code 1, with an ERROR line holding these words."""
    return Expect(fatal=True, says=words)


def warns(*words: str) -> Expect:
    """Every usable record arrives, exit 0, with a WARNING line holding these words."""
    return Expect(fatal=False, says=words)


@dataclass
class Delivery:
    """What came out of a run, read leniently: a broken stdout is a finding, not a crash."""

    records: list[tuple[str, dict[str, t.Any]]]
    schemas: dict[str, dict[str, t.Any]]
    states: int
    problems: list[str]

    @classmethod
    def read(cls, run: TapRun) -> Delivery:
        delivery = cls([], {}, 0, [])
        try:
            lines = run.stdout_path.read_bytes().decode("utf-8").splitlines()
        except UnicodeDecodeError as exc:
            delivery.problems.append(f"stdout is not UTF-8: {exc}")
            return delivery
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                message = json.loads(line)
            except ValueError:
                delivery.problems.append(f"stdout line {number} is not JSON: {line[:80]!r}")
                continue
            kind = message.get("type")
            if kind == "RECORD":
                delivery.records.append((message["stream"], message["record"]))
            elif kind == "SCHEMA":
                delivery.schemas[message["stream"]] = message["schema"]
            elif kind == "STATE":
                delivery.states += 1
        return delivery

    def keys(self, primary_keys: PrimaryKeys) -> Counter[Key]:
        return Counter(
            (stream, *(record.get(name) for name in primary_keys[stream]))
            for stream, record in self.records
        )

    def off_schema(self) -> list[str]:
        """Records that do not match their stream's schema: a target would refuse them."""
        validators = {
            stream: validator_for(schema)(schema) for stream, schema in self.schemas.items()
        }
        found = []
        for stream, record in self.records:
            validator = validators.get(stream)
            if validator is None:
                found.append(f"{stream}: a record before its SCHEMA")
                continue
            error = next(iter(validator.iter_errors(record)), None)
            if error is not None:
                where = ".".join(str(part) for part in error.absolute_path)
                found.append(f"{stream}.{where}: {error.message[:120]}")
        return found


def judge(
    tap: str,
    scenario: str,
    run: TapRun,
    *,
    expect: Expect,
    primary_keys: PrimaryKeys,
    expected: t.Collection[Key] = (),
    secrets: t.Iterable[str] = (),
    problems: t.Iterable[str] = (),
    double_submissions: int | None = None,
) -> Outcome:
    """The row of one run: figures against ``expected``, and every way it fell short."""
    delivery = Delivery.read(run)
    counted = delivery.keys(primary_keys)
    delivered, wanted = set(counted), set(expected)
    outcome = Outcome(
        tap,
        scenario,
        expected=len(wanted),
        delivered=len(delivered),
        duplicates=sum(1 for n in counted.values() if n > 1),
        lost=len(wanted - delivered),
        exit_code=run.exit_code,
        leaked=bool(leaked(secrets, run.stdout_path, run.stderr_path)),
        double_submissions=double_submissions,
    )
    found = outcome.problems
    found += delivery.problems
    found += list(problems)
    found += _log_problems(run, expect)
    surplus = sorted(map(str, delivered - wanted))
    if surplus:
        found.append(f"{len(surplus)} records not expected, e.g. {surplus[0][:80]}")
    off_schema = delivery.off_schema()
    if off_schema:
        found.append(f"{len(off_schema)} records off their schema, e.g. {off_schema[0]}")
    if not expect.fatal and not delivery.states:
        found.append("no STATE message")
    return outcome


@dataclass(frozen=True)
class TapJudge:
    """``judge`` for one tap: its name, primary keys and usual secrets are the same in every
    scenario, so a scenario passes only what is its own."""

    tap: str
    primary_keys: PrimaryKeys
    secrets: tuple[str, ...] = ()

    def __call__(
        self,
        scenario: str,
        run: TapRun,
        expect: Expect,
        *,
        expected: t.Collection[Key] = (),
        secrets: t.Iterable[str] | None = None,
        problems: t.Iterable[str] = (),
        double_submissions: int | None = None,
    ) -> Outcome:
        return judge(
            self.tap,
            scenario,
            run,
            expect=expect,
            primary_keys=self.primary_keys,
            expected=expected,
            secrets=self.secrets if secrets is None else secrets,
            problems=problems,
            double_submissions=double_submissions,
        )


def _log_problems(run: TapRun, expect: Expect) -> list[str]:
    """A wrong exit code, a missing or unclear line, a traceback, a wall of errors."""
    found = []
    errors = run.error_lines
    last = errors[-1] if errors else "(no ERROR line)"
    if "Traceback" in run.stderr:
        found.append("a traceback in stderr")
    if len(errors) > MAX_ERROR_LINES:
        found.append(f"{len(errors)} ERROR lines")
    if expect.fatal:
        if run.exit_code == 0:
            found.append("exit code 0 on input the run cannot use")
        if not _line_saying(errors, expect.says):
            found.append(f"no ERROR line says {' + '.join(expect.says)!r}; last: {last[-200:]}")
        return found
    if run.exit_code != 0:
        found.append(f"exit code {run.exit_code}: {last[-200:]}")
    elif errors:
        found.append(f"an ERROR line in a run that succeeded: {last[-200:]}")
    warnings = [line for line in run.stderr.splitlines() if "| WARNING" in line]
    if expect.says and not _line_saying(warnings, expect.says):
        found.append(f"no WARNING line says {' + '.join(expect.says)!r}")
    return found


def _line_saying(lines: list[str], words: tuple[str, ...]) -> bool:
    return any(all(word in line for word in words) for line in lines)


def records_of(run: TapRun, stream: str) -> list[dict[str, t.Any]]:
    """The records of one stream, for a scenario's own checks of their values."""
    return [record for name, record in Delivery.read(run).records if name == stream]


@dataclass(frozen=True)
class Case:
    """One scenario of a tap: its name (input -> what is expected), the run, fast or not."""

    name: str
    run: t.Callable[[Path], Outcome]
    fast: bool = False


def pick(tap: str, cases: t.Iterable[Case], fast: bool) -> list[Scenario]:
    """The tap's scenarios; in the fast subset only those marked fast."""
    return [Scenario(tap, case.name, case.run) for case in cases if case.fast or not fast]
