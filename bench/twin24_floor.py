"""The floor for tap-twin24's speed: the same export with plain requests and json, no SDK.

It logs in, reads the range in day windows of 1,000-row pages sorted by updatedAt, converts
each call the way the tap does (UTC timestamps, price as a number, one row per transcript
line) and writes the same Singer RECORD lines to stdout. It knows nothing of retries, caps,
state or schemas: it is the least work any tap must do, not a tap.

    python -m bench.twin24_floor AUTH_URL API_URL EMAIL PASSWORD START END
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta

import requests

FIELDS = (
    "id,createdAt,updatedAt,startedAt,duration,regionId,timezone,botDuration,operatorDuration,"
    "transferredToOperator,isFinished,price,dialogId,phone,taskId,taskName,botId,botName,status,"
    "responder,shortNumber,linkToLog,recordPath,externalId,additional,dialogResults,nps,"
    "messagesAsString,messages"
)
PAGE = 1000
SEPARATORS = (",", ":")  # compact, like the SDK's writer


def utc(value: str | None) -> str | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def main(argv: list[str]) -> None:
    auth_url, api_url, email, password, start, end = argv
    session = requests.Session()
    credentials = {"email": email, "password": password}
    login = session.post(f"{auth_url}/api/v1/auth/login", json=credentials)
    session.headers["Authorization"] = f"Bearer {login.json()['token']}"
    write = sys.stdout.write
    moment, finish = datetime.fromisoformat(start), datetime.fromisoformat(end)
    while moment < finish:
        upto = min(moment + timedelta(days=1), finish)
        offset = 0
        while True:
            params: dict[str, str | int] = {
                "fields": FIELDS,
                "filterPeriodBy": "updatedAt",
                "from": moment.isoformat(),
                "to": upto.isoformat(),
                "sort": "updatedAt",
                "limit": PAGE,
                "offset": offset,
            }
            items = session.get(f"{api_url}/api/v1/search/cis/calls", params=params).json()["items"]
            for item in items:
                messages = item.pop("messages", None) or []
                for name in ("createdAt", "updatedAt", "startedAt"):
                    item[name] = utc(item.get(name))
                item["price"] = float(item["price"]) if item.get("price") else None
                record = {"type": "RECORD", "stream": "calls", "record": item}
                write(json.dumps(record, ensure_ascii=False, separators=SEPARATORS) + "\n")
                for position, line in enumerate(messages, start=1):
                    row = {
                        "call_id": item["id"],
                        "position": position,
                        "author": line.get("author"),
                        "text": line.get("text"),
                        "created_at": utc(line.get("created_at")),
                        "call_updated_at": item["updatedAt"],
                    }
                    message = {"type": "RECORD", "stream": "call_messages", "record": row}
                    write(json.dumps(message, ensure_ascii=False, separators=SEPARATORS) + "\n")
            if len(items) < PAGE:
                break
            offset += PAGE
        moment = upto


if __name__ == "__main__":
    main(sys.argv[1:7])
