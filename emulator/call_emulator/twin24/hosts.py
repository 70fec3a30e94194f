"""The three twin24 hosts as Vendors: iam (auth), analyse (calls) and cis (call tasks).

On the real service these are three domains sharing one login, so a route asked of the wrong host
is a NestJS 404 ("Cannot GET /path"), and a token from iam is what analyse and cis check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..messages import JSON_TYPE, Request, Response
from .auth import BadRequestError, compact_json, nest_error, not_found
from .query import calls_query, paging

if TYPE_CHECKING:
    from .account import Twin24Account

CALLS_PATH = "/api/v1/search/cis/calls"
TASKS_PATH = "/api/v1/telephony/autoCall"
CAP_MESSAGE = "Maximum 50000 records per period"


class IamHost:
    def __init__(self, account: Twin24Account) -> None:
        self.account = account

    def handle(self, request: Request) -> Response:
        return self.account.auth.handle(request)


class _ApiHost:
    """A host with one GET route behind Bearer auth."""

    path = ""

    def __init__(self, account: Twin24Account) -> None:
        self.account = account

    def handle(self, request: Request) -> Response:
        if request.method != "GET" or (request.path.rstrip("/") or "/") != self.path:
            return not_found(request)
        if not self.account.auth.authorized(request):
            return nest_error(401, "Unauthorized")
        try:
            return self.serve(request)
        except BadRequestError as exc:
            return nest_error(400, exc.messages, "Bad Request")

    def serve(self, request: Request) -> Response:
        raise NotImplementedError


class AnalyseHost(_ApiHost):
    path = CALLS_PATH

    def serve(self, request: Request) -> Response:
        query = calls_query(request.query)
        page = self.account.page(query)
        if page is None:
            return nest_error(400, CAP_MESSAGE, "Bad Request")
        count, items = page
        body = f'{{"count":{count},"items":[{",".join(items)}]}}'
        return Response(200, body.encode("utf-8"), {"Content-Type": JSON_TYPE})


class CisHost(_ApiHost):
    path = TASKS_PATH

    def serve(self, request: Request) -> Response:
        limit, offset = paging(request.query)
        tasks = sorted(self.account.tasks, key=lambda t: (t.created, t.id))
        items = [task.as_json() for task in tasks[offset : offset + limit]]
        return compact_json({"count": len(tasks), "items": items})
