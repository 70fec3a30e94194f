"""The base of every tap: settings from anywhere, checked states, and one line for a failure.

A data engineer meets a tap through its settings, its state and its last line. Whatever they
get wrong (a setting misspelt or given as text, a state of another shape, a host that does not
answer), the tap says it in one ERROR line that names the cause and what to do, and exits 1: no
traceback, no second error line. ``--test`` that succeeds says so at INFO.

At the default level a run's log says what it does and how far it is, in as many lines for a
thousand calls as for ten: see ``logs``; the ``log_details`` setting brings the SDK's lines
back.
"""

from __future__ import annotations

import json
import logging
import os
import typing as t
from pathlib import Path, PurePath

import click
import requests
from singer_sdk import Tap
from singer_sdk.exceptions import ConfigValidationError, RetriableAPIError
from singer_sdk.mapper import PluginMapper
from singer_sdk.tap_base import CliTestOptionValue
from singer_sdk.typing import DEFAULT_JSONSCHEMA_VALIDATOR, extend_validator_with_defaults
from typing_extensions import override

from . import personal_data
from .logs import Progress, heartbeat, quiet_metrics, quiet_sync_lines
from .redaction import host_of, redact_secrets
from .retries import (
    ONE_LINE_FAILURES,
    describe_failure,
    retried_in_connection_test,
    without_generic_failure_line,
)
from .settings import (
    EXTRACTOR_NAME,
    LOG_DETAILS,
    batch_root,
    coerce,
    environment_config,
    unknown_settings,
    unknown_variable_lines,
    unknown_variables,
    variable_prefix,
)
from .state import StateError, check_shape, foreign_streams, unusable
from .stream import KitStream
from .writer import OneSchemaWriter

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream

# What ends a run, a --test or a discovery with one line and exit code 1.
# ctx.meta key: `--test=schema` was given (tap.cb_test), for `invoke` to act on.
SCHEMAS_ONLY = "call_analytics.schemas_only"
# ctx.meta key: the run's Progress, for `invoke` to log its totals once the sync is done.
PROGRESS = "call_analytics.progress"
RUN_ERRORS = (ConfigValidationError, StateError, *ONE_LINE_FAILURES)
# The request failures the SDK retries (the rest, such as an invalid URL, are not).
RETRIED = (
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
#: The warnings this process has logged: each is logged once, however often a tap is built.
SAID: set[tuple[str, str]] = set()


class KitTap(Tap):
    """A tap as a data engineer expects it to behave; subclasses name their own parts."""

    #: Old setting names and what replaced them, for the warning that names an unknown one.
    renamed_settings: t.ClassVar[dict[str, str]] = {}
    #: Each stream's SCHEMA once per run, not once per child sync (see ``writer``).
    message_writer_class = OneSchemaWriter
    #: Whether the streams' loggers have had their repeated sync lines filtered (``streams``).
    _sync_lines_quiet = False

    def __init__(
        self,
        *,
        config: dict[str, t.Any] | PurePath | str | list[PurePath | str] | None = None,
        parse_env_config: bool = False,
        name_unknown: bool = True,
        **kwargs: t.Any,
    ) -> None:
        """Take settings from the environment (see ``settings``), name the unknown ones (unless
        ``name_unknown`` is false) and read text as numbers, booleans or lists before the SDK
        checks them."""
        if isinstance(config, str | PurePath | list):  # files, as the SDK also takes them
            paths = config if isinstance(config, list) else [config]
            config = {}
            for path in paths:
                config |= json.loads(Path(path).read_text(encoding="utf-8"))
        if config is None or isinstance(config, dict):
            schema = self.settings_schema()
            settings = dict(config or {})
            if parse_env_config:
                prefix = self._env_var_prefix
                settings |= coerce(environment_config(schema, prefix), schema, text_lists=True)
            if name_unknown:
                dotenv = Path.cwd() / ".env" if parse_env_config else None
                for line in self.unknown_variable_warnings(settings, schema, dotenv):
                    self.warn_once(line)
                for line in unknown_settings(settings, schema, self.renamed_settings):
                    self.warn_once(line)
            config = _absolute_batch_root(coerce(settings, schema))
        super().__init__(config=config, parse_env_config=False, **kwargs)
        # Every stream, a child stream that makes no request too, logs a generic line when its
        # sync ends in an exception: dropped where all records end up, as the secrets filter is.
        for handler in logging.getLogger().handlers:
            if without_generic_failure_line not in handler.filters:
                handler.addFilter(without_generic_failure_line)
        # A log whose length does not grow with the data, unless `log_details` (see `logs`).
        quiet_metrics(self.metrics_logger, details=self.log_details)
        self.progress = Progress(self.logger)
        if isinstance(self.message_writer, OneSchemaWriter):
            self.message_writer.progress = self.progress
        context = click.get_current_context(silent=True)
        if context is not None:
            context.meta[PROGRESS] = self.progress

    @property
    def log_details(self) -> bool:
        """Whether the run logs what the SDK logs: every request's metrics, every child sync."""
        return bool(self.config.get(LOG_DETAILS))

    @property
    def streams(self) -> dict[str, Stream]:
        """The SDK's streams, whose loggers log their first sync lines only (see ``logs``)."""
        streams = super().streams
        if not self._sync_lines_quiet:
            self._sync_lines_quiet = True
            loggers = [self.logger.getChild(name) for name in streams]
            quiet_sync_lines(loggers, details=self.log_details)
        return streams

    @classmethod
    def warn_once(cls, line: str) -> None:
        """Log the WARNING ``line`` unless this process has: the CLI may build the tap twice in
        one process (``--discover`` does, to name a setting that breaks the streams)."""
        if (cls.name, line) not in SAID:
            SAID.add((cls.name, line))
            cls.logger.warning("%s", line)

    def unknown_variable_warnings(
        self, settings: t.Mapping[str, t.Any], schema: t.Mapping[str, t.Any], dotenv: Path | None
    ) -> list[str]:
        """The ``<TAP_NAME>_...`` variables of the process environment (and of ``dotenv``)
        that name no setting, with the closest one; read whether or not ``--config=ENV`` is
        used, as Meltano passes them through as they are. Under Meltano, the variables of the
        extractor it runs (``TAP_AIOKK_SALES_...`` for one that inherits from tap-aiokk) too."""
        prefixes = {self._env_var_prefix: self.name}
        if plugin := os.environ.get(EXTRACTOR_NAME):
            prefixes.setdefault(variable_prefix(plugin), plugin)
        lines = []
        for prefix, owner in prefixes.items():
            longer = [other for other in prefixes if other != prefix and other.startswith(prefix)]
            found = [
                variable
                for variable in unknown_variables(schema, prefix, os.environ, dotenv, settings)
                if not variable.startswith(tuple(longer))
            ]
            lines += unknown_variable_lines(schema, prefix, owner, found, self.renamed_settings)
        return lines

    @classmethod
    def settings_schema(cls) -> dict[str, t.Any]:
        """The tap's settings and the SDK's built-in ones (stream_maps, batch_config, ...)."""
        schema = cls.config_jsonschema
        cls.append_builtin_config(schema)
        return schema

    def setting_errors(self, config: t.Mapping[str, t.Any]) -> list[str]:  # noqa: ARG002 (a hook)
        """What JSON Schema cannot say about the settings; checked once their types are right."""
        return []

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """Mask secrets before anything can log them, then check the settings.

        A private SDK method, overridden because the SDK has no public hook that runs once the
        settings are known and before anything logs them; ``tests/test_kit.py`` fails when its
        signature changes. Its own version also logs a WARNING before the error, which the
        one-line failure makes redundant.
        """
        redact_secrets(self.config, self.config_jsonschema)
        schema = self.settings_schema()
        # The SDK's validator, which fills in each setting's default as it checks.
        validator = extend_validator_with_defaults(DEFAULT_JSONSCHEMA_VALIDATOR)(schema)
        errors = [
            ".".join(str(part) for part in error.path) + ": " + error.message
            if error.path
            else error.message
            for error in validator.iter_errors(self._config)
        ]
        if not errors:
            errors = self.setting_errors(self.config)
            batches = self.config.get("batch_config") is not None
            errors += personal_data.setting_errors(self.config, batches=batches)
        if errors and raise_errors:
            raise ConfigValidationError("Config validation failed", errors=errors)
        return errors

    def personal_fields(self) -> dict[str, dict[str, personal_data.Kind]]:
        """The fields each stream marks as personal data (``personal_data.mark``) and the
        catalog selects: a map's expression for a field left out would put it back."""
        fields = {
            name: {
                field: kind
                for field, kind in personal_data.fields_of(stream.schema).items()
                if stream.mask.get(("properties", field), True)
            }
            for name, stream in self.streams.items()
        }
        return {name: found for name, found in fields.items() if found}

    @override
    def setup_mapper(self) -> None:
        """The SDK's mapper, with the maps of ``personal_data`` merged into the user's
        ``stream_maps`` (see ``personal_data``); with ``keep``, the SDK's mapper as it is."""
        masking = personal_data.Masking(self.config)
        fields = self.personal_fields()
        if not any(masking.masked(kind) for found in fields.values() for kind in found.values()):
            super().setup_mapper()
            return
        # Checked again here: a tap built with validate_config=False must not hash with no key.
        batches = self.config.get("batch_config") is not None
        errors = personal_data.setting_errors(self.config, batches=batches)
        try:
            user_maps = self.config.get("stream_maps") or {}
            maps = personal_data.stream_maps(user_maps, fields, masking)
        except ValueError as exc:
            errors.append(str(exc))
        if errors:
            raise ConfigValidationError("Config validation failed", errors=errors)
        self.mapper = PluginMapper(
            plugin_config={**self.config, "stream_maps": maps}, logger=self.logger
        )
        self.mapper.register_raw_streams_from_catalog(self.catalog)
        personal_data.install(self.mapper, masking)

    def state_errors(self, state: t.Mapping[str, t.Any]) -> list[str]:  # noqa: ARG002 (a hook)
        """What is wrong with this tap's own bookmarks in a state of the right shape: reasons,
        such as ``the calls bookmark 'x' is not a date-time``; the first ends the run."""
        return []

    def load_state(self, state: dict[str, t.Any]) -> None:
        """Check the state first (see ``state``): one clear line for one that cannot be used."""
        check_shape(state)
        problems = self.state_errors(state)
        if problems:
            raise unusable(problems[0])
        foreign = foreign_streams(state, self.streams) if state.get("bookmarks") else []
        if foreign:
            self.logger.warning(
                "the state holds bookmarks only for %s, which %s does not have (was it written "
                "by another tap?); this run starts from scratch",
                ", ".join(foreign),
                self.name,
            )
        super().load_state(state)

    @classmethod
    def describe_request(cls, request: requests.PreparedRequest | None) -> str:  # noqa: ARG003
        """What a request asked for, in a few words and never with a secret."""
        return f"{cls.name} request"

    def prepare_connection_test(self) -> None:
        """Tell each stream that it runs a connection test (see
        ``KitStream.testing_connection``): a dead host is said in seconds, not after retries.

        ``cb_test`` calls it before the SDK's ``run_connection_test``, which cannot be
        overridden (it is final); a tap that makes requests of its own extends it.
        """
        for stream in self.streams.values():
            if isinstance(stream, KitStream):
                stream.testing_connection = True

    @classmethod
    def failure_line(cls, exception: BaseException, *, testing_connection: bool = False) -> str:
        """The run's last line for a failure that ends it (``testing_connection``: in a
        connection test, which tries fewer failures again)."""
        if isinstance(exception, ConfigValidationError):
            return (
                f"invalid settings: {'; '.join(exception.errors) or exception}. Fix them in "
                f"meltano.yml, .env or the config file (`{cls.name} --about` lists them)"
            )
        if isinstance(exception, RetriableAPIError):
            return f"{exception} (retries exhausted)"
        if isinstance(exception, requests.RequestException):
            request = exception.request
            host = host_of(getattr(request, "url", None))
            where = cls.describe_request(t.cast("requests.PreparedRequest | None", request))
            retried = isinstance(exception, RETRIED) and (
                not testing_connection or retried_in_connection_test(exception)
            )
            retries = " (retries exhausted)" if retried else ""
            return f"{where}{f' at {host}' if host else ''}: {describe_failure(exception)}{retries}"
        return str(exception)

    @classmethod
    def fail(cls, message: str) -> t.NoReturn:
        """End the process with one ERROR line and exit code 1."""
        cls.logger.error("%s", message)
        raise SystemExit(1)

    @classmethod
    def invoke(cls, *args: t.Any, **kwargs: t.Any) -> None:
        """Run a sync, with a progress line every 30 s of it (``logs.heartbeat``); end any
        failure a user can act on with one line and exit code 1."""
        try:
            context = click.get_current_context(silent=True)
            if context is not None and context.meta.get(SCHEMAS_ONLY):
                cls.write_catalog_schemas(kwargs.get("config"), kwargs.get("catalog"))
                return

            def find() -> Progress | None:
                progress = context.meta.get(PROGRESS) if context is not None else None
                return progress if isinstance(progress, Progress) else None

            with heartbeat(find):
                super().invoke(*args, **kwargs)
            progress = find()
            if progress is not None:
                cls.logger.info("%s", progress.summary())
        except RUN_ERRORS as exc:
            cls.fail(cls.failure_line(exc))

    @classmethod
    def write_catalog_schemas(cls, config: t.Any, catalog: t.IO[str] | None) -> None:
        """``--test=schema``: every stream's SCHEMA message, no request, no record.

        With a ``--catalog`` (Meltano always gives one) the schemas are the catalog's, as in a
        sync, so a target that creates its tables from them creates the column types the syncs
        write (meltano.yml's `schema` extras included). Creating the tables this way, once
        before shards that load into them in parallel, keeps their loaders from racing to
        create the same table (README, "Scaling out").
        """
        tap = cls(
            config=getattr(config, "config", None) or {},
            catalog=None if catalog is None else json.loads(catalog.read()),
            parse_env_config=bool(getattr(config, "parse_env", False)),
            validate_config=True,
        )
        tap.write_schemas()

    @override
    @classmethod
    def cb_discover(cls, ctx: click.Context, param: click.Option, value: bool) -> None:
        """The SDK's ``--discover``, ending a setting that breaks it with one line, not a
        traceback. Settings are not required for a catalog, so they are checked only when
        one of the wrong type stops the streams from being built."""
        if not value:
            return
        given = ctx.params.get("config")
        settings = dict(getattr(given, "config", None) or {})
        parse_env = bool(getattr(given, "parse_env", False))
        # Meltano runs a discovery before each run of the tap, in a process of its own, and
        # shows its log: the run names an unknown setting or variable, the discovery need not.
        name_unknown = EXTRACTOR_NAME not in os.environ
        try:
            cls(
                config=settings,
                parse_env_config=parse_env,
                validate_config=False,
                setup_mapper=False,
                name_unknown=name_unknown,
            ).run_discovery()
        except RUN_ERRORS as exc:
            cls.fail(cls.failure_line(exc))
        except (ValueError, TypeError, KeyError):
            try:  # the same settings, checked: the error names the setting
                cls(
                    config=settings,
                    parse_env_config=parse_env,
                    validate_config=True,
                    setup_mapper=False,
                    name_unknown=name_unknown,
                )
            except RUN_ERRORS as exc:
                cls.fail(cls.failure_line(exc))
            raise
        ctx.exit()

    @override
    @classmethod
    def cb_test(cls, ctx: click.Context, param: click.Option, value: str) -> None:
        """The SDK's ``--test``, ending like a sync does: one line for a failure, exit code 1,
        and an INFO line, not an error, when every stream read its first record.

        The SDK runs it while it parses the arguments, before ``invoke``. ``--test=schema`` is
        left to ``invoke`` (see there).
        """
        if value == CliTestOptionValue.Disabled.value:
            return
        if value == CliTestOptionValue.Schema.value:
            # Left to `invoke`, which runs once every option is read: the catalog may come
            # after --test on the command line (Meltano puts it there).
            ctx.meta[SCHEMAS_ONLY] = True
            return
        given = ctx.params.get("config")
        try:
            tap = cls(
                config=dict(getattr(given, "config", None) or {}),
                parse_env_config=bool(getattr(given, "parse_env", False)),
                validate_config=True,
            )
            tap.prepare_connection_test()
            tap.run_connection_test()
            cls.logger.info("Connection test passed: each stream read its first record")
        except RUN_ERRORS as exc:
            cls.fail(cls.failure_line(exc, testing_connection=True))
        ctx.exit()


def _absolute_batch_root(config: dict[str, t.Any]) -> dict[str, t.Any]:
    """``config`` with a relative ``batch_config.storage.root`` made absolute (see
    ``settings.batch_root``), so that the batch files land in the Meltano project."""
    batch = config.get("batch_config")
    if not isinstance(batch, dict) or not isinstance(batch.get("storage"), dict):
        return config
    storage: dict[str, t.Any] = batch["storage"]
    root = storage.get("root")
    if not isinstance(root, str) or not root:
        return config
    absolute = batch_root(root)
    if absolute == root:
        return config
    return config | {"batch_config": batch | {"storage": storage | {"root": absolute}}}
