"""Helpers shared by the tests, the chaos suite, the benchmarks and the tools: running a tap
(taprun), a clean environment (hermetic), a Meltano project (meltano_project, shards,
warehouse), each vendor's canary settings and mounting (*_support) and ground truth (*_truth)."""
