# Everything a newcomer or CI needs, from a fresh clone.
SHELL := /bin/bash
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)

SDK_NEXT := 0.55.0b7

.PHONY: test test-slow test-sdk-next lint typecheck pytest bench bench-pipeline chaos demo docs dist lock clean scale-out

# The workspace's members (pyproject.toml): the shared library, the three taps, the emulator.
# Each is a distribution of its own in its folder, with its package and its tests.
LIBRARY := singer_tap_kit
TAPS := tap_aiokk tap_twin24 tap_alovoice
MEMBERS := $(LIBRARY) $(TAPS) emulator
MEMBER_FILES := $(addsuffix /pyproject.toml,$(MEMBERS))

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
# Then every member of the workspace, editable, without dependencies (the lock holds them).
.venv: pyproject.toml $(MEMBER_FILES) requirements.lock | $(UV)
	$(UV) venv --quiet --allow-existing .venv
	$(UV) pip sync --quiet --python .venv --reinstall-package python-backoff requirements.lock
	$(UV) pip install --quiet --python .venv --no-deps $(addprefix -e ,$(MEMBERS))
	@touch .venv

# Every member's dependencies and every group, without the members themselves (`make .venv`
# installs them editable).
lock: | $(UV)
	$(UV) lock
	$(UV) export --quiet --format requirements-txt --all-packages --all-groups --no-hashes \
		--no-emit-workspace --no-header --output-file requirements.lock
	for input in plugins/loaders/*.in transform/requirements/*.in examples/dagster/requirements.in; do \
		$(UV) pip compile --quiet --python-version 3.11 --no-header --no-annotate \
			"$$input" --output-file "$${input%.in}.txt"; \
	done
	$(MAKE) .venv
	$(UV) run --no-sync python -m tools.pins

lint: .venv
	$(UV) run --no-sync ruff check .
	$(UV) run --no-sync ruff format --check .

# One run per member (each member's tests/ is a folder of top-level test modules, and two taps
# have a test_cli.py each), then the root: its tests, the harness, the tools and the benchmarks.
typecheck: .venv
	for member in $(MEMBERS); do $(UV) run --no-sync mypy "$$member" || exit 1; done
	$(UV) run --no-sync mypy conftest.py tests harness bench tools

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
SDK_NEXT_TESTS := tests/test_kit.py tests/test_kit_connection_failures.py tests/test_kit_logs.py \
	tests/test_kit_settings.py tests/test_user_input.py tests/test_installed_modules.py \
	singer_tap_kit/tests tap_aiokk/tests/test_cli.py tap_twin24/tests/test_cli.py \
	tap_alovoice/tests/test_cli.py tap_aiokk/tests/test_errors.py tap_twin24/tests/test_errors.py \
	tap_alovoice/tests/test_errors.py tap_alovoice/tests/test_pipeline.py \
	tap_alovoice/tests/test_timing.py tap_aiokk/tests/test_bookmark.py \
	tap_aiokk/tests/test_body.py tap_aiokk/tests/test_pagination.py \
	tap_twin24/tests/test_bookmark.py tap_twin24/tests/test_pagination.py \
	tap_twin24/tests/test_auth.py tap_twin24/tests/test_windows.py \
	tap_alovoice/tests/test_lifecycle.py tap_alovoice/tests/test_ledger.py \
	tap_alovoice/tests/test_schedule.py
.venv-sdk-next: pyproject.toml $(MEMBER_FILES) requirements.lock Makefile | $(UV)
	$(UV) venv --quiet --allow-existing .venv-sdk-next
	grep -v '^singer-sdk==' requirements.lock > .venv-sdk-next/requirements.txt
	$(UV) pip sync --quiet --python .venv-sdk-next --reinstall-package python-backoff \
		.venv-sdk-next/requirements.txt
	$(UV) pip install --quiet --python .venv-sdk-next "singer-sdk[msgspec]==$(SDK_NEXT)"
	$(UV) pip install --quiet --python .venv-sdk-next --no-deps $(addprefix -e ,$(MEMBERS))
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
# definitions (tap_*/meltano-hub.yml), the extractors meltano.yml includes
# (meltano/extractors.meltano.yml) and the personal-data tables from each tap's --about and
# catalog; tests fail when they drift.
docs: .venv
	$(UV) run --no-sync python -m tools.readme_table
	$(UV) run --no-sync python -m tools.plugin_definitions
	$(UV) run --no-sync python -m tools.personal_data_table

# A wheel and an sdist of each member in dist/: the library, each tap, the emulator
# (RELEASING.md; the emulator is not published).
dist: | $(UV)
	$(UV) build --all-packages --out-dir dist

clean:
	rm -rf .venv .venv-sdk-next .tools examples/dagster/.venv .pytest_cache .mypy_cache .ruff_cache .meltano dist
