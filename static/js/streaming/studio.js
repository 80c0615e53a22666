// The host's studio (and the interpreter's console, data-audio-only): device preview and
// pickers, go live over WHIP with the pitch's token, switch camera ↔ screen without
// renegotiating (replaceTrack), reconnect after a drop, connection quality, Q&A moderation.
import { iceServers, negotiate, hangUp, readStrings } from "./whip.js";
import { openPitchSocket } from "./qa.js";

const root = document.querySelector("[data-pitch-studio]");
if (root) start(root);

function start(root) {
  const strings = readStrings(root);
  const audioOnly = "audioOnly" in root.dataset;
  const preview = root.querySelector("[data-preview]");
  const state = root.querySelector("[data-studio-state]");
  const cameras = root.querySelector("[data-camera]");
  const microphones = root.querySelector("[data-microphone]");
  const goLive = root.querySelector("[data-go-live]");
  const stop = root.querySelector("[data-stop]");
  const screen = root.querySelector("[data-screen]");
  const viewers = root.querySelector("[data-viewers]");
  const quality = root.querySelector("[data-quality]");
  let camera = null; // the camera/mic stream
  let display = null; // the screen stream while sharing
  let pc = null;
  let session = null;
  let wanted = false; // the host wants to be live (reconnect after drops)
  let retry = null;

  const show = (key, extra = "") => {
    state.textContent = `${strings[key] || key} ${extra}`.trim();
    state.dataset.state = key;
  };

  async function open() {
    const constraints = { audio: microphones?.value ? { deviceId: { exact: microphones.value } } : true };
    if (!audioOnly) constraints.video = cameras?.value ? { deviceId: { exact: cameras.value } } : { width: 1280, height: 720 };
    try {
      camera?.getTracks().forEach((t) => t.stop());
      camera = await navigator.mediaDevices.getUserMedia(constraints);
    } catch {
      show("no_devices");
      return false;
    }
    if (preview && !display) preview.srcObject = camera;
    await listDevices();
    return true;
  }

  async function listDevices() {
    const devices = await navigator.mediaDevices.enumerateDevices();
    for (const [select, kind, track] of [
      [cameras, "videoinput", camera?.getVideoTracks()[0]],
      [microphones, "audioinput", camera?.getAudioTracks()[0]],
    ]) {
      if (!select) continue;
      const current = track?.getSettings().deviceId || select.value;
      const options = devices.filter((d) => d.kind === kind)
        .map((d, i) => new Option(d.label || `${kind} ${i + 1}`, d.deviceId, false, d.deviceId === current));
      select.replaceChildren(...options);
    }
  }

  function videoTrack() {
    return display?.getVideoTracks()[0] || camera?.getVideoTracks()[0] || null;
  }

  async function replace(kind, track) {
    const sender = pc?.getSenders().find((s) => s.track?.kind === kind || (!s.track && kind === "video"));
    if (sender) await sender.replaceTrack(track);
  }

  async function live() {
    if (!camera && !(await open())) return;
    clearTimeout(retry);
    wanted = true;
    show("connecting");
    pc = new RTCPeerConnection({ iceServers: iceServers(root) });
    const current = pc;
    const video = videoTrack();
    if (video) pc.addTransceiver(video, { direction: "sendonly", streams: [camera] });
    const audio = camera.getAudioTracks()[0];
    if (audio) pc.addTransceiver(audio, { direction: "sendonly", streams: [camera] });
    pc.addEventListener("connectionstatechange", () => {
      if (current !== pc) return;
      if (pc.connectionState === "connected") show("live");
      if (pc.connectionState === "failed" || pc.connectionState === "disconnected") {
        show("reconnecting");
        drop();
        retry = setTimeout(() => wanted && live(), 2000);
      }
    });
    try {
      session = await negotiate(pc, root.dataset.whip, { Authorization: `Bearer ${root.dataset.token}` });
      goLive.hidden = true;
      stop.hidden = false;
    } catch (error) {
      drop();
      show("failed", error.message);
      if (error.status === 409 && /ended/.test(error.message)) wanted = false;
      else if (wanted) retry = setTimeout(live, 5000);
    }
  }

  function drop() {
    hangUp(session, { Authorization: `Bearer ${root.dataset.token}` });
    session = null;
    pc?.close();
    pc = null;
  }

  stop?.addEventListener("click", () => {
    wanted = false;
    clearTimeout(retry);
    drop();
    goLive.hidden = false;
    stop.hidden = true;
    show("offline");
  });
  goLive?.addEventListener("click", live);

  cameras?.addEventListener("change", async () => {
    if (await open()) await replace("video", videoTrack());
  });
  microphones?.addEventListener("change", async () => {
    if (await open()) await replace("audio", camera.getAudioTracks()[0]);
  });

  screen?.addEventListener("click", async () => {
    if (display) return backToCamera();
    try {
      display = await navigator.mediaDevices.getDisplayMedia({ video: true });
    } catch {
      return;
    }
    display.getVideoTracks()[0].addEventListener("ended", backToCamera);
    if (preview) preview.srcObject = display;
    screen.textContent = strings.camera;
    await replace("video", videoTrack());
  });

  async function backToCamera() {
    display?.getTracks().forEach((t) => t.stop());
    display = null;
    if (preview) preview.srcObject = camera;
    screen.textContent = strings.screen;
    await replace("video", videoTrack());
  }

  setInterval(async () => {
    if (!pc || pc.connectionState !== "connected" || !quality) return;
    const stats = await pc.getStats();
    let rtt = 0;
    let lost = 0;
    stats.forEach((report) => {
      if (report.type === "remote-inbound-rtp") {
        rtt = Math.max(rtt, report.roundTripTime || 0);
        lost = Math.max(lost, report.fractionLost || 0);
      }
      if (report.type === "candidate-pair" && report.nominated && report.currentRoundTripTime) {
        rtt = Math.max(rtt, report.currentRoundTripTime);
      }
    });
    const level = rtt > 0.4 || lost > 0.08 ? "poor" : rtt > 0.15 || lost > 0.02 ? "fair" : "good";
    quality.textContent = `${strings[level]} (${Math.round(rtt * 1000)} ms)`;
    quality.dataset.level = level;
  }, 2000);

  if (root.querySelector("[data-qa-list]")) {
    openPitchSocket(root, strings, {
      moderator: true,
      onLive(liveState) {
        if (viewers) viewers.textContent = liveState.viewers;
      },
      onEnded() {
        wanted = false;
        drop();
        show("ended");
      },
    });
  }
  root.querySelector("[data-end-form]")?.addEventListener("submit", () => {
    wanted = false;
    drop();
  });
  window.addEventListener("pagehide", drop);
  if (root.dataset.state !== "ended") open();
}
