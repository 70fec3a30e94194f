"""tap-alovoice: a Singer tap for alovoice's AI analysis of recorded calls."""
