// The 1:1 meeting room: pre-join check (camera, microphone, level meter, device pickers),
// then a mesh of peer connections (at most four people) signaled over /ws/meetings/{id}
// with perfect negotiation (the peer whose id sorts first is polite and rolls back on
// glare), ICE restart when a connection fails, a rejoin after a dropped socket, mute,
// camera off, screen share (replaceTrack: no renegotiation), countdown and time left, the
// other side's local time, chat (stored by the server, then delivered), and a plain
// explanation when no connection can be made. See docs/protocols.md.
import { readStrings } from "../streaming/whip.js";

const root = document.querySelector("[data-room]");
if (root) start(root);

const FINAL_CLOSE = new Set([4401, 4403, 4404, 4409, 4429]);

function fill(template, values) {
  return String(template).replace(/\{(\w+)\}/g, (_, key) => values[key] ?? "");
}

function duration(ms) {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

function start(root) {
  const strings = readStrings(root);
  const $ = (selector) => root.querySelector(selector);
  const preview = $("[data-preview]");
  const selfVideo = $("[data-self]");
  const cameras = $("[data-camera]");
  const microphones = $("[data-microphone]");
  const level = $("[data-level]");
  const prejoinState = $("[data-prejoin-state]");
  const callState = $("[data-call-state]");
  const tiles = $("[data-tiles]");
  const trouble = $("[data-trouble]");
  const chatList = $("[data-chat-list]");
  const chatForm = $("[data-chat-form]");
  const muteButton = $("[data-mute]");
  const cameraButton = $("[data-camera-toggle]");
  const screenButton = $("[data-screen]");
  const locale = root.dataset.locale || document.documentElement.lang;
  const startsAt = new Date(root.dataset.starts);
  const endsAt = new Date(root.dataset.ends);
  const viewerZone = document.body.dataset.timezone || undefined; // times in the viewer's zone

  let local = null; // camera + microphone
  let display = null; // the screen while sharing
  let socket = null;
  let me = null;
  let iceServers = [];
  let wanted = false;
  let retryMs = 1000;
  let lastChatId = 0;
  let meterFrame = 0;
  const peers = new Map(); // peer id → {pc, info, polite, makingOffer, ignoreOffer, tile, …}
  const known = new Map(); // peer id → info of participants who joined after us
  root.roomPeers = peers; // for tests and for the curious

  // Pre-join check -------------------------------------------------------------------

  async function openDevices() {
    const constraints = {
      audio: microphones.value ? { deviceId: { exact: microphones.value } } : true,
      video: cameras.value ? { deviceId: { exact: cameras.value } } : { width: 640, height: 480 },
    };
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia(constraints);
    } catch {
      prejoinState.textContent = strings.no_devices;
      return false;
    }
    const previous = local;
    local = stream;
    previous?.getTracks().forEach((t) => t.stop());
    preview.srcObject = local;
    if (!display) selfVideo.srcObject = local;
    await listDevices();
    watchLevel(local);
    prejoinState.textContent = strings.ready;
    for (const peer of peers.values()) {
      await replaceTrack(peer.pc, "audio", local.getAudioTracks()[0] || null);
      if (!display) await replaceTrack(peer.pc, "video", local.getVideoTracks()[0] || null);
    }
    applyToggles();
    return true;
  }

  async function listDevices() {
    const devices = await navigator.mediaDevices.enumerateDevices();
    for (const [select, kind, track] of [
      [cameras, "videoinput", local?.getVideoTracks()[0]],
      [microphones, "audioinput", local?.getAudioTracks()[0]],
    ]) {
      const current = track?.getSettings().deviceId || select.value;
      const options = devices
        .filter((d) => d.kind === kind)
        .map((d, i) => new Option(d.label || `${kind} ${i + 1}`, d.deviceId, false, d.deviceId === current));
      select.replaceChildren(...options);
    }
  }

  function watchLevel(stream) {
    cancelAnimationFrame(meterFrame);
    const track = stream.getAudioTracks()[0];
    if (!track || !window.AudioContext) return;
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    analyser.fftSize = 512;
    context.createMediaStreamSource(new MediaStream([track])).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    const tick = () => {
      if (track.readyState === "ended") return context.close();
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const v of samples) sum += v * v;
      level.value = Math.min(1, Math.sqrt(sum / samples.length) * 4);
      meterFrame = requestAnimationFrame(tick);
    };
    tick();
  }

  cameras.addEventListener("change", openDevices);
  microphones.addEventListener("change", openDevices);

  // Signaling ------------------------------------------------------------------------

  function send(message) {
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function connect() {
    const url = new URL(root.dataset.ws, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(url);
    const current = socket;
    socket.addEventListener("open", () => send({ type: "join", last_chat_id: lastChatId }));
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      handle(message).catch((error) => console.warn("room:", error));
    });
    socket.addEventListener("close", (event) => {
      if (current !== socket) return;
      closeAllPeers();
      me = null;
      if (FINAL_CLOSE.has(event.code)) wanted = false;
      if (!wanted) return;
      callState.textContent = strings.reconnecting;
      setTimeout(() => wanted && connect(), retryMs);
      retryMs = Math.min(retryMs * 2, 15000);
    });
  }

  async function handle(message) {
    switch (message.type) {
      case "welcome":
        retryMs = 1000;
        known.clear();
        me = message.me;
        iceServers = message.ice_servers || [];
        message.chat.forEach(showChat);
        callState.textContent = message.peers.length ? strings.in_call : strings.waiting;
        for (const info of message.peers) ensurePeer(info);
        break;
      case "joined":
        // The newcomer makes the first offer (fewer glares); its info waits for that offer.
        known.set(message.peer.peer_id, message.peer);
        callState.textContent = strings.in_call;
        break;
      case "left":
        known.delete(message.from);
        removePeer(message.from);
        if (!peers.size && wanted) callState.textContent = strings.waiting;
        break;
      case "offer":
      case "answer":
        await onDescription(message);
        break;
      case "candidate":
        await onCandidate(message);
        break;
      case "chat":
        showChat(message);
        break;
      case "replaced":
        wanted = false;
        callState.textContent = strings.replaced;
        break;
      case "error":
        if (message.code === "gone") removePeer(message.to);
        else if (["early", "closed", "cancelled", "full", "side_full"].includes(message.code)) {
          wanted = false;
          callState.textContent = message.message;
        } else callState.textContent = message.message;
        break;
      default:
    }
  }

  // Peer connections (perfect negotiation) -----------------------------------------------

  function outgoingVideo() {
    return display?.getVideoTracks()[0] || local?.getVideoTracks()[0] || null;
  }

  function ensurePeer(info) {
    if (!me || peers.has(info.peer_id)) return peers.get(info.peer_id);
    const pc = new RTCPeerConnection({ iceServers });
    const peer = { pc, info, polite: me.peer_id < info.peer_id, makingOffer: false, ignoreOffer: false, restarts: 0 };
    peer.pendingCandidates = [];
    peer.tile = makeTile(info);
    peers.set(info.peer_id, peer);
    const audio = local?.getAudioTracks()[0];
    const video = outgoingVideo();
    const stream = local || new MediaStream();
    if (audio) pc.addTrack(audio, stream);
    else pc.addTransceiver("audio", { direction: "recvonly" });
    if (video) pc.addTrack(video, stream);
    else pc.addTransceiver("video", { direction: "recvonly" });

    pc.addEventListener("track", ({ track, streams }) => {
      const video = peer.tile.querySelector("video");
      video.srcObject = streams[0] || new MediaStream([track]);
    });
    pc.addEventListener("negotiationneeded", async () => {
      try {
        peer.makingOffer = true;
        await pc.setLocalDescription();
        send({ type: pc.localDescription.type, to: info.peer_id, sdp: pc.localDescription.sdp });
      } catch (error) {
        console.warn("room: offer failed", error);
      } finally {
        peer.makingOffer = false;
      }
    });
    pc.addEventListener("icecandidate", ({ candidate }) => {
      if (candidate) send({ type: "candidate", to: info.peer_id, candidate: candidate.toJSON() });
    });
    pc.addEventListener("connectionstatechange", () => onState(peer));
    // Not connected after 10 s: the impolite side restarts ICE once; after 25 s, say so plainly.
    peer.nudge = setTimeout(() => {
      if (!peer.polite && pc.connectionState !== "connected") pc.restartIce();
    }, 10000);
    peer.giveUp = setTimeout(() => pc.connectionState !== "connected" && showTrouble(peer), 25000);
    return peer;
  }

  async function onDescription(message) {
    const peer = ensurePeer(known.get(message.from) || { peer_id: message.from, name: "", side: "" });
    if (!peer) return;
    const { pc } = peer;
    const collision = message.type === "offer" && (peer.makingOffer || pc.signalingState !== "stable");
    peer.ignoreOffer = !peer.polite && collision;
    if (peer.ignoreOffer) return;
    await pc.setRemoteDescription({ type: message.type, sdp: message.sdp }); // rolls back on glare
    if (message.type === "offer") {
      await pc.setLocalDescription();
      send({ type: "answer", to: message.from, sdp: pc.localDescription.sdp });
    }
    const waiting = peer.pendingCandidates.splice(0);
    for (const candidate of waiting) await addCandidate(peer, candidate);
  }

  async function onCandidate(message) {
    const peer = peers.get(message.from);
    if (!peer || !message.candidate) return;
    // Candidates can overtake the description they belong to (glare): keep them until it is set.
    if (!peer.pc.remoteDescription) peer.pendingCandidates.push(message.candidate);
    else await addCandidate(peer, message.candidate);
  }

  async function addCandidate(peer, candidate) {
    try {
      await peer.pc.addIceCandidate(candidate);
    } catch (error) {
      if (!peer.ignoreOffer) console.warn("room: candidate", error);
    }
  }

  function onState(peer) {
    const { pc } = peer;
    if (pc.connectionState === "connected") {
      clearTimeout(peer.giveUp);
      clearTimeout(peer.nudge);
      peer.restarts = 0;
      hideTrouble(peer);
      reportPath(peer);
    } else if (pc.connectionState === "failed") {
      if (peer.restarts < 2) {
        peer.restarts += 1;
        pc.restartIce(); // a new offer with fresh ICE credentials (negotiationneeded)
      } else showTrouble(peer);
    }
  }

  async function reportPath(peer) {
    const stats = await peer.pc.getStats();
    let pair = null;
    stats.forEach((report) => {
      if (report.type === "transport" && report.selectedCandidatePairId) pair = stats.get(report.selectedCandidatePairId);
    });
    if (!pair) stats.forEach((r) => { if (r.type === "candidate-pair" && r.nominated && r.state === "succeeded") pair = r; });
    if (!pair) return;
    const types = [stats.get(pair.localCandidateId)?.candidateType, stats.get(pair.remoteCandidateId)?.candidateType];
    const connection = types.includes("relay") ? "relayed" : "direct";
    peer.tile.dataset.connection = connection;
    peer.tile.querySelector("[data-path]").textContent = strings[connection];
    send({ type: "stats", connection });
  }

  function removePeer(peerId) {
    const peer = peers.get(peerId);
    if (!peer) return;
    clearTimeout(peer.giveUp);
    clearTimeout(peer.nudge);
    peer.pc.close();
    peer.tile.remove();
    hideTrouble(peer);
    peers.delete(peerId);
  }

  function closeAllPeers() {
    for (const id of [...peers.keys()]) removePeer(id);
  }

  async function replaceTrack(pc, kind, track) {
    const sender = pc.getSenders().find((s) => s.track?.kind === kind);
    if (sender) await sender.replaceTrack(track);
  }

  // Tiles, trouble, chat, clock ----------------------------------------------------------

  function makeTile(info) {
    const figure = document.createElement("figure");
    figure.className = "tile";
    figure.dataset.peer = info.peer_id;
    const video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    video.setAttribute("playsinline", "");
    const caption = document.createElement("figcaption");
    const name = document.createElement("span");
    name.textContent = info.name || "";
    const path = document.createElement("span");
    path.className = "path";
    path.dataset.path = "";
    caption.append(name, " ", path);
    figure.append(video, caption);
    tiles.append(figure);
    return figure;
  }

  function showTrouble(peer) {
    const name = peer.info.name || "";
    let item = trouble.querySelector(`[data-for="${CSS.escape(peer.info.peer_id)}"]`);
    if (!item) {
      item = document.createElement("div");
      item.dataset.for = peer.info.peer_id;
      const title = document.createElement("p");
      title.className = "trouble-title";
      title.textContent = fill(strings.trouble, { name });
      const hint = document.createElement("p");
      hint.textContent = strings.trouble_hint;
      item.append(title, hint);
      trouble.append(item);
    }
    trouble.hidden = false;
  }

  function hideTrouble(peer) {
    trouble.querySelector(`[data-for="${CSS.escape(peer.info.peer_id)}"]`)?.remove();
    trouble.hidden = !trouble.children.length;
  }

  function showChat(message) {
    if (message.id <= lastChatId) return;
    lastChatId = message.id;
    const item = document.createElement("li");
    item.className = `chat-message ${message.side}`;
    if (me && message.user_id === me.user_id) item.classList.add("mine");
    const head = document.createElement("span");
    head.className = "chat-head";
    const when = new Date(message.at).toLocaleTimeString(locale, { timeZone: viewerZone, hour: "2-digit", minute: "2-digit" });
    head.textContent = `${message.author} · ${when}`;
    const text = document.createElement("span");
    text.className = "chat-text";
    text.textContent = message.text;
    item.append(head, text);
    chatList.append(item);
    chatList.scrollTop = chatList.scrollHeight;
  }

  chatForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = chatForm.elements.text;
    const text = input.value.trim();
    if (!text) return;
    if (!me || socket?.readyState !== WebSocket.OPEN) {
      callState.textContent = strings.chat_failed;
      return;
    }
    send({ type: "chat", text });
    input.value = "";
  });

  const clock = $("[data-countdown]");
  const zones = [...document.querySelectorAll("[data-local-time]")];
  function tick() {
    const now = Date.now();
    if (now < startsAt) clock.textContent = fill(strings.starts_in, { time: duration(startsAt - now) });
    else if (now < endsAt) clock.textContent = fill(strings.time_left, { time: duration(endsAt - now) });
    else clock.textContent = fill(strings.overtime, { time: duration(now - endsAt) });
    clock.dataset.phase = now < startsAt ? "before" : now < endsAt ? "during" : "after";
    for (const node of zones) {
      try {
        node.textContent = new Date().toLocaleTimeString(locale, { timeZone: node.dataset.zone, hour: "2-digit", minute: "2-digit" });
      } catch {
        node.textContent = "–";
      }
    }
  }
  tick();
  setInterval(tick, 1000);

  // Controls -------------------------------------------------------------------------------

  let muted = false;
  let cameraOff = false;
  function applyToggles() {
    local?.getAudioTracks().forEach((t) => { t.enabled = !muted; });
    local?.getVideoTracks().forEach((t) => { t.enabled = !cameraOff; });
    muteButton.textContent = muted ? strings.unmute : strings.mute;
    muteButton.setAttribute("aria-pressed", String(muted));
    cameraButton.textContent = cameraOff ? strings.camera_on : strings.camera_off;
    cameraButton.setAttribute("aria-pressed", String(cameraOff));
  }
  muteButton.addEventListener("click", () => { muted = !muted; applyToggles(); });
  cameraButton.addEventListener("click", () => { cameraOff = !cameraOff; applyToggles(); });

  screenButton.addEventListener("click", async () => {
    if (display) return backToCamera();
    try {
      display = await navigator.mediaDevices.getDisplayMedia({ video: true });
    } catch {
      return;
    }
    display.getVideoTracks()[0].addEventListener("ended", backToCamera);
    selfVideo.srcObject = display;
    screenButton.textContent = strings.back_to_camera;
    for (const peer of peers.values()) await replaceTrack(peer.pc, "video", outgoingVideo());
  });

  async function backToCamera() {
    display?.getTracks().forEach((t) => t.stop());
    display = null;
    selfVideo.srcObject = local;
    screenButton.textContent = strings.screen;
    for (const peer of peers.values()) await replaceTrack(peer.pc, "video", outgoingVideo());
  }

  $("[data-join]").addEventListener("click", () => {
    $("[data-prejoin]").hidden = true;
    $("[data-call]").hidden = false;
    selfVideo.srcObject = display || local;
    callState.textContent = strings.connecting;
    wanted = true;
    connect();
  });

  function leave() {
    if (!wanted) return;
    wanted = false;
    send({ type: "leave" });
    closeAllPeers();
    socket?.close();
    local?.getTracks().forEach((t) => t.stop());
    display?.getTracks().forEach((t) => t.stop());
  }

  $("[data-leave]").addEventListener("click", () => {
    leave();
    $("[data-call]").hidden = true;
    $("[data-after]").hidden = false;
    $("[data-after] input")?.focus();
  });
  window.addEventListener("pagehide", leave);

  openDevices();
}
