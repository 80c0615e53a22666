"""Who reaches the pipeline: organizers everything, hosts their own district (403 for
another's deal, also through the API), investors and teams nothing (403)."""

import re

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from expo.accounts.models import User
from expo.db import Database
from expo.pipeline.models import Deal
from tests.helpers import login_as, run, seed_demo, session_csrf


async def _deals(url: str) -> tuple[int, int, int]:
    db = Database(url)
    try:
        async with db.session() as session:
            host = await session.scalar(select(User).where(User.email == "host@expo.example"))
            own = await session.scalar(select(Deal.id).where(Deal.district_id == host.district_id).limit(1))
            other = await session.scalar(select(Deal.id).where(Deal.district_id != host.district_id).limit(1))
            return own, other, host.district_id
    finally:
        await db.close()


@pytest.fixture
def demo(client: TestClient, settings) -> tuple[TestClient, tuple[int, int, int]]:  # type: ignore[no-untyped-def]
    seed_demo(settings.database_url)
    return client, run(_deals(settings.database_url))


@pytest.mark.parametrize("role", ["investor", "team"])
def test_investors_and_teams_never_see_the_pipeline(role: str, demo) -> None:  # type: ignore[no-untyped-def]
    client, (own, _other, _district) = demo
    login_as(client, role)
    paths = ["/pipeline", f"/pipeline/deals/{own}", "/pipeline/numbers", "/api/pipeline/deals", "/api/pipeline/ranking"]
    assert {p: client.get(p, headers={"accept": "text/html"}).status_code for p in paths} == dict.fromkeys(paths, 403)


def test_a_host_sees_and_edits_only_their_district(demo) -> None:  # type: ignore[no-untyped-def]
    client, (own, other, district) = demo
    login_as(client, "host")
    token = session_csrf(client)
    assert client.get(f"/pipeline/deals/{own}").status_code == 200
    assert client.get(f"/pipeline/deals/{other}").status_code == 403
    moved = client.post(
        f"/pipeline/deals/{other}/next-action", data={"csrf_token": token, "text": "x", "due": "2027-01-01"}
    )
    assert moved.status_code == 403
    api = client.get("/api/pipeline/deals?limit=500").json()
    assert {d["district_id"] for d in api["deals"]} == {district}
    assert client.get(f"/api/pipeline/deals?district={district + 1}").status_code == 403
    board = client.get("/pipeline?district=1").text  # the parameter cannot widen a host's view
    assert f'/pipeline/deals/{other}"' not in board


def test_an_organizer_sees_every_district_and_the_stage_filter(demo) -> None:  # type: ignore[no-untyped-def]
    client, (_own, _other, _district) = demo
    login_as(client, "organizer")
    signed = client.get("/api/pipeline/deals?stage=signed&limit=500").json()
    assert signed["total"] == len(signed["deals"]) > 0
    assert {d["stage"] for d in signed["deals"]} == {"signed"}
    assert len({d["district_id"] for d in client.get("/api/pipeline/deals?limit=500").json()["deals"]}) == 7
    assert client.get("/api/pipeline/deals?stage=nonsense").status_code == 400
    assert client.get("/api/pipeline/ranking?month=2026-13").status_code == 400


def test_a_board_move_answers_json_refusals_and_the_second_mover_gets_409(demo) -> None:  # type: ignore[no-untyped-def]
    client, (own, _other, district) = demo
    login_as(client, "host")
    token = session_csrf(client)
    deal = next(d for d in client.get("/api/pipeline/deals?stage=target&status=active").json()["deals"])
    headers = {"accept": "application/json", "x-csrf-token": token}
    url = f"/pipeline/deals/{deal['id']}/stage"
    refused = client.post(url, data={"stage": "signed", "version": deal["version"]}, headers=headers)
    assert refused.status_code == 422
    assert {"reason", "countersigned"} <= {m["fact"] for m in refused.json()["error"]["missing"]}
    moved = client.post(url, data={"stage": "target", "version": deal["version"]}, headers=headers)
    assert moved.status_code == 422  # already there
    status = f"/pipeline/deals/{deal['id']}/status"
    first = client.post(
        status, data={"status": "dormant", "reason": "board", "version": deal["version"]}, headers=headers
    )
    assert first.status_code == 200 and first.json()["version"] == deal["version"] + 1
    second = client.post(status, data={"status": "delayed", "reason": "x", "version": deal["version"]}, headers=headers)
    assert second.status_code == 409
    body = second.json()["error"]
    assert (body["version"], body["status_now"]) == (deal["version"] + 1, "dormant")
    assert [c["kind"] for c in body["changes"]] == ["status"]
    page = client.post(
        status, data={"status": "delayed", "reason": "x", "version": deal["version"], "csrf_token": token}
    )
    assert page.status_code == 409 and "Someone changed this deal since you loaded it." in page.text


def test_accepting_a_meeting_outcome_proposal_is_one_click_with_the_stage_checks(demo) -> None:  # type: ignore[no-untyped-def]
    client, _ids = demo
    login_as(client, "organizer")
    token = session_csrf(client)
    board = client.get("/pipeline").text
    proposals = re.findall(r'action="/pipeline/proposals/(\d+)"', client.get(_first_proposal_deal(board)).text)
    assert proposals
    answer = client.post(f"/pipeline/proposals/{proposals[0]}?lang=en", data={"csrf_token": token, "action": "accept"})
    # to negotiating the demo deal has what it needs; to signed it lacks the countersigned agreement
    assert answer.status_code in (200, 422)
    if answer.status_code == 422:
        assert "countersigned agreement" in answer.text
    else:
        assert "from a meeting outcome" in answer.text


def _first_proposal_deal(board: str) -> str:
    section = board.split('id="proposals-h"', 1)[1]
    return re.search(r'href="(/pipeline/deals/\d+)"', section).group(1)
