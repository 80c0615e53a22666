"""WHIP (RFC 9725) and WHEP signaling over HTTP: the fixed addresses any client can use.

``POST /pitches/{id}/whip`` (bearer token) and ``POST /pitches/{id}/whep`` take an SDP offer
(``application/sdp``) and answer ``201 Created`` with the SDP answer and the ``Location`` of
the session; ``DELETE`` on that location ends it; ``PATCH`` with
``application/trickle-ice-sdpfrag`` adds the client's candidates (204) or refuses an ICE
restart (422). CORS is open (``*``): tokens, not cookies, authorize a publisher. Problems are
answered as ``text/plain`` naming the problem (WHIP/WHEP clients are programs).
"""

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from expo import activity, agenda
from expo.accounts.roles import EVERYONE
from expo.agenda.models import PitchSession
from expo.db import utcnow
from expo.web.routing import route
from i18n import shipped
from streaming import pitches, turn, viewer_cap
from streaming.hub import ORIGINAL, Hub
from streaming.registry import registry
from streaming.sdp import HubError, check_offer, parse_trickle
from streaming.viewer_cap import ViewerCap

SDP = "application/sdp"
TRICKLE = "application/trickle-ice-sdpfrag"
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Location, Link, ETag, Accept-Patch, Retry-After",
}


def _problem(status: int, message: str, **headers: str) -> Response:
    return PlainTextResponse(message + "\n", status_code=status, headers={**CORS, **headers})


def _preflight(methods: str) -> Response:
    return Response(
        status_code=204,
        headers={
            **CORS,
            "Access-Control-Allow-Methods": methods,
            "Access-Control-Max-Age": "86400",
            "Access-Control-Allow-Headers": "Authorization, Content-Type, If-Match",
            "Accept-Post": SDP,
            "Accept-Patch": TRICKLE,
        },
    )


def ice_links(servers: tuple[Any, ...]) -> list[str]:
    """RFC 9725 section 4.6: ICE servers as ``Link: <url>; rel="ice-server"`` headers."""
    links = []
    for server in servers:
        urls = server["urls"] if isinstance(server["urls"], list) else [server["urls"]]
        for url in urls:
            link = f'<{url}>; rel="ice-server"'
            if server.get("username"):
                secret = server.get("credential", "")
                link += f'; username="{server["username"]}"; credential="{secret}"'
                link += '; credential-type="password"'
            links.append(link)
    return links


async def _offer(request: Request) -> str | Response:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != SDP:
        return _problem(415, f"send the offer as {SDP}")
    body = await request.body()
    if len(body) > 64 * 1024:
        return _problem(413, "the SDP offer is larger than 64 KiB")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return _problem(400, "malformed SDP: not UTF-8 text")


def _created(request: Request, kind: str, hub: Hub, peer_id: str, answer: str) -> Response:
    location = f"/pitches/{hub.pitch_id}/{kind}/{peer_id}"
    response = Response(
        answer,
        status_code=201,
        media_type=SDP,
        headers={**CORS, "Location": location, "ETag": f'"{peer_id}"', "Accept-Patch": TRICKLE},
    )
    user = request.state.user
    key = f"u{user.id}" if user is not None else f"{kind}-{peer_id}"
    for link in ice_links(tuple(turn.ice_servers(request.state.settings, key))):
        response.headers.append("Link", link)
    return response


async def whip(request: Request) -> Response:
    if request.method == "OPTIONS":
        return _preflight("POST, OPTIONS")
    pitch_id = request.path_params["pitch_id"]
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("bearer ") or not auth[7:].strip():
        return _problem(
            401,
            "a bearer token is required (the pitch's publisher token)",
            **{"WWW-Authenticate": 'Bearer realm="whip"'},
        )
    secret = request.state.settings.secret_key
    async with request.state.db.session() as session:
        pitch = await session.get(PitchSession, pitch_id)
        claim = await pitches.check_token(session, secret, auth[7:].strip())
    if claim is None:
        return _problem(
            401,
            "the bearer token is not valid",
            **{"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    if pitch is None:
        return _problem(404, "no such pitch")
    if claim.pitch_id != pitch_id:
        return _problem(403, "this token belongs to another pitch")
    if pitch.state == "ended":
        return _problem(409, "this pitch has ended")
    if not agenda.live.may_go_live(pitch, utcnow()):
        return _problem(
            409,
            "this pitch's slot has not started: it can go live 15 minutes before it,"
            " or earlier after a confirmed start early in the studio",
        )
    offer = await _offer(request)
    if isinstance(offer, Response):
        return offer
    hubs = registry(request.state)
    hub = await hubs.open(pitch_id)
    try:
        peer_id, answer = await hub.publish(offer, claim.language)
    except HubError as exc:
        return _problem(exc.status, exc.message)
    return _created(request, "whip", hub, peer_id, answer)


async def whep(request: Request) -> Response:
    if request.method == "OPTIONS":
        return _preflight("POST, OPTIONS")
    pitch_id = request.path_params["pitch_id"]
    auth = request.headers.get("authorization", "")
    bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
    async with request.state.db.session() as session:
        pitch = await session.get(PitchSession, pitch_id)
        token_ok = bool(bearer) and await pitches.valid_viewer_token(
            session, request.state.settings.secret_key, pitch_id, bearer
        )
    if pitch is None:
        return _problem(404, "no such pitch")
    if not (pitches.can_watch(request.state.user, pitch) or token_ok):
        return _problem(
            401,
            "this pitch is for registered visitors: sign in first, or send its viewer token (Authorization: Bearer …)",
            **{"WWW-Authenticate": 'Bearer realm="whep"'},
        )
    hub = registry(request.state).get(pitch_id)
    if hub is None or pitch.state == "ended":
        return _problem(409, "this pitch is not live", **{"Retry-After": "10"})
    offer = await _offer(request)
    if isinstance(offer, Response):
        return offer
    address = request.client.host if request.client else "?"
    anonymous = request.state.user is None
    cap = ViewerCap.of(request.state, registry(request.state).hubs)  # shared across processes
    place = await cap.take(address, pitch_id) if anonymous else None
    if anonymous and place is None:
        return _problem(
            429,
            f"at most {ANON_VIEWERS_PER_ADDRESS} anonymous viewer sessions per address; end one or sign in",
            **{"Retry-After": "30"},
        )
    language = shipped(request.query_params.get("language", "")[:35]) or ORIGINAL  # codes or BCP 47 tags
    language = language if language in hub.audio else ORIGINAL
    sfu = registry(request.state).sfu
    try:
        brokered = None
        if sfu is not None:  # large audiences: an SFU instance, else the hub itself (fallback)
            check_offer(offer, sending=False)
            brokered = await sfu.view(hub, offer, language)
        peer_id, answer = brokered or await hub.view(offer, language)
    except HubError as exc:
        if place is not None:
            await cap.seated(place, None)
        extra = {"Retry-After": "30"} if exc.status == 503 else {}
        return _problem(exc.status, exc.message, **extra)
    if anonymous and peer_id in hub.peers:
        hub.peers[peer_id].client = address
    if place is not None:
        await cap.seated(place, peer_id if peer_id in hub.peers else None)
    await _record_watch(request, pitch)
    return _created(request, "whep", hub, peer_id, answer)


async def _record_watch(request: Request, pitch: PitchSession) -> None:
    """``pitch.watched`` in the activity log (the organizer's figures read it)."""
    user = request.state.user
    async with request.state.db.session() as session:
        await activity.record(
            session,
            "pitch.watched",
            user_id=user.id if user is not None else None,
            district_id=pitch.district_id,
            team_id=pitch.team_id,
            subject_id=pitch.id,
            country=user.country if user is not None else "",
            data={"replay": False},
        )
        await session.commit()


ANON_VIEWERS_PER_ADDRESS = viewer_cap.PER_ADDRESS


async def _owns(request: Request, language: str) -> bool:
    """The bearer token of the request is the one that may publish this session."""
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        return False
    async with request.state.db.session() as session:
        claim = await pitches.check_token(session, request.state.settings.secret_key, auth[7:].strip())
    return claim is not None and claim.pitch_id == request.path_params["pitch_id"] and claim.language == language


async def session_resource(request: Request) -> Response:
    """``/pitches/{id}/whip/{session}`` and ``…/whep/{session}``: DELETE, PATCH, OPTIONS."""
    if request.method == "OPTIONS":
        return _preflight("PATCH, DELETE, OPTIONS")
    hub = registry(request.state).get(request.path_params["pitch_id"])
    peer_id = request.path_params["session"]
    kind = request.url.path.rsplit("/", 2)[-2]
    peer = hub.peers.get(peer_id) if hub else None
    if hub is None or peer is None or (peer.role == "viewer") != (kind == "whep"):
        return _problem(404, "no such session (it ended or never existed)")
    if kind == "whip" and not await _owns(request, peer.language):
        return _problem(
            401,
            "send the publisher's bearer token to end or change its session",
            **{"WWW-Authenticate": 'Bearer realm="whip"'},
        )
    if request.method == "DELETE":
        await hub.leave(peer_id)
        if kind == "whep":
            await ViewerCap.of(request.state, registry(request.state).hubs).gone(peer_id)
        return Response(status_code=200, headers=CORS)
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != TRICKLE:
        return _problem(415, f"PATCH takes {TRICKLE}")
    fragment = (await request.body()).decode("utf-8", "replace")
    try:
        ufrag, candidates = parse_trickle(fragment)
    except HubError as exc:
        return _problem(exc.status, exc.message)
    known = peer.remote.ufrag if peer.remote is not None else hub.remote_ufrag(peer_id)
    if ufrag is not None and ufrag != known:
        return _problem(422, "ICE restarts are not supported: start a new session")
    sfu = registry(request.state).sfu
    if peer.remote is not None and sfu is not None:
        await sfu.trickle(peer.remote, fragment)
    else:
        await hub.add_candidates(peer_id, candidates)
    return Response(status_code=204, headers=CORS)


async def whep_language(request: Request) -> Response:
    """``POST /pitches/{id}/whep/{session}/language`` ``{"language": "ja"}`` (or "" for the
    original): switch the audio this viewer receives, without renegotiating."""
    if request.method == "OPTIONS":
        return _preflight("POST, OPTIONS")
    hub = registry(request.state).get(request.path_params["pitch_id"])
    try:
        language = json.loads(await request.body())["language"]
    except (ValueError, KeyError, TypeError):
        return _problem(400, 'send {"language": "<code>"} as JSON')
    peer = hub.peers.get(request.path_params["session"]) if hub is not None else None
    if peer is not None and peer.remote is not None and isinstance(language, str):
        if not await peer.remote.switch(language):  # a viewer on an SFU: switch its mountpoint
            return _problem(404, "no such session or language")
        peer.language = language
        return Response(status_code=204, headers=CORS)
    if hub is None or not isinstance(language, str) or not hub.set_language(request.path_params["session"], language):
        return _problem(404, "no such session or language")
    return Response(status_code=204, headers=CORS)


routes = [
    route(
        "/pitches/{pitch_id:int}/whip",
        whip,
        allow=EVERYONE,
        methods=("POST", "OPTIONS"),
        csrf=False,
    ),
    route(
        "/pitches/{pitch_id:int}/whep",
        whep,
        allow=EVERYONE,
        methods=("POST", "OPTIONS"),
        csrf=False,
    ),
    route(
        "/pitches/{pitch_id:int}/whip/{session:str}",
        session_resource,
        allow=EVERYONE,
        methods=("PATCH", "DELETE", "OPTIONS"),
        csrf=False,
        name="whip_session",
    ),
    route(
        "/pitches/{pitch_id:int}/whep/{session:str}",
        session_resource,
        allow=EVERYONE,
        methods=("PATCH", "DELETE", "OPTIONS"),
        csrf=False,
        name="whep_session",
    ),
    route(
        "/pitches/{pitch_id:int}/whep/{session:str}/language",
        whep_language,
        allow=EVERYONE,
        methods=("POST", "OPTIONS"),
        csrf=False,
    ),
]
