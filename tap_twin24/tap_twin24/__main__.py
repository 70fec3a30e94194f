"""Allows ``python -m tap_twin24``."""

from tap_twin24.tap import main

main()
