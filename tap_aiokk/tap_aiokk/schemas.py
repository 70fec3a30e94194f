"""JSON schemas of the three aiokk streams, in the SDK's typing helpers."""

from __future__ import annotations

from singer_sdk import typing as th

from singer_tap_kit.personal_data import Kind, mark

_TIMESTAMP = "RFC 3339, UTC."


def json_list(description: str) -> th.CustomType:
    """A list declared without ``items``: target-postgres makes such a column ``jsonb``, with
    ``items`` an array type (``jsonb[]``, ``text[]``) that COPY, SQL's JSON functions and most
    BI tools cannot read. The catalog is the tap's own, so this holds with any loader's
    defaults and in any project (Meltano's ``schema`` extra is dropped by ``add --from-ref``).
    """
    return th.CustomType({"type": ["array", "null"], "description": description})


DIALOG = th.PropertiesList(
    th.Property("dialog_id", th.IntegerType, required=True, description="call.dialogId"),
    th.Property("created_at", th.DateTimeType, description=f"call.created_at. {_TIMESTAMP}"),
    th.Property("call_date", th.DateTimeType, description=f"call.date. {_TIMESTAMP}"),
    th.Property(
        "caller_id", th.StringType, description=mark(Kind.PHONE, "call.callerId, as displayed.")
    ),
    th.Property(
        "caller_id_clean",
        th.StringType,
        description=mark(Kind.PHONE, "call.callerIdClean, digits."),
    ),
    th.Property(
        "call_type",
        th.IntegerType,
        description="1 outgoing, 2 incoming, 3 incoming with redirection, 4 callback",
    ),
    th.Property("duration_sec", th.IntegerType),
    th.Property("duration_min", th.IntegerType),
    th.Property("operator_id", th.IntegerType),
    th.Property("operator_name", th.StringType, description=mark(Kind.NAME, "operator.fullName.")),
    th.Property("operator_extension", th.IntegerType, description="operator.intNum"),
    th.Property("department_id", th.StringType, description="operator.departmentId"),
    th.Property("department_name", th.StringType),
    th.Property("analysis_status", th.IntegerType, description="analytics.status"),
    th.Property("price", th.NumberType, description="analytics.price"),
    th.Property(
        "finished_at",
        th.DateTimeType,
        description=f"analytics.finishDate, read in the `timezone` setting. {_TIMESTAMP}",
    ),
    th.Property("summary", th.StringType, description=mark(Kind.TEXT, "analytics.summary.")),
    th.Property("languages", json_list("Language codes, as a list of text")),
    th.Property("client_loyalty_grade", th.IntegerType, description="1..10"),
    th.Property("client_loyalty_description", th.StringType),
    th.Property("client_loyalty_recommendation", th.StringType),
    th.Property("evaluation_id", th.IntegerType, description="Criteria set (question pack) id"),
    th.Property("evaluation_title", th.StringType),
    th.Property("evaluation_grade", th.IntegerType, description="eCurrentGrade"),
    th.Property("evaluation_max_grade", th.IntegerType),
    th.Property("evaluation_recommendation", th.StringType),
    th.Property(
        "criteria",
        json_list("criterion1..N of the criteria set, as a list of {number, description, mark}"),
    ),
    th.Property("signals_title", th.StringType, description="Signal package title"),
    th.Property("signals_count", th.IntegerType),
    th.Property(
        "mentioned_signals",
        json_list("signals.mentionedSignals, split into a list of text"),
    ),
    th.Property("markers", json_list("Undocumented by aiokk")),
).to_dict()

DIALOG_CRITERION = th.PropertiesList(
    th.Property("dialog_id", th.IntegerType, required=True),
    th.Property("number", th.IntegerType, required=True, description="N of criterionN"),
    th.Property("evaluation_id", th.IntegerType),
    th.Property("description", th.StringType),
    th.Property("mark", th.IntegerType),
    th.Property("finished_at", th.DateTimeType, description=f"The dialog's. {_TIMESTAMP}"),
).to_dict()

DIALOG_SIGNAL = th.PropertiesList(
    th.Property("dialog_id", th.IntegerType, required=True),
    th.Property("position", th.IntegerType, required=True, description="1-based, as listed"),
    th.Property("signal", th.StringType),
    th.Property("signals_title", th.StringType),
    th.Property("finished_at", th.DateTimeType, description=f"The dialog's. {_TIMESTAMP}"),
).to_dict()
