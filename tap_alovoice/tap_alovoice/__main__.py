"""Allows ``python -m tap_alovoice``."""

from tap_alovoice.tap import main

main()
