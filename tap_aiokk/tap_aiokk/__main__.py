"""Allows ``python -m tap_aiokk``."""

from tap_aiokk.tap import main

main()
