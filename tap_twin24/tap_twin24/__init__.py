"""tap-twin24: a Singer tap for twin24's voice-robot calls, transcripts and call tasks."""
