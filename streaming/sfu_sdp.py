"""Bridging a WHEP viewer's SDP offer to an SFU that only makes offers (pure; no network).

Janus 1.1.2 (Debian 12's ``janus``) has a Streaming plugin that always makes the offer itself
("watch" ignores a viewer's offer: client offers came with Janus 1.1.4), while WHEP clients
send an offer and expect an answer. Both sides are offerers, so the expo writes an answer for
each from the other's offer (``bridge``):

- the viewer's answer carries the SFU's ICE credentials, DTLS fingerprint, candidates and
  SSRCs, with the viewer's own mids and payload types;
- the SFU's answer carries the viewer's ICE credentials, fingerprint and candidates, with the
  SFU's mids and payload types.

Media then flows directly between the viewer and the SFU (ICE, DTLS and SRTP end to end).
What makes two offers agree:

- DTLS roles: a viewer offering ``actpass`` (or ``active``) is told the SFU is ``passive`` and
  the SFU is told the viewer is ``active``; a ``passive`` viewer the other way round.
- ICE roles: both think they offered (controlling); the SFU runs ICE-lite (``a=ice-lite``,
  shipped config), so the full agent, the viewer, controls. An SFU offer without ICE-lite is
  refused here rather than left to a role conflict.
- Payload types: each side receives with the numbers of its own offer, and Janus sends with
  its mountpoint's numbers, so a mountpoint is made per (VP8, Opus) payload-type pair the
  viewers offer (``payload_types``); ``bridge`` checks that they match.
- Header extensions, RTX, transport-cc and REMB are left out of both answers: plain VP8 and
  Opus with NACK (Janus retransmits from its own buffer) and PLI/FIR (Janus forwards key-frame
  requests to the hub).
"""

import re
import secrets
from dataclasses import dataclass, field

from streaming.sdp import HubError

FEEDBACK = ("nack", "nack pli", "ccm fir")  # the RTCP feedback both answers may keep
CODECS = {"video": "vp8/90000", "audio": "opus/48000/2"}


@dataclass
class Section:
    kind: str
    port: str
    proto: str
    formats: list[str]
    lines: list[str] = field(default_factory=list)  # a=… lines of the section

    def values(self, name: str) -> list[str]:
        prefix = f"a={name}:"
        return [line[len(prefix) :] for line in self.lines if line.startswith(prefix)]

    def value(self, name: str) -> str | None:
        found = self.values(name)
        return found[0] if found else None

    def has(self, flag: str) -> bool:
        return f"a={flag}" in self.lines

    @property
    def mid(self) -> str:
        return self.value("mid") or ""

    def codec_pt(self) -> str | None:
        """The first payload type of this section's codec (VP8 for video, Opus for audio)."""
        wanted = CODECS.get(self.kind)
        for rtpmap in self.values("rtpmap"):
            pt, _, name = rtpmap.partition(" ")
            if wanted and name.lower() == wanted and pt in self.formats:
                return pt
        return None

    def feedback(self, pt: str) -> list[str]:
        return [fb.partition(" ")[2] for fb in self.values("rtcp-fb") if fb.partition(" ")[0] == pt]


@dataclass
class Description:
    session: list[str]
    sections: list[Section]

    def attribute(self, name: str) -> str | None:
        """A session-level attribute, else the first section's."""
        prefix = f"a={name}:"
        for line in self.session:
            if line.startswith(prefix):
                return line[len(prefix) :]
        for section in self.sections:
            if (found := section.value(name)) is not None:
                return found
        return None

    def flag(self, name: str) -> bool:
        return f"a={name}" in self.session or any(s.has(name) for s in self.sections)

    def candidates(self) -> list[str]:
        """Candidate lines of the first section that has any (BUNDLE: one transport)."""
        for section in self.sections:
            found = [line for line in section.lines if line.startswith("a=candidate:")]
            if found:
                return list(dict.fromkeys(found))
        return []


def parse(text: str) -> Description:
    session: list[str] = []
    sections: list[Section] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("m="):
            parts = line[2:].split()
            if len(parts) < 3:
                raise HubError(400, f"malformed SDP: media line {line[:40]!r}")
            sections.append(Section(parts[0], parts[1], parts[2], parts[3:]))
        elif sections:
            if line.startswith("a="):
                sections[-1].lines.append(line)
        else:
            session.append(line)
    return Description(session, sections)


def payload_types(offer: str) -> tuple[int | None, int | None]:
    """The viewer's payload types for VP8 and Opus (the mountpoint variant it needs)."""
    description = parse(offer)
    found: dict[str, int | None] = {"video": None, "audio": None}
    for section in description.sections:
        if section.kind in found and found[section.kind] is None and section.port != "0":
            pt = section.codec_pt()
            found[section.kind] = int(pt) if pt is not None else None
    return found["video"], found["audio"]


def _head(bundle: list[str], *, lite: bool) -> list[str]:
    head = ["v=0", f"o=- {secrets.randbelow(2**62)} 1 IN IP4 0.0.0.0", "s=-", "t=0 0"]
    if bundle:
        head.append("a=group:BUNDLE " + " ".join(bundle))
    if lite:
        head.append("a=ice-lite")
    return head


def _rejected(section: Section) -> list[str]:
    formats = " ".join(section.formats[:1]) or "0"
    return [f"m={section.kind} 0 {section.proto} {formats}", "c=IN IP4 0.0.0.0", f"a=mid:{section.mid}", "a=inactive"]


def _media(
    section: Section,
    pt: str,
    rtpmap: str,
    fmtp: str | None,
    feedback: list[str],
    *,
    direction: str,
    ice: tuple[str, str],
    fingerprint: str,
    setup: str,
) -> list[str]:
    lines = [
        f"m={section.kind} 9 UDP/TLS/RTP/SAVPF {pt}",
        "c=IN IP4 0.0.0.0",
        f"a=mid:{section.mid}",
        f"a={direction}",
        "a=rtcp-mux",
        f"a=ice-ufrag:{ice[0]}",
        f"a=ice-pwd:{ice[1]}",
        f"a=fingerprint:{fingerprint}",
        f"a=setup:{setup}",
        f"a=rtpmap:{pt} {rtpmap}",
    ]
    if fmtp:
        lines.append(f"a=fmtp:{pt} {fmtp}")
    lines += [f"a=rtcp-fb:{pt} {fb}" for fb in feedback]
    return lines


def _fmtp(section: Section, pt: str) -> str | None:
    for value in section.values("fmtp"):
        if value.partition(" ")[0] == pt:
            return value.partition(" ")[2]
    return None


def _rtpmap(section: Section, pt: str) -> str:
    return next(v.partition(" ")[2] for v in section.values("rtpmap") if v.partition(" ")[0] == pt)


def bridge(viewer_offer: str, sfu_offer: str) -> tuple[str, str]:
    """(answer for the viewer, answer for the SFU). ``HubError(400)`` when the viewer's offer
    cannot be matched (checked by ``sdp.check_offer`` first), ``HubError(502)`` when the SFU's
    offer is not what the shipped configuration makes."""
    viewer = parse(viewer_offer)
    sfu = parse(sfu_offer)
    if not sfu.flag("ice-lite"):
        raise HubError(502, "the SFU does not run ICE-lite (set nat: ice_lite = true, see docs/operations.md)")
    v_ice = (viewer.attribute("ice-ufrag"), viewer.attribute("ice-pwd"))
    s_ice = (sfu.attribute("ice-ufrag"), sfu.attribute("ice-pwd"))
    v_fp, s_fp = viewer.attribute("fingerprint"), sfu.attribute("fingerprint")
    if not all(v_ice) or not v_fp:
        raise HubError(400, "the SDP offer has no ICE credentials or DTLS fingerprint")
    if not all(s_ice) or not s_fp:
        raise HubError(502, "the SFU's offer has no ICE credentials or DTLS fingerprint")
    viewer_is_client = (viewer.attribute("setup") or "actpass") in ("actpass", "active")

    # Pair each viewer audio/video section with the SFU's first unused section of its kind.
    unused = [s for s in sfu.sections if s.port != "0" and s.kind in CODECS]
    pairs: dict[int, Section] = {}
    for index, section in enumerate(viewer.sections):
        if section.kind not in CODECS or section.port == "0" or section.codec_pt() is None:
            continue
        match = next((s for s in unused if s.kind == section.kind), None)
        if match is not None:
            unused.remove(match)
            pairs[index] = match
    if not pairs:
        raise HubError(400, "nothing in the offer can receive this stream (VP8 video or Opus audio)")

    to_viewer: list[str] = []
    to_sfu_by_mid: dict[str, list[str]] = {}
    for index, section in enumerate(viewer.sections):
        partner = pairs.get(index)
        if partner is None:
            to_viewer += _rejected(section)
            continue
        v_pt, s_pt = section.codec_pt(), partner.codec_pt()
        if v_pt is None or s_pt is None or v_pt != s_pt:
            raise HubError(502, f"the SFU offered {section.kind} payload type {s_pt}, the viewer wants {v_pt}")
        feedback = [fb for fb in section.feedback(v_pt) if fb in FEEDBACK and fb in partner.feedback(s_pt)]
        to_viewer += _media(
            section,
            v_pt,
            _rtpmap(section, v_pt),
            _fmtp(section, v_pt),
            feedback,
            direction="sendonly",
            ice=s_ice,  # type: ignore[arg-type]
            fingerprint=s_fp,
            setup="passive" if viewer_is_client else "active",
        )
        msid = partner.value("msid")
        if msid:
            to_viewer.append(f"a=msid:{msid}")
        for ssrc in partner.values("ssrc"):
            number = ssrc.partition(" ")[0]
            primary = partner.values("ssrc")[0].partition(" ")[0]
            if number == primary:  # the RTX SSRC is left out with RTX
                to_viewer.append(f"a=ssrc:{ssrc}")
        to_viewer += sfu.candidates() + ["a=end-of-candidates"]
        to_sfu_by_mid[partner.mid] = (
            _media(
                partner,
                s_pt,
                _rtpmap(partner, s_pt),
                _fmtp(partner, s_pt),
                feedback,
                direction="recvonly",
                ice=v_ice,  # type: ignore[arg-type]
                fingerprint=v_fp,
                setup="active" if viewer_is_client else "passive",
            )
            + viewer.candidates()
            + (["a=end-of-candidates"] if viewer.flag("end-of-candidates") else [])
        )

    to_sfu: list[str] = []
    for section in sfu.sections:
        to_sfu += to_sfu_by_mid.get(section.mid) or _rejected(section)
    viewer_bundle = [viewer.sections[i].mid for i in sorted(pairs)]
    sfu_bundle = [s.mid for s in sfu.sections if s.mid in to_sfu_by_mid]
    viewer_answer = _head(viewer_bundle, lite=True) + to_viewer
    sfu_answer = _head(sfu_bundle, lite=False) + to_sfu
    return "\r\n".join(viewer_answer) + "\r\n", "\r\n".join(sfu_answer) + "\r\n"


def candidate_lines(fragment: str) -> list[str]:
    """The ``candidate:…`` values of a trickle fragment (forwarded to the SFU as trickle)."""
    return [m.group(1) for m in re.finditer(r"^a=(candidate:.*)$", fragment.replace("\r", ""), re.MULTILINE)]
