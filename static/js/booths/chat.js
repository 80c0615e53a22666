// Booth chat (protocol: docs/protocols.md). One socket per page; after a drop it
// reconnects and says "hello" with the last message id it has, so nothing is lost.
const root = document.querySelector("[data-chat]");
if (root) start(root);

function start(root) {
  const staff = root.dataset.chat === "staff";
  const boothId = root.dataset.boothId;
  const threadId = root.dataset.threadId ? Number(root.dataset.threadId) : null;
  const log = root.querySelector(".chat-log");
  const status = root.querySelector(".chat-status");
  const form = root.querySelector(".chat-form");
  const label = (name) => root.dataset["label" + name] || "";
  const seen = new Set([...log.querySelectorAll("[data-id]")].map((li) => Number(li.dataset.id)));
  const pending = new Map();
  let lastId = Math.max(0, ...seen);
  let socket = null;
  let backoff = 500;
  let counter = 0;
  let lastNotice = null;  // a notice (e.g. staff_offline) is said once until staff come online

  const setStatus = (text) => { if (status) status.textContent = text; };
  const online = (n) => n > 0 ? label("Online").replace("{n}", n) : (label("Offline") || label("Online").replace("{n}", 0));

  // Times in the reader's zone and language (the page's <html lang> and data-timezone).
  let clock = null;
  try {
    clock = new Intl.DateTimeFormat(document.documentElement.lang || undefined,
      { dateStyle: "short", timeStyle: "short", timeZone: document.body.dataset.timezone || undefined });
  } catch { clock = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "short" }); }

  function line(className, who, text, id, at) {
    const li = document.createElement("li");
    li.className = className;
    if (id) li.dataset.id = id;
    if (who) {
      const w = document.createElement("span");
      w.className = "who";
      w.textContent = who;
      if (at) {
        const t = document.createElement("time");
        t.dateTime = at;
        t.textContent = clock.format(new Date(at));
        w.append(" · ", t);
      }
      li.append(w);
    }
    const b = document.createElement("span");
    b.className = "body";
    b.textContent = text;
    li.append(b);
    return li;
  }

  function show(msg) {
    if (seen.has(msg.id)) return;
    lastId = Math.max(lastId, msg.id);
    if (staff && threadId !== msg.thread_id) {
      // Another conversation (or the overview): its entry in the list shows the news.
      seen.add(msg.id);
      if (!msg.from_staff) markThread(msg);
      return;
    }
    seen.add(msg.id);
    const mine = staff ? msg.from_staff : !msg.from_staff;
    // A visitor's own messages say "You" whether the echo or the ack arrives first (staff see
    // names: a colleague's message is from_staff too).
    const who = !staff && mine ? (label("You") || msg.sender) : msg.sender;
    const li = line("msg " + (mine ? "mine" : "theirs"), who, msg.body, msg.id, msg.at);
    let before = null;
    for (const el of log.children) {
      if (Number(el.dataset.id) > msg.id) { before = el; break; }
    }
    log.insertBefore(li, before);
    li.scrollIntoView({ block: "nearest" });
    if (staff && threadId && !msg.from_staff) send({ type: "read", thread_id: threadId, last_id: msg.id });
  }

  // A visitor's message in a conversation that is not open: that conversation moves to the
  // top of the list with the message's first words (a new conversation gets an entry).
  function markThread(msg) {
    const list = document.querySelector("nav.threads ul");
    if (!list) return;
    let link = list.querySelector(`[data-thread-id="${msg.thread_id}"]`);
    if (!link) {
      list.querySelector("li.meta")?.remove();
      link = document.createElement("a");
      link.href = `/booths/${boothId}/inbox?thread=${msg.thread_id}`;
      link.dataset.threadId = msg.thread_id;
      const name = document.createElement("strong");
      name.textContent = msg.sender;
      link.append(name);
      const li = document.createElement("li");
      li.append(link);
      list.prepend(li);
    }
    let preview = link.querySelector(".preview");
    if (!preview) {
      preview = document.createElement("span");
      preview.className = "preview meta";
      link.append(preview);
    }
    preview.textContent = msg.body.length > 80 ? msg.body.slice(0, 79) + "…" : msg.body;
    link.classList.add("has-new");
    list.prepend(link.closest("li"));
  }

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/booths/${boothId}/chat`);
    socket.addEventListener("open", () => {
      backoff = 500;
      send({ type: "hello", last_id: lastId });
    });
    socket.addEventListener("message", (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch { return; }
      switch (frame.type) {
        case "welcome":
          root.dataset.connected = "yes";
          setStatus(online(frame.staff_online));
          if (frame.staff_online > 0) lastNotice = null;
          if (staff && threadId && lastId) send({ type: "read", thread_id: threadId, last_id: lastId });
          break;
        case "presence":
          setStatus(online(frame.staff_online));
          if (frame.staff_online > 0) lastNotice = null;
          break;
        case "message": show(frame); break;
        case "ack": {
          const body = pending.get(frame.client_id);
          pending.delete(frame.client_id);
          if (body !== undefined) {
            show({ id: frame.id, thread_id: frame.thread_id, from_staff: staff, sender: label("You"), body,
                   at: new Date().toISOString() });
          }
          break;
        }
        case "notice":
          if (frame.code && frame.code === lastNotice) break;
          lastNotice = frame.code || null;
          log.append(line("msg notice", "", frame.message));
          break;
        case "error": {
          // Said in words, in the reader's language (the page's data-label-error-<code>).
          const key = "Error" + String(frame.code || "").replace(/(^|_)([a-z])/g, (m, s, c) => c.toUpperCase());
          log.append(line("msg notice error", "", label(key) || label("Error")));
          break;
        }
        default: break;
      }
    });
    socket.addEventListener("close", (event) => {
      root.dataset.connected = "no";
      if (event.code >= 4400 && event.code < 4500) return;  // not allowed: do not retry
      setStatus(label("Reconnecting"));
      for (const body of pending.values()) log.append(line("msg notice error", "", label("Error") + ": " + body));
      pending.clear();
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 10000);
    });
  }

  if (form) {
    const input = form.querySelector("textarea");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const body = input.value.trim();
      if (!body) return;
      const clientId = "c" + (++counter);
      const frame = staff ? { type: "send", thread_id: threadId, body, client_id: clientId }
                          : { type: "send", body, client_id: clientId };
      if (!send(frame)) {
        log.append(line("msg notice error", "", label("Error")));
        return;
      }
      pending.set(clientId, body);
      input.value = "";
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  }
  connect();
}
