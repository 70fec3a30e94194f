"""The twin24 emulator itself, over real HTTP: tokens, paging, the cap, periods and the seed."""

from __future__ import annotations

import base64
import json
import time
import typing as t
from datetime import timedelta

import pytest
import requests

from call_emulator.testing.fixture_files import fixture_json
from call_emulator.testing.twin24_support import TWIN24_PASSWORD, mount_twin24
from call_emulator.twin24 import Twin24Account
from call_emulator.twin24.status import STATUSES, UNFINISHED

if t.TYPE_CHECKING:
    from call_emulator import Emulator

CALLS = "/api/v1/search/cis/calls"
TASKS = "/api/v1/telephony/autoCall"
LOGIN = "/api/v1/auth/login"


class Client:
    """A logged-in caller of one mounted account."""

    def __init__(self, emulator: Emulator, account: Twin24Account, ttl: int = 3600) -> None:
        self.config = mount_twin24(emulator, account)
        self.login = requests.post(
            self.config["auth_url"] + LOGIN,
            json={"email": self.config["email"], "password": TWIN24_PASSWORD, "ttl": ttl},
            timeout=5,
        )
        self.token = self.login.json()["token"]

    def get(self, path: str, **params: t.Any) -> requests.Response:
        base = self.config["tasks_url" if path == TASKS else "api_url"]
        headers = {"Authorization": f"Bearer {self.token}"}
        return requests.get(base + path, params=params, headers=headers, timeout=10)

    def calls(self, **params: t.Any) -> dict[str, t.Any]:
        response = self.get(CALLS, **params)
        assert response.status_code == 200, response.text
        return t.cast("dict[str, t.Any]", response.json())


def claims(token: str) -> dict[str, t.Any]:
    payload = token.split(".")[1]
    return t.cast("dict[str, t.Any]", json.loads(base64.urlsafe_b64decode(payload + "==")))


def test_login_gives_a_jwt_with_exp_and_never_echoes_the_password(emulator: Emulator) -> None:
    account = Twin24Account(calls=10)
    client = Client(emulator, account, ttl=600)
    assert client.login.status_code in (200, 201)
    assert TWIN24_PASSWORD not in client.login.text
    header = json.loads(base64.urlsafe_b64decode(client.token.split(".")[0] + "=="))
    assert header == {"alg": "HS256", "typ": "JWT"}
    assert abs(claims(client.token)["exp"] - (time.time() + 600)) < 5
    assert client.calls(limit=1)["count"] == 10
    assert account.logins == 1
    wrong = {"email": client.config["email"], "password": "nope"}
    refused = requests.post(client.config["auth_url"] + LOGIN, json=wrong, timeout=5)
    assert refused.status_code == 401
    assert refused.json() == {
        "statusCode": 401,
        "message": "Invalid credentials",
        "error": "Unauthorized",
    }
    missing = requests.post(client.config["auth_url"] + LOGIN, json={}, timeout=5)
    assert missing.status_code == 400


def test_expired_forged_and_missing_tokens_get_401_and_refresh_renews(
    emulator: Emulator,
) -> None:
    account = Twin24Account(calls=10)
    account.max_token_ttl = 0.4
    client = Client(emulator, account)
    assert claims(client.token)["exp"] <= time.time() + 0.4
    assert client.get(CALLS).status_code == 200
    time.sleep(0.5)
    expired = client.get(CALLS)
    assert expired.status_code == 401
    assert expired.json() == {"statusCode": 401, "message": "Unauthorized"}
    head, payload, _ = client.token.split(".")
    client.token = f"{head}.{payload}.{'A' * 43}"
    assert client.get(TASKS).status_code == 401
    assert requests.get(client.config["api_url"] + CALLS, timeout=5).status_code == 401
    assert account.unauthorized == 3

    account.max_token_ttl = None
    refresh = client.login.json()["refreshToken"]
    url = client.config["auth_url"] + "/api/v1/auth/refresh"
    renewed = requests.post(url, json={"refreshToken": refresh}, timeout=5)
    client.token = renewed.json()["token"]
    assert client.get(CALLS).status_code == 200
    assert requests.post(url, json={"refreshToken": refresh}, timeout=5).status_code == 401
    assert account.refreshes == 1


def test_count_is_the_true_total_and_bad_paging_is_400(emulator: Emulator) -> None:
    client = Client(emulator, Twin24Account(calls=2500))
    pages = [client.calls(limit=1000, offset=offset) for offset in (0, 1000, 2000)]
    assert [page["count"] for page in pages] == [2500] * 3
    assert [len(page["items"]) for page in pages] == [1000, 1000, 500]
    assert len({item["id"] for page in pages for item in page["items"]}) == 2500
    assert client.calls(limit=500, page=5) == pages[2]  # offset (5 - 1) * 500
    for params in ({"limit": 1001}, {"limit": 0}, {"offset": -1}, {"limit": "x"}):
        response = client.get(CALLS, **params)
        assert response.status_code == 400, params
        assert response.json()["error"] == "Bad Request"


@pytest.mark.parametrize("mode", ["empty", "400"])
def test_the_50000_cap_answers_per_mode_and_is_counted(emulator: Emulator, mode: str) -> None:
    account = Twin24Account(calls=0, burst=51_000)
    account.cap_mode = mode
    client = Client(emulator, account)
    hour = account.burst_hour
    window = {"from": hour.isoformat(), "to": (hour + timedelta(hours=1)).isoformat()}
    assert len(client.calls(**window, limit=1000, offset=49_000)["items"]) == 1000
    past = client.get(CALLS, **window, limit=1000, offset=49_500)
    if mode == "empty":
        assert past.status_code == 200
        assert past.json() == {"count": 51_000, "items": []}
    else:
        assert past.status_code == 400
        assert past.json()["message"] == "Maximum 50000 records per period"
    assert (account.cap_hits, account.cap_losses, account.max_offset_seen) == (1, 1, 49_500)


def test_from_is_inclusive_and_to_exclusive_unless_told_otherwise(emulator: Emulator) -> None:
    account = Twin24Account(calls=300, second_burst=5)
    client = Client(emulator, account)
    second = account.second_at.isoformat()
    assert second.endswith("+00:00")
    on_the_second = {"from": second, "to": second, "filterPeriodBy": "updatedAt"}
    assert client.calls(**on_the_second)["count"] == 0
    assert client.calls(**on_the_second | {"to": second.replace("+00:00", ".5Z")})["count"] == 5
    account.inclusive_to = True
    assert client.calls(**on_the_second)["count"] == 5
    for bad in ("2025-03-02T12:30:00", "2025-03-02", "yesterday", "2025-03-02T12:30:00 00:00"):
        assert client.get(CALLS, **{"from": bad}).status_code == 400, bad


def test_ties_keep_one_order_and_fields_select_what_is_served(emulator: Emulator) -> None:
    account = Twin24Account(calls=0, second_burst=2400)
    client = Client(emulator, account)
    for sort in ("updatedAt", "-updatedAt", None):
        params = {"limit": 1000, "fields": "id,updatedAt"} | ({"sort": sort} if sort else {})
        pages = [client.calls(**params, offset=o)["items"] for o in (0, 1000, 2000)]
        again = [client.calls(**params, offset=o)["items"] for o in (0, 1000, 2000)]
        assert pages == again
        ids = [item["id"] for page in pages for item in page]
        assert len(set(ids)) == 2400
        assert all(set(item) == {"id", "updatedAt"} for page in pages for item in page)
    assert client.get(CALLS, fields="id,colour").status_code == 400


def test_items_look_like_the_vendors_and_every_status_appears(emulator: Emulator) -> None:
    account = Twin24Account(calls=3000)
    client = Client(emulator, account)
    seed_item = fixture_json("twin24_seed_calls.json")["items"][0]
    items = [i for o in range(0, 3000, 1000) for i in client.calls(limit=1000, offset=o)["items"]]
    assert {item["status"] for item in items} == set(STATUSES)
    for item in items:
        assert list(item)[: len(seed_item)] == list(seed_item)
        assert item["createdAt"] <= item["startedAt"] <= item["updatedAt"]
        assert item["isFinished"] is False or item["status"] not in UNFINISHED
        if item["responder"] is None:
            assert (item["duration"], item["messages"], item["price"]) == (0, [], "0.00")
        assert item == account.call(item["id"])
    assert sum(item["status"] == "ANSWERED" for item in items) > len(items) / 3


def test_update_moves_calls_past_every_updated_at(emulator: Emulator) -> None:
    account = Twin24Account(calls=1000)
    client = Client(emulator, account)
    end = account.end_moment()
    changed = account.update(0.05)
    assert len(changed) == 50
    after = client.calls(**{"from": end.isoformat(), "filterPeriodBy": "updatedAt"}, limit=100)
    assert sorted(item["id"] for item in after["items"]) == sorted(changed)
    assert set(account.truth(end)) == set(changed)


def test_tasks_page_and_match_the_calls(emulator: Emulator) -> None:
    account = Twin24Account(calls=500, tasks=7)
    client = Client(emulator, account)
    pages = [client.get(TASKS, limit=3, offset=o).json() for o in (0, 3, 6)]
    assert [page["count"] for page in pages] == [7, 7, 7]
    tasks = [task for page in pages for task in page["items"]]
    assert [len(page["items"]) for page in pages] == [3, 3, 1]
    assert {task["id"] for task in tasks} == set(account.task_ids())
    names = {task["id"]: task["name"] for task in tasks}
    assert all(names[item["taskId"]] == item["taskName"] for item in account.truth().values())
    assert client.get(TASKS, limit=1001).status_code == 400


def test_the_seed_account_serves_the_fixture_verbatim_and_hosts_keep_their_routes(
    emulator: Emulator,
) -> None:
    seed = fixture_json("twin24_seed_calls.json")
    client = Client(emulator, Twin24Account.from_items(seed))
    assert client.calls() == seed
    headers = {"Authorization": f"Bearer {client.token}"}
    wrong_host = requests.get(client.config["tasks_url"] + CALLS, headers=headers, timeout=5)
    assert wrong_host.status_code == 404
    assert wrong_host.json() == {
        "statusCode": 404,
        "message": f"Cannot GET {CALLS}",
        "error": "Not Found",
    }
