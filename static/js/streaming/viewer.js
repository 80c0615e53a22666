// The investor's player: WHEP when the presenter is live, automatic reconnect, the audio
// language picker (interpretation), live count and Q&A.
import { iceServers, negotiate, hangUp, readStrings, SignalingError } from "./whip.js";
import { openPitchSocket } from "./qa.js";

const root = document.querySelector("[data-pitch-viewer]");
if (root) start(root);

function start(root) {
  const strings = readStrings(root);
  const names = JSON.parse(root.querySelector("[data-language-names]").textContent);
  const video = root.querySelector("[data-player]");
  const state = root.querySelector("[data-player-state]");
  const viewers = root.querySelector("[data-viewers]");
  const badge = root.querySelector("[data-live-badge]");
  const picker = root.querySelector("[data-audio-language]");
  const unmute = root.querySelector("[data-unmute]");
  let pc = null;
  let session = null;
  let publishing = false;
  let ended = root.dataset.state === "ended";
  let retry = null;
  let connecting = false;

  function show(key) {
    if (!state) return;
    state.textContent = key ? strings[key] : "";
    state.hidden = !key;
  }

  function close() {
    hangUp(session);
    session = null;
    if (pc) pc.close();
    pc = null;
  }

  function later(seconds) {
    clearTimeout(retry);
    retry = setTimeout(connect, seconds * 1000);
  }

  async function connect() {
    if (ended || connecting || !video) return;
    connecting = true;
    close();
    show("connecting");
    pc = new RTCPeerConnection({ iceServers: iceServers(root) });
    root.peer = pc; // for tests and the curious: getStats() from the console
    const current = pc;
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    const stream = new MediaStream();
    pc.addEventListener("track", (event) => {
      stream.addTrack(event.track);
      video.srcObject = stream;
    });
    pc.addEventListener("connectionstatechange", () => {
      if (current !== pc) return;
      if (current.connectionState === "failed" || current.connectionState === "disconnected") {
        show("reconnecting");
        later(2);
      }
    });
    try {
      const url = `${root.dataset.whep}?language=${encodeURIComponent(picker?.value || "")}`;
      session = await negotiate(pc, url);
      show(publishing ? null : "paused");
    } catch (error) {
      close();
      if (error instanceof SignalingError && error.status === 503) {
        show("full");
        later(error.retryAfter || 30);
      } else if (error instanceof SignalingError && error.status === 409) {
        show("scheduled");
      } else {
        show("failed");
        later(5);
      }
    } finally {
      connecting = false;
    }
  }

  video?.addEventListener("playing", () => {
    if (publishing) show(null);
  });

  function languages(list) {
    if (!picker) return;
    const chosen = picker.value;
    const options = [["", strings.original], ...list.map((code) => [code, names[code] || code])];
    picker.replaceChildren(...options.map(([value, label]) => new Option(label, value, false, value === chosen)));
  }

  picker?.addEventListener("change", async () => {
    if (!session) return;
    await fetch(`${session}/language`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ language: picker.value }),
    });
  });

  unmute?.addEventListener("click", () => {
    video.muted = !video.muted;
    video.play().catch(() => {});
  });

  openPitchSocket(root, strings, {
    onLive(live, pitchState) {
      if (viewers) viewers.textContent = live.viewers;
      languages(live.languages || []);
      const was = publishing;
      publishing = Boolean(live.publishing);
      if (badge) badge.hidden = !publishing;
      if (ended) return;
      if (publishing && !pc) connect();
      else if (publishing && !was && pc) show(null);
      else if (!publishing && pc) show("paused");
      else if (!publishing && !pc) show(pitchState === "live" ? "paused" : "scheduled");
    },
    onEnded() {
      ended = true;
      close();
      show("ended");
      if (badge) badge.hidden = true;
    },
  });
  window.addEventListener("pagehide", close);
}
