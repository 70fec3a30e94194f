"""The resilience suite: every tap under faults, kills and bad input, as one table of figures.

    python -m tests.chaos            # every scenario (make chaos)
    python -m tests.chaos --fast     # the subset that make test runs too

Each scenario module exposes ``scenarios(fast: bool) -> list[Scenario]``; a scenario runs one tap
against the loopback emulator (never a vendor host) and returns an Outcome, compared with what the
emulator knows it served.
"""
