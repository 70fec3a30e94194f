"""Tests of the taps, against the loopback API emulator in ``call_emulator``."""
