// The /ws/live socket: announcements, with reconnect and "what did I miss" on return.
const LAST_ID_KEY = "expo:last-announcement";
// The latest announcement stays as a banner on every page until dismissed (remembered here).
const DISMISSED_KEY = "expo:dismissed-announcement";
const dismissed = () => Number(localStorage.getItem(DISMISSED_KEY) || 0);
const LATEST_KEY = "expo:latest-announcement";

function storedLatest() {
  try {
    return JSON.parse(localStorage.getItem(LATEST_KEY) || "null");
  } catch (error) {
    return null;
  }
}

export function openLive(container) {
  if (!container || !("WebSocket" in window)) return;
  let delay = 1000;
  const lastId = () => Number(sessionStorage.getItem(LAST_ID_KEY) || 0);

  function show(message, banner = false) {
    if (message.id <= dismissed()) return;
    if (!banner && message.id <= lastId()) return;
    if (container.querySelector(`[data-announcement="${message.id}"]`)) return;
    if (message.id > lastId()) sessionStorage.setItem(LAST_ID_KEY, String(message.id));
    if (message.id >= (storedLatest()?.id || 0)) localStorage.setItem(LATEST_KEY, JSON.stringify(message));
    const item = document.createElement("p");
    item.className = "announcement";
    item.dataset.announcement = String(message.id);
    item.setAttribute("role", "status");
    const text = document.createElement("span");
    if (message.lang) text.lang = message.lang.replace("_", "-");
    text.dir = "auto"; // an English notice inside an Arabic page keeps its own direction
    text.textContent = message.text;
    item.append(text);
    const close = document.createElement("button");
    close.type = "button";
    close.className = "close";
    close.setAttribute("aria-label", container.dataset.closeLabel || "×");
    close.textContent = "×";
    close.addEventListener("click", () => {
      localStorage.setItem(DISMISSED_KEY, String(Math.max(message.id, dismissed())));
      item.remove();
    });
    item.append(close);
    container.append(item);
  }

  const latest = storedLatest();
  if (latest && typeof latest.id === "number") show(latest, true);

  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}/ws/live`);
    socket.addEventListener("open", () => {
      delay = 1000;
      // First visit in this tab: no backlog (the server answers with the newest id);
      // afterwards: whatever was announced since the last one shown.
      const known = sessionStorage.getItem(LAST_ID_KEY);
      socket.send(JSON.stringify(known === null ? { type: "hello" } : { type: "hello", last_id: lastId() }));
    });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      // Other parts of the page (e.g. the meetings bell) listen for their own message types.
      document.dispatchEvent(new CustomEvent("expo:live", { detail: message }));
      if (message.type === "announcement") show(message);
      if (message.type === "welcome") {
        sessionStorage.setItem(LAST_ID_KEY, String(message.last_id));
        if (message.latest) show(message.latest, true);
      }
    });
    socket.addEventListener("close", () => {
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  }
  connect();
}
