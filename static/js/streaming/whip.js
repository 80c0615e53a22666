// WHIP/WHEP from the browser: POST the offer (application/sdp), apply the answer, remember
// the session's Location for DELETE. Candidates are gathered before the offer is sent
// (no trickle), which is quick with the host-only or TURN configuration the server hands out.

export class SignalingError extends Error {
  constructor(status, text, retryAfter) {
    super(text || String(status));
    this.status = status;
    this.retryAfter = Number(retryAfter) || 0;
  }
}

export function iceServers(element) {
  try {
    return JSON.parse(element.dataset.ice || "[]");
  } catch {
    return [];
  }
}

function gathered(pc, limitMs) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState === "complete") {
        pc.removeEventListener("icegatheringstatechange", done);
        resolve();
      }
    };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, limitMs);
  });
}

export async function negotiate(pc, url, headers = {}) {
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc, 2000);
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/sdp", ...headers },
    body: pc.localDescription.sdp,
  });
  const text = await response.text();
  if (response.status !== 201) {
    throw new SignalingError(response.status, text.trim(), response.headers.get("Retry-After"));
  }
  const location = new URL(response.headers.get("Location"), window.location.href).href;
  await pc.setRemoteDescription({ type: "answer", sdp: text });
  return location;
}

export function hangUp(location, headers = {}) {
  // A WHIP session is ended with the publisher's token (the same headers as the offer).
  if (location) fetch(location, { method: "DELETE", headers, keepalive: true }).catch(() => {});
}

export function readStrings(root) {
  const node = root.querySelector("[data-strings]");
  return node ? JSON.parse(node.textContent) : {};
}
