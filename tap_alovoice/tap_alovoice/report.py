"""What a run tells its user: progress on long runs, a summary, and why it stopped early."""

from __future__ import annotations

import time
import typing as t
from collections import Counter

from singer_sdk.exceptions import FatalAPIError

if t.TYPE_CHECKING:
    import logging

PROGRESS_EVERY = 30.0  # seconds between progress lines


class ApiUnavailableError(FatalAPIError):
    """Requests keep failing after their retries, call after call: alovoice is not answering."""


class NoCallKnownError(FatalAPIError):
    """alovoice knows none of the calls: a wrong api_url or call id list, not unknown calls."""


class AccountError(FatalAPIError):
    """alovoice gave the same error for many calls and knows none: it is about the account."""


class RunReport:
    """Counts what happened to the run's calls, and puts it in words."""

    def __init__(self, logger: logging.Logger, where: str, max_retries: int) -> None:
        self.logger, self.where, self.max_retries = logger, where, max_retries
        self.counts: Counter[str] = Counter()
        self.failures_in_a_row = 0
        self.last_trouble = ""
        self.next_progress = time.monotonic() + PROGRESS_EVERY

    def gave_up(self, reason: str) -> None:
        self.counts["gave up"] += 1
        self.failures_in_a_row += 1
        self.last_trouble = reason

    def answered(self, *, known: bool) -> None:
        """A usable answer; ``known`` when it shows that alovoice knows the call."""
        self.failures_in_a_row = 0
        self.counts["answered"] += 1
        if known:
            self.counts["known"] += 1

    def unavailable(self) -> ApiUnavailableError:
        retries = "retry" if self.max_retries == 1 else "retries"
        return ApiUnavailableError(
            f"{self.where} gave no usable answer for {self.failures_in_a_row} calls in a row, "
            f"after {self.max_retries} {retries} each (last: {self.last_trouble}); "
            "the next run collects every call not collected yet"
        )

    def none_known(
        self, unknown: t.Sequence[tuple[str, str | None]], *, submitting: bool
    ) -> NoCallKnownError:
        call_id, error = unknown[-1]
        never = (
            ""
            if submitting
            else " (this run submits nothing, and a call never submitted is unknown to it too)"
        )
        return NoCallKnownError(
            f"{self.where} knows none of the {len(unknown)} calls it was asked about "
            f"(call {call_id}: {error}); check api_url and the call ids{never}. "
            "No call was recorded as failed"
        )

    def account_error(self, error: str, calls: int) -> AccountError:
        return AccountError(
            f"{self.where} answered {error!r} for {calls} calls and knows none of the calls "
            "of this run: an error about the account or the token, not about the calls; "
            "check the token and api_url. No call was recorded as failed"
        )

    def progress(self, waiting: int, unchecked: int, next_query: float | None) -> None:
        """Every PROGRESS_EVERY seconds, how far the run is."""
        now = time.monotonic()
        if now < self.next_progress:
            return
        self.next_progress = now + PROGRESS_EVERY
        self.logger.info(
            "Progress: %d done, %d failed, %d being analysed, %d not checked yet; "
            "next result query in %s",
            self.counts["done"],
            self.counts["failed"],
            waiting,
            unchecked,
            f"{max(next_query - now, 0):.0f} s" if next_query is not None else "-",
        )

    def summary(self, waiting: int, unconfirmed: int, refused: int) -> None:
        self.logger.info(
            "Analyses: %d done, %d failed, %d still being analysed (the next run collects "
            "them), %d never submitted and left alone, %d not reached after retries, "
            "%d submissions not confirmed and %d refused (the next run asks about them first)",
            self.counts["done"],
            self.counts["failed"],
            waiting,
            self.counts["left alone"],
            self.counts["gave up"],
            unconfirmed,
            refused,
        )
