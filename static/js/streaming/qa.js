// The pitch socket (/ws/pitches/{id}): Q&A and live state, with reconnect. On every
// (re)connect the server sends a snapshot from the database, so nothing is missed.

export function openPitchSocket(root, strings, { moderator = false, onLive, onEnded } = {}) {
  const pitchId = root.dataset.pitchId;
  const list = root.querySelector("[data-qa-list]");
  const empty = root.querySelector("[data-qa-empty]");
  const status = root.querySelector("[data-qa-status]");
  const form = root.querySelector("[data-qa-form]");
  const questions = new Map();
  let voted = new Set();
  let socket = null;
  let delay = 1000;

  function render() {
    const items = [...questions.values()].sort((a, b) => b.votes - a.votes || a.id - b.id);
    list.replaceChildren(...items.map(item));
    if (empty) empty.hidden = items.length > 0;
  }

  function button(label, handler, extra = "") {
    const node = document.createElement("button");
    node.type = "button";
    node.className = `button small ${extra}`.trim();
    node.textContent = label;
    node.addEventListener("click", handler);
    return node;
  }

  function item(q) {
    const li = document.createElement("li");
    li.className = `question ${q.state}`;
    li.dataset.questionId = q.id;
    const text = document.createElement("p");
    text.className = "question-text";
    text.textContent = q.text;
    const meta = document.createElement("p");
    meta.className = "meta";
    const votes = document.createElement("span");
    votes.className = "votes";
    votes.textContent = `${q.votes} ${strings.votes}`;
    meta.append(`${q.author} · `, votes);
    if (q.state !== "open") {
      const badge = document.createElement("span");
      badge.className = `badge ${q.state}`;
      badge.textContent = strings[q.state] || q.state;
      meta.append(" ", badge);
    }
    li.append(text, meta);
    const actions = document.createElement("div");
    actions.className = "question-actions";
    if (moderator) {
      if (q.state !== "answered") actions.append(button(strings.answer, () => send({ type: "moderate", id: q.id, state: "answered" })));
      if (q.state !== "hidden") actions.append(button(strings.hide, () => send({ type: "moderate", id: q.id, state: "hidden" }), "secondary"));
      if (q.state !== "open") actions.append(button(strings.reopen, () => send({ type: "moderate", id: q.id, state: "open" }), "secondary"));
    } else if (form) {
      const mine = voted.has(q.id);
      const vote = button(mine ? strings.voted : strings.vote, () => send({ type: "vote", id: q.id }), "secondary");
      vote.disabled = mine || q.state !== "open";
      vote.setAttribute("aria-pressed", mine ? "true" : "false");
      actions.append(vote);
    }
    if (actions.children.length) li.append(actions);
    return li;
  }

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(`${scheme}//${location.host}/ws/pitches/${pitchId}`);
    socket.addEventListener("open", () => {
      delay = 1000;
      if (status) status.textContent = "";
    });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "snapshot") {
        questions.clear();
        message.questions.forEach((q) => questions.set(q.id, q));
        voted = new Set(message.voted);
        render();
        onLive?.(message.live, message.state);
        if (message.state === "ended") onEnded?.();
      } else if (message.type === "question") {
        questions.set(message.id, message);
        render();
      } else if (message.type === "removed") {
        questions.delete(message.id);
        render();
      } else if (message.type === "voted") {
        voted.add(message.id);
        render();
      } else if (message.type === "live") {
        onLive?.(message, "live");
      } else if (message.type === "ended") {
        onEnded?.();
      } else if (message.type === "error" && status) {
        status.textContent = message.message;
      }
    });
    socket.addEventListener("close", () => {
      if (status) status.textContent = strings.disconnected;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 15000);
    });
  }

  form?.addEventListener("submit", (event) => {
    event.preventDefault();
    const field = form.querySelector("textarea");
    const text = field.value.trim();
    if (!text) return;
    send({ type: "ask", text });
    field.value = "";
  });

  connect();
  setInterval(() => send({ type: "ping" }), 25000);
  return { send };
}
