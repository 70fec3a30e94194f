"""JSON schemas of the twin24 streams, in the SDK's typing helpers.

Call columns keep twin24's own field names, so its documentation explains them.
"""

from __future__ import annotations

from singer_sdk import typing as th

from singer_tap_kit.personal_data import Kind, mark

_UTC = "RFC 3339, UTC."

CALL = th.PropertiesList(
    th.Property("id", th.StringType, required=True, description="Call id (uuid)."),
    th.Property("createdAt", th.DateTimeType, description=f"When the call was created. {_UTC}"),
    th.Property(
        "updatedAt", th.DateTimeType, description=f"When anything about it last changed. {_UTC}"
    ),
    th.Property("startedAt", th.DateTimeType, description=f"When dialling started. {_UTC}"),
    th.Property("status", th.StringType, description="Telephony result, e.g. ANSWERED, BUSY."),
    th.Property("isFinished", th.BooleanType, description="False while more attempts follow."),
    th.Property("duration", th.IntegerType, description="Dialog length, seconds."),
    th.Property("botDuration", th.IntegerType, description="Seconds the robot talked."),
    th.Property("operatorDuration", th.IntegerType, description="Seconds an operator talked."),
    th.Property("price", th.NumberType, description="Cost of the call (twin24 sends a string)."),
    th.Property("taskId", th.StringType, description="Call task (campaign) id."),
    th.Property("taskName", th.StringType),
    th.Property("botId", th.StringType),
    th.Property("botName", th.StringType),
    th.Property("dialogId", th.StringType),
    th.Property("phone", th.StringType, description=mark(Kind.PHONE, "Client's phone number.")),
    th.Property("shortNumber", th.StringType, description="Short number, for SIP telephony."),
    th.Property("regionId", th.IntegerType, description="Region of the client's number."),
    th.Property("timezone", th.IntegerType, description="UTC offset of the client's number, h."),
    th.Property("responder", th.StringType, description="Human or AnsweringMachine."),
    th.Property("transferredToOperator", th.BooleanType),
    th.Property("dialogResults", th.StringType, description="The script's confirmation result."),
    th.Property("nps", th.StringType, description="The script's NPS result."),
    th.Property(
        "messagesAsString", th.StringType, description=mark(Kind.TEXT, "The whole transcript.")
    ),
    th.Property("recordPath", th.StringType, description=mark(Kind.RECORDING, "URL of the audio.")),
    th.Property("linkToLog", th.StringType),
    th.Property("externalId", th.StringType, description=mark(Kind.CLIENT_ID, "Given at upload.")),
    th.Property(
        "additional", th.StringType, description=mark(Kind.TEXT, "Client info given at upload.")
    ),
).to_dict()

CALL_MESSAGE = th.PropertiesList(
    th.Property("call_id", th.StringType, required=True),
    th.Property("position", th.IntegerType, required=True, description="1 for the first line."),
    th.Property("author", th.StringType, description="robot or user."),
    th.Property("text", th.StringType, description=mark(Kind.TEXT, "What was said.")),
    th.Property("created_at", th.DateTimeType, description=f"When the line was spoken. {_UTC}"),
    th.Property("call_updated_at", th.DateTimeType, description=f"The call's updatedAt. {_UTC}"),
).to_dict()

TASK = th.PropertiesList(
    th.Property("id", th.StringType, required=True, description="Call task (campaign) id."),
    th.Property("name", th.StringType),
    th.Property("botId", th.StringType),
    th.Property("status", th.StringType),
    th.Property("createdAt", th.DateTimeType, description=_UTC),
    th.Property("updatedAt", th.DateTimeType, description=_UTC),
).to_dict()
