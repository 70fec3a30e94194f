"""The Meltano project's harness: copies and runs of meltano.yml against the emulator, its
shards, and what its warehouse and the call model should hold. The root tests, the benchmarks
and the tools import it; it is no distribution of its own."""
