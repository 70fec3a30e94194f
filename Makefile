# Everything a newcomer or CI needs, from a fresh clone.
SHELL := /bin/bash
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)

SDK_NEXT := 0.55.0b7

.PHONY: test test-slow test-sdk-next lint typecheck pytest bench bench-pipeline chaos demo docs dist kit lock clean scale-out

# `make test` leaves out the tests marked `slow` (end-to-end runs of a minute or more: Meltano,
# the largest syncs, the distribution build); `make test-slow` runs them. CI runs both.
test: .venv lint typecheck pytest

# uv is the only tool taken from outside the project; install it locally when missing.
.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

# requirements.lock pins every package, the test and lint tools included (`make lock` renews it);
# `pip sync` also removes what the lock no longer names. Older locks had `backoff` too, which
# owns the same files as `python-backoff`: removing it removes them, so that one is reinstalled.
.venv: pyproject.toml requirements.lock | $(UV)
	$(UV) venv --quiet --allow-existing .venv
	$(UV) pip sync --quiet --python .venv --reinstall-package python-backoff requirements.lock
	$(UV) pip install --quiet --python .venv --no-deps -e .
	@touch .venv

lock: | $(UV)
	$(UV) lock
	$(UV) export --quiet --format requirements-txt --all-groups --no-hashes --no-emit-project \
		--no-header --output-file requirements.lock
	for input in plugins/loaders/*.in transform/requirements/*.in examples/dagster/requirements.in; do \
		$(UV) pip compile --quiet --python-version 3.11 --no-header --no-annotate \
			"$$input" --output-file "$${input%.in}.txt"; \
	done
	$(MAKE) .venv
	$(UV) run --no-sync python -m tools.pins

lint: .venv
	$(UV) run --no-sync ruff check .
	$(UV) run --no-sync ruff format --check .

typecheck: .venv
	$(UV) run --no-sync mypy tap_aiokk tap_twin24 tap_alovoice tests bench tools

# The scale-out tests take minutes, not seconds, and need a Dagster environment of their own:
# `make scale-out` runs them, and `make test-slow` calls it.
SCALE_OUT_TESTS := tests/test_meltano_shards.py tests/test_dagster_example.py

pytest: .venv
	$(UV) run --no-sync pytest -m "not slow" $(addprefix --ignore=,$(SCALE_OUT_TESTS))

test-slow: .venv
	$(UV) run --no-sync pytest -m slow $(addprefix --ignore=,$(SCALE_OUT_TESTS))
	$(MAKE) scale-out

# The next singer-sdk, a pre-release pinned here, in a venv of its own with the lock's other pins:
# the taps' own modules and CLIs (the rules, settings, state, errors, secrets, the alovoice
# pipeline), not the Meltano end-to-end runs, which load the same taps.
SDK_NEXT_TESTS := tests/test_kit.py tests/test_user_input.py tests/test_redaction.py \
	tests/test_installed_modules.py tests/aiokk/test_cli.py tests/twin24/test_cli.py \
	tests/alovoice/test_cli.py tests/aiokk/test_errors.py tests/twin24/test_errors.py \
	tests/alovoice/test_errors.py tests/alovoice/test_pipeline.py tests/alovoice/test_timing.py \
	tests/kit tests/aiokk/test_bookmark.py tests/aiokk/test_body.py tests/aiokk/test_pagination.py \
	tests/twin24/test_bookmark.py tests/twin24/test_pagination.py tests/twin24/test_auth.py \
	tests/twin24/test_windows.py tests/alovoice/test_lifecycle.py tests/alovoice/test_ledger.py \
	tests/alovoice/test_schedule.py
.venv-sdk-next: pyproject.toml requirements.lock Makefile | $(UV)
	$(UV) venv --quiet --allow-existing .venv-sdk-next
	grep -v '^singer-sdk==' requirements.lock > .venv-sdk-next/requirements.txt
	$(UV) pip sync --quiet --python .venv-sdk-next --reinstall-package python-backoff \
		.venv-sdk-next/requirements.txt
	$(UV) pip install --quiet --python .venv-sdk-next "singer-sdk[msgspec]==$(SDK_NEXT)"
	$(UV) pip install --quiet --python .venv-sdk-next --no-deps -e .
	@touch .venv-sdk-next

test-sdk-next: .venv-sdk-next
	.venv-sdk-next/bin/python -m pytest -p no:cacheprovider $(SDK_NEXT_TESTS)

bench: .venv
	$(UV) run --no-sync python -m bench.aiokk_memory
	$(UV) run --no-sync python -m bench.twin24_speed
	$(UV) run --no-sync python -m bench.alovoice_pipeline
	$(UV) run --no-sync python -m bench.shards_speed

# `meltano run` of each tap into target-duckdb and target-postgres on large emulated accounts,
# against the tap alone and a bulk-load floor (needs Postgres at 127.0.0.1:5432; see
# docs/performance.md).
bench-pipeline: .venv
	$(UV) run --no-sync python -m bench.pipeline

# The README's first command: all three taps into DuckDB through `meltano run`, no vendor account.
demo: .venv
	$(UV) run --no-sync python -m tools.demo

# docs/scaling-out.md: the shards of meltano.yml started together, their state in Postgres,
# one of them killed and resumed; and the Dagster example, in a virtual environment of its own,
# running one shard.
examples/dagster/.venv: examples/dagster/requirements.txt | $(UV)
	$(UV) venv --quiet --allow-existing --python 3.11 examples/dagster/.venv
	$(UV) pip install --quiet --python examples/dagster/.venv -r examples/dagster/requirements.txt
	@touch examples/dagster/.venv

scale-out: .venv examples/dagster/.venv
	REQUIRE_DAGSTER=1 $(UV) run --no-sync pytest -n 0 $(SCALE_OUT_TESTS)

# Every resilience scenario, with its table of figures (`make test` runs a fast subset).
chaos: .venv
	$(UV) run --no-sync python -m tests.chaos

# Rewrites the settings tables of the taps' READMEs (tap_*/README.md), the Meltano Hub
# definitions and meltano.yml's extractors from each tap's --about; tests fail when they drift.
docs: .venv
	$(UV) run --no-sync python -m tools.readme_table
	$(UV) run --no-sync python -m tools.plugin_definitions
	$(UV) run --no-sync python -m tools.personal_data_table

# The wheel and the sdist of the three taps, in dist/ (RELEASING.md).
dist: | $(UV)
	$(UV) build --out-dir dist

# The code every tap shares lives once in kit/; each tap holds an identical copy, so it can
# move to a repository of its own unchanged (tests/test_kit.py fails when a copy drifts).
kit:
	for tap in tap_aiokk tap_twin24 tap_alovoice; do \
		rm -rf "$$tap/kit" && mkdir "$$tap/kit" && cp kit/*.py "$$tap/kit/"; \
	done

clean:
	rm -rf .venv .venv-sdk-next .tools examples/dagster/.venv .pytest_cache .mypy_cache .ruff_cache .meltano dist
