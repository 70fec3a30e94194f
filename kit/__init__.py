"""What every tap of this project needs, kept once and copied byte for byte into each tap.

The canonical source is the repository's ``kit/`` folder; ``make kit`` copies it to
``tap_*/kit/`` and a test fails when a copy differs, so each tap can still move to a repository
of its own unchanged. Nothing here imports a tap: a tap hands its own parts in (its name, how to
describe one of its requests, what its settings must also satisfy).
"""
