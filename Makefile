# Everything a newcomer or CI needs, from a fresh clone.
SHELL := /bin/bash
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)

.PHONY: test lint typecheck pytest bench bench-pipeline chaos demo docs kit lock clean

test: .venv lint typecheck pytest

# uv is the only tool taken from outside the project; install it locally when missing.
.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

# requirements.lock pins every package, the test and lint tools included (`make lock` renews it).
.venv: pyproject.toml requirements.lock | $(UV)
	$(UV) venv --quiet --allow-existing .venv
	$(UV) pip install --quiet --python .venv -r requirements.lock -e .
	@touch .venv

lock: | $(UV)
	$(UV) lock
	$(UV) export --quiet --format requirements-txt --all-groups --no-hashes --no-emit-project \
		--no-header --output-file requirements.lock
	for input in plugins/loaders/*.in; do \
		$(UV) pip compile --quiet --python-version 3.11 --no-header --no-annotate \
			"$$input" --output-file "$${input%.in}.txt"; \
	done

lint: .venv
	$(UV) run --no-sync ruff check .
	$(UV) run --no-sync ruff format --check .

typecheck: .venv
	$(UV) run --no-sync mypy tap_aiokk tap_twin24 tap_alovoice tests bench

pytest: .venv
	$(UV) run --no-sync pytest

bench: .venv
	$(UV) run --no-sync python -m bench.aiokk_memory
	$(UV) run --no-sync python -m bench.twin24_speed
	$(UV) run --no-sync python -m bench.alovoice_pipeline

# `meltano run` of each tap into target-duckdb and target-postgres on large emulated accounts,
# against the tap alone and a bulk-load floor (needs Postgres at 127.0.0.1:5432; see README).
bench-pipeline: .venv
	$(UV) run --no-sync python -m bench.pipeline

# The README's first command: all three taps into DuckDB through `meltano run`, no vendor account.
demo: .venv
	$(UV) run --no-sync python -m tests.demo

# Every resilience scenario, with its table of figures (`make test` runs a fast subset).
chaos: .venv
	$(UV) run --no-sync python -m tests.chaos

# Rewrites the README's settings tables, the Meltano Hub definitions and meltano.yml's extractors
# from each tap's --about; tests fail when they drift.
docs: .venv
	$(UV) run --no-sync python -m tests.readme_table
	$(UV) run --no-sync python -m tests.plugin_definitions

# The code every tap shares lives once in kit/; each tap holds an identical copy, so it can
# move to a repository of its own unchanged (tests/test_kit.py fails when a copy drifts).
kit:
	for tap in tap_aiokk tap_twin24 tap_alovoice; do \
		rm -rf "$$tap/kit" && mkdir "$$tap/kit" && cp kit/*.py "$$tap/kit/"; \
	done

clean:
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache .meltano
