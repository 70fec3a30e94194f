"""JSON schemas of the three alovoice streams, in the SDK's typing helpers."""

from __future__ import annotations

from singer_sdk import typing as th

from singer_tap_kit.personal_data import Kind, mark

_COLLECTED = th.Property(
    "collected_at",
    th.DateTimeType,
    required=True,
    description="When the tap saw the status this row shows. RFC 3339, UTC.",
)

ANALYSIS = th.PropertiesList(
    th.Property("call_id", th.StringType, required=True, description="The PBX's call id"),
    th.Property(
        "status",
        th.StringType,
        required=True,
        allowed_values=["done", "pending", "failed"],
        description="done: the result is in; pending: submitted, analysis not finished when "
        "the run ended; failed: alovoice does not know the call, or its analysis failed",
    ),
    th.Property("aicallid", th.StringType, description="alovoice's id of the analysis"),
    th.Property("begin_time", th.DateTimeType, description="begin_time. RFC 3339, UTC."),
    th.Property(
        "stereoaudio", th.StringType, description=mark(Kind.RECORDING, "The stereo recording.")
    ),
    th.Property("error", th.StringType, description="alovoice's text, for failed calls"),
    th.Property("fragment_count", th.IntegerType, description="Transcript fragments (stalk)"),
    th.Property("tag_count", th.IntegerType, description="Tags, matched or not"),
    _COLLECTED,
).to_dict()

FRAGMENT = th.PropertiesList(
    th.Property("fragment_id", th.StringType, required=True),
    th.Property("call_id", th.StringType, required=True),
    th.Property("position", th.IntegerType, required=True, description="1-based, as listed"),
    th.Property("begin_ms", th.IntegerType, description="Offset from the call's start"),
    th.Property("end_ms", th.IntegerType, description="Offset from the call's start"),
    th.Property("direction", th.StringType, description="operator or client"),
    th.Property("text", th.StringType, description=mark(Kind.TEXT, "What was said.")),
    _COLLECTED,
).to_dict()

TAG = th.PropertiesList(
    th.Property("call_id", th.StringType, required=True),
    th.Property("position", th.IntegerType, required=True, description="1-based, as listed"),
    th.Property("name", th.StringType, description="The rule's name"),
    th.Property("value", th.StringType, description="Empty when the rule did not match"),
    th.Property("matched", th.BooleanType, required=True, description="value is not empty"),
    th.Property("visible", th.BooleanType),
    th.Property("tag_type", th.StringType, description="e.g. rule"),
    th.Property("begin_ms", th.IntegerType, description="Of the matching fragment"),
    th.Property("end_ms", th.IntegerType, description="Of the matching fragment"),
    th.Property(
        "match_text", th.StringType, description=mark(Kind.TEXT, "The words that matched.")
    ),
    th.Property("fragment_id", th.StringType, description="The matching fragment"),
    _COLLECTED,
).to_dict()
