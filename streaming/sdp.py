"""Checks on SDP offers and trickle-ICE fragments before aiortc sees them, so a client gets
a 400 that names the problem (RFC 9725 clients are often hand-written)."""

import re

from aiortc import RTCIceCandidate
from aiortc.sdp import candidate_from_sdp

MAX_SDP = 64 * 1024
# A presenter sends one video and one audio; a viewer receives them (and a data channel).
MAX_SECTIONS = 16


class HubError(Exception):
    """Signaling cannot go on; ``status`` is the HTTP answer the signaling layer gives."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def check_offer(offer: str, *, sending: bool) -> list[str]:
    """The media kinds of an offer's audio/video sections, in order; 400 if unusable.

    ``sending``: the offerer sends media (WHIP) rather than receives it (WHEP).
    """
    if not offer.strip():
        raise HubError(400, "the request body is empty; send an SDP offer")
    if len(offer) > MAX_SDP:
        raise HubError(400, "the SDP offer is larger than 64 KiB")
    lines = [line.strip() for line in offer.replace("\r\n", "\n").split("\n") if line.strip()]
    if lines[0] != "v=0":
        raise HubError(400, "malformed SDP: the offer must start with 'v=0'")
    if any(not re.fullmatch(r"[a-z]=.*", line) for line in lines):
        bad = next(line for line in lines if not re.fullmatch(r"[a-z]=.*", line))
        raise HubError(400, f"malformed SDP: line {bad[:40]!r} is not 'x=value'")
    sections: list[list[str]] = []
    for line in lines:
        if line.startswith("m="):
            sections.append([line])
        elif sections:
            sections[-1].append(line)
    if len(sections) > MAX_SECTIONS:
        raise HubError(400, f"the SDP offer has {len(sections)} media sections; at most {MAX_SECTIONS} are accepted")
    kinds = [s[0][2:].split(" ")[0] for s in sections]
    media = [(k, s) for k, s in zip(kinds, sections, strict=True) if k in ("audio", "video")]
    if not media:
        raise HubError(400, "the SDP offer has no audio or video section")
    if not any(line.startswith("a=ice-ufrag:") for line in lines):
        raise HubError(400, "the SDP offer has no ICE credentials (a=ice-ufrag)")
    if not any(line.startswith("a=fingerprint:") for line in lines):
        raise HubError(400, "the SDP offer has no DTLS fingerprint (a=fingerprint)")
    wanted = ("a=sendonly", "a=sendrecv") if sending else ("a=recvonly", "a=sendrecv")
    usable: list[str] = []
    for kind, section in media:
        if any(line in wanted for line in section):
            usable.append(kind)
    if len(usable) != len(media):
        verb = "send" if sending else "receive"
        raise HubError(400, f"every audio/video section of the offer must {verb} (direction attribute)")
    if not sending:
        if "video" in usable and not any("VP8/90000" in line for line in offer.split("\n")):
            raise HubError(400, "the offer does not accept VP8 video, the codec of this stream")
        if "audio" in usable and not any("opus/48000" in line.lower() for line in offer.split("\n")):
            raise HubError(400, "the offer does not accept Opus audio, the codec of this stream")
    return usable


def ice_ufrag(description: str) -> str | None:
    match = re.search(r"^a=ice-ufrag:(\S+)", description, re.MULTILINE)
    return match.group(1) if match else None


# RFC 8839 section 5.1: foundation component transport priority address port "typ" type …
CANDIDATE = re.compile(
    r"a=candidate:(?P<foundation>[A-Za-z0-9+/]{1,32}) (?P<component>\d{1,3}) (?P<transport>udp|tcp) "
    r"(?P<priority>\d{1,10}) (?P<address>[0-9A-Za-z.:%-]{1,255}) (?P<port>\d{1,5}) typ (?:host|srflx|prflx|relay)"
    r"(?: .*)?",
    re.IGNORECASE,
)


def _candidate(line: str) -> RTCIceCandidate:
    """One ``a=candidate:`` line checked against the grammar first: aiortc asserts (a 500)
    on some malformed lines instead of raising ValueError."""
    match = CANDIDATE.fullmatch(line)
    if (
        match is None
        or not 1 <= int(match["component"]) <= 256
        or int(match["priority"]) >= 2**32
        or int(match["port"]) > 65535
    ):
        raise HubError(400, f"malformed candidate line: {line[:60]!r}")
    try:
        return candidate_from_sdp(line[2:].split(":", 1)[1])
    except Exception:  # noqa: BLE001 - whatever aiortc makes of it, it is the client's bad line
        raise HubError(400, f"malformed candidate line: {line[:60]!r}") from None


def parse_trickle(fragment: str) -> tuple[str | None, list[RTCIceCandidate]]:
    """An ``application/trickle-ice-sdpfrag`` body (RFC 8840): (ufrag, candidates)."""
    ufrag = ice_ufrag(fragment)
    candidates: list[RTCIceCandidate] = []
    mid: str | None = None
    index = -1
    for raw in fragment.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if line.startswith("m="):
            index += 1
        elif line.startswith("a=mid:"):
            mid = line[6:]
        elif line.startswith("a=candidate:"):
            candidate = _candidate(line)
            candidate.sdpMid = mid
            candidate.sdpMLineIndex = max(index, 0)
            candidates.append(candidate)
    return ufrag, candidates
