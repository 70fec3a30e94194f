"""The twin24 API as a test vendor: one account (account.py) served by three hosts (hosts.py).

auth.py issues and checks the JWTs, query.py parses a calls query, index.py, synth.py, render.py,
status.py, keys.py, texts.py and transcripts.py build a large synthetic account, given.py one
built from given calls, tasks.py the call tasks.
"""

from .account import CAP, DEFAULT_EMAIL, DEFAULT_PASSWORD, DEFAULT_START, Twin24Account

__all__ = ["CAP", "DEFAULT_EMAIL", "DEFAULT_PASSWORD", "DEFAULT_START", "Twin24Account"]
