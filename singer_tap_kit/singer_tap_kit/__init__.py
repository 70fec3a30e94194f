"""What every tap of this project needs, kept once: the library ``singer-tap-kit``.

Each tap depends on it by version range and imports it as ``singer_tap_kit``. Nothing here
imports a tap: a tap hands its own parts in (its name, how to describe one of its requests,
what its settings must also satisfy).
"""
