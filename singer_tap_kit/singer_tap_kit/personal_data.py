"""Personal data: one setting keeps phone numbers, names and transcripts out of the warehouse.

A stream marks each field that holds personal data in its schema's description, with ``mark``:
the description then starts ``Personal data (<kind>)``, which the catalog, ``--about`` and the
docs show, and which ``fields_of`` reads back, so the mark and the masking cannot drift apart.

``personal_data`` (``keep``, ``hash`` or ``drop``) is carried out by the SDK's stream maps:
``stream_maps`` writes one map expression per marked field, merged into the user's own maps,
and ``install`` gives those expressions their one function, ``personal_data(record, field)``.
With ``keep`` (the default) nothing is added and the output is what it always was.

- ``hash``: phone numbers and names become keyed hashes (HMAC-SHA256 with
  ``personal_data_key``), still countable and joinable; text and recordings become null, or
  stay with ``personal_data_keep_text``. A plain hash would not do: there are only 10^10
  ten-digit numbers, and hashing them all takes minutes.
- ``drop``: every marked field is null.

A phone number is normalized before it is hashed (``normalize_phone``), so ``+7 (912) 345-67-89``,
``79123456789``, ``89123456789`` and ``9123456789`` give one hash in every tap and every run.
"""

from __future__ import annotations

import ast
import enum
import fnmatch
import hashlib
import hmac
import re
import typing as t
import unicodedata

from singer_sdk import typing as th

if t.TYPE_CHECKING:
    from singer_sdk.mapper import PluginMapper

MODE = "personal_data"
KEY = "personal_data_key"
KEEP_TEXT = "personal_data_keep_text"
KEEP, HASH, DROP = "keep", "hash", "drop"
#: The shortest key ``hash`` accepts: a short key can be guessed as a short password can.
MIN_KEY_LENGTH = 16
#: The function the map expressions call; the SDK's evaluator knows it once ``install`` ran.
FUNCTION = "personal_data"
#: The SDK's option of a map (or of ``stream_maps``) that leaves out what it does not name.
ELSE = "__else__"
NULLS = (None, "__NULL__")


class Kind(enum.Enum):
    """What a field holds, which decides what ``hash`` does to it."""

    PHONE = "phone number"
    NAME = "name"
    #: An id that names the client elsewhere (a CRM's): hashed as it is, trimmed.
    CLIENT_ID = "client id"
    TEXT = "text"
    RECORDING = "recording"

    @property
    def hashed(self) -> bool:
        """Whether ``hash`` keeps it as a keyed hash (else null, unless text is kept)."""
        return self in {Kind.PHONE, Kind.NAME, Kind.CLIENT_ID}

    @property
    def effect(self) -> str:
        """What each mode does to such a field, as the docs and descriptions say it."""
        if self is Kind.PHONE:
            return "hash: keyed hash of the normalized number; drop: null"
        if self is Kind.NAME:
            return "hash: keyed hash of the normalized name; drop: null"
        if self is Kind.CLIENT_ID:
            return "hash: keyed hash; drop: null"
        return f"hash: null unless {KEEP_TEXT}; drop: null"


_MARK = re.compile(r"^Personal data \((?P<kind>[a-z ]+)\)")


def mark(kind: Kind, description: str = "") -> str:
    """A field's description that says it holds personal data of this ``kind``."""
    text = f"Personal data ({kind.value}): {kind.effect}."
    return f"{text} {description}".rstrip()


def kind_of(description: str | None) -> Kind | None:
    """The kind a description made by ``mark`` names, or None for a field without the mark."""
    found = _MARK.match(description or "")
    return Kind(found["kind"]) if found else None


def fields_of(schema: t.Mapping[str, t.Any]) -> dict[str, Kind]:
    """The marked fields of a stream's JSON schema, with their kinds."""
    fields = {}
    for name, spec in (schema.get("properties") or {}).items():
        kind = kind_of(spec.get("description")) if isinstance(spec, dict) else None
        if kind is not None:
            fields[name] = kind
    return fields


def settings() -> list[th.Property[t.Any]]:
    """The three settings, the same in every tap."""
    return [
        th.Property(
            MODE,
            th.StringType,
            title="Personal data",
            default=KEEP,
            allowed_values=[KEEP, HASH, DROP],
            description="What to do with the fields that hold personal data (their "
            "descriptions start with 'Personal data'): keep them; hash phone numbers and "
            "names with personal_data_key and null text and recordings; or drop (null) them "
            "all. Applied by the SDK's stream maps, so not with batch_config.",
        ),
        th.Property(
            KEY,
            th.StringType,
            title="Personal data key",
            secret=True,
            description=f"The key of personal_data=hash, at least {MIN_KEY_LENGTH} "
            "characters (e.g. `openssl rand -hex 32`). The same key gives the same hash in "
            "every tap and run: keep it, and keep it secret, since with it a phone number's "
            "hash can be found by trying every number.",
        ),
        th.Property(
            KEEP_TEXT,
            th.BooleanType,
            title="Keep text with personal_data=hash",
            default=False,
            description="With personal_data=hash, keep transcripts, summaries and recording "
            "paths as they are instead of null.",
        ),
    ]


def setting_errors(config: t.Mapping[str, t.Any], *, batches: bool) -> list[str]:
    """What is wrong with the three settings together (their types are checked already);
    ``batches``: whether ``batch_config`` is set, whose records no stream map sees."""
    mode = config.get(MODE) or KEEP
    if mode == KEEP:
        return []
    if mode == HASH:
        key = str(config.get(KEY) or "").strip()
        if not key:
            return [
                f"{MODE}=hash needs {KEY}: set it to a long random secret (e.g. the output "
                "of `openssl rand -hex 32`), the same for every tap whose hashes should join"
            ]
        if len(key) < MIN_KEY_LENGTH:
            return [f"{KEY} is too short: use at least {MIN_KEY_LENGTH} random characters"]
    if batches:
        return [
            f"{MODE}={mode} is applied by stream maps, which the SDK does not apply to BATCH "
            f"messages: remove batch_config, or set {MODE} to keep"
        ]
    return []


def shows_values(config: t.Mapping[str, t.Any]) -> bool:
    """Whether a log line may quote a vendor's value (a bad one, say): only with ``keep``, as
    with ``hash`` and ``drop`` it may be a phone number, a name or a line of a transcript."""
    return (config.get(MODE) or KEEP) == KEEP


def normalize_phone(value: str) -> str:
    """One spelling of a phone number: its digits, in international form.

    - Everything but the digits goes: ``+7 (912) 345-67-89`` is ``79123456789``.
    - 11 digits starting with 8 (the Russian and Kazakh trunk prefix): 8 becomes 7.
    - 10 digits (a Russian or Kazakh number without its country code): 7 comes first.
    - 9 digits (an Uzbek number without its country code): 998 comes first.
    - Anything else stays as its digits; a value without digits stays as it is, trimmed.
    """
    digits = "".join(char for char in value if char.isdigit() and char.isascii())
    if not digits:
        return value.strip()
    if len(digits) == 11 and digits.startswith("8"):
        return "7" + digits[1:]
    if len(digits) == 10:
        return "7" + digits
    if len(digits) == 9:
        return "998" + digits
    return digits


def normalize_name(value: str) -> str:
    """One spelling of a name: Unicode NFKC, case folded, Cyrillic yo as ye, single spaces."""
    text = unicodedata.normalize("NFKC", value).casefold().replace("\u0451", "\u0435")
    return " ".join(text.split())


def keyed_hash(key: str, kind: Kind, value: str) -> str:
    """HMAC-SHA256 of the normalized value, hex; phone numbers and names never collide."""
    if kind is Kind.PHONE:
        normal = normalize_phone(value)
    elif kind is Kind.NAME:
        normal = normalize_name(value)
    else:
        normal = value.strip()
    # A lone surrogate (a vendor's "\ud83d", an emoji cut in half) is written as it is, not
    # an error that would end the run that keep completes.
    message = f"{kind.name.lower()}:{normal}".encode("utf-8", "surrogatepass")
    return hmac.new(key.encode("utf-8", "surrogatepass"), message, hashlib.sha256).hexdigest()


class Masking:
    """What ``personal_data`` does to one value of a marked field, in the chosen mode."""

    def __init__(self, config: t.Mapping[str, t.Any]) -> None:
        self.mode = str(config.get(MODE) or KEEP)
        self.key = str(config.get(KEY) or "")
        self.keep_text = bool(config.get(KEEP_TEXT))

    def masked(self, kind: Kind) -> bool:
        """Whether the mode changes fields of this kind at all."""
        if self.mode == KEEP:
            return False
        return self.mode == DROP or kind.hashed or not self.keep_text

    def value(self, kind: Kind, value: t.Any) -> str | None:
        """The value the record carries instead of ``value``."""
        if self.mode == HASH and kind.hashed and value is not None and value != "":
            return keyed_hash(self.key, kind, str(value))
        if self.mode == HASH and not kind.hashed and self.keep_text:
            return t.cast("str | None", value)
        return None


def stream_maps(
    user_maps: t.Mapping[str, t.Any],
    fields: t.Mapping[str, t.Mapping[str, Kind]],
    masking: Masking,
) -> dict[str, t.Any]:
    """The user's ``stream_maps`` with an expression for every masked field of every stream.

    Every map sees the raw record, and the SDK lets the last map that names a stream (by name
    or by a wildcard) be its primary one. So each stream with personal data gets, at the end,
    a map of its own: the primary map the user's maps give it, with the expressions added
    (not for a field the map leaves out, with ``__else__: null`` or by mapping it to null).
    A map that copies a stream (``__source__``) gets them in its own place. With ``__else__:
    null`` at the top (streams without a map of their own are not synced), a stream without
    one gets none. A map's expression that reads a masked field into another one is refused
    (``ValueError``): every map sees the raw record.
    """
    result: dict[str, t.Any] = {}
    primary: dict[str, t.Any] = {}
    only_mapped = ELSE in user_maps and user_maps[ELSE] in NULLS
    for key, spec in user_maps.items():
        source = spec.get("__source__") if isinstance(spec, dict) else None
        if source is None:  # a primary map (perhaps renaming the stream with __alias__)
            for stream in fields:
                if stream == key or fnmatch.fnmatch(stream, key):
                    primary[stream] = spec
            if key not in fields:
                result[key] = spec
            continue
        matched = [name for name in fields if fnmatch.fnmatch(name, str(source))]
        if str(source) in fields:
            result[key] = _masked(spec, fields[str(source)], masking)
        elif any(_masked(spec, fields[name], masking) != spec for name in matched):
            msg = (
                f"stream_maps: the map {key!r} reads the streams matching {source!r}, which "
                f"{MODE} cannot mask; give it one stream's name as __source__"
            )
            raise ValueError(msg)
        else:
            result[key] = spec
    for stream, stream_fields in fields.items():
        if only_mapped and stream not in primary:
            continue  # the SDK does not sync it
        spec = primary.get(stream, {})
        if isinstance(spec, dict):
            spec = _masked(spec, stream_fields, masking)
        if spec or stream in primary:
            result[stream] = spec
    return result


def _masked(
    spec: t.Mapping[str, t.Any], stream_fields: t.Mapping[str, Kind], masking: Masking
) -> dict[str, t.Any]:
    """``spec`` with the expression of each masked field it passes on."""
    result = dict(spec)
    passes_all = spec.get(ELSE, "") not in NULLS
    masked = {field for field, kind in stream_fields.items() if masking.masked(kind)}
    for name, expression in spec.items():
        read = _names(expression) if name not in masked and not name.startswith("__") else set()
        if read & (masked | {"record", "_"}):
            msg = (
                f"stream_maps: {name!r} is computed from the raw record "
                f"({', '.join(sorted(read & (masked | {'record', '_'})))}), which {MODE}="
                f"{masking.mode} would let out unmasked: map the field itself, or set {MODE} "
                "to keep"
            )
            raise ValueError(msg)
    for field, kind in stream_fields.items():
        if field not in masked:
            continue
        if field in spec and spec[field] in NULLS:
            continue  # the user's map leaves the field out already
        if passes_all or field in spec:
            result[field] = f"{FUNCTION}(record, {field!r}, {kind.name!r})"
    return result


def _names(expression: t.Any) -> set[str]:
    """The names a map expression reads (none for a removed field or one that does not
    parse: the SDK says what is wrong with it)."""
    if not isinstance(expression, str) or expression in NULLS:
        return set()
    try:
        tree = ast.parse(expression)
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def install(mapper: PluginMapper, masking: Masking) -> None:
    """Give every custom map of ``mapper`` the function its expressions call.

    The SDK builds each map's evaluator with its own functions (md5, sha256, ...) and offers
    no hook to add one; ``expr_evaluator.functions`` is simpleeval's public dict of them.
    """

    def personal_data(record: t.Mapping[str, t.Any], field: str, kind: str) -> str | None:
        return masking.value(Kind[kind], record.get(field))

    for maps in mapper.stream_maps.values():
        for stream_map in maps:
            evaluator = getattr(stream_map, "expr_evaluator", None)
            if evaluator is not None:
                evaluator.functions[FUNCTION] = personal_data
