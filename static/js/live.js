// The /ws/live socket: announcements, with reconnect and "what did I miss" on return.
const LAST_ID_KEY = "expo:last-announcement";

export function openLive(container) {
  if (!container || !("WebSocket" in window)) return;
  let delay = 1000;
  const lastId = () => Number(sessionStorage.getItem(LAST_ID_KEY) || 0);

  function show(message) {
    if (message.id <= lastId()) return;
    sessionStorage.setItem(LAST_ID_KEY, String(message.id));
    const item = document.createElement("p");
    item.className = "announcement";
    item.setAttribute("role", "status");
    if (message.lang) item.lang = message.lang.replace("_", "-");
    item.textContent = message.text;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "close";
    close.setAttribute("aria-label", container.dataset.closeLabel || "×");
    close.textContent = "×";
    close.addEventListener("click", () => item.remove());
    item.append(close);
    container.append(item);
  }

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
      if (message.type === "welcome") sessionStorage.setItem(LAST_ID_KEY, String(message.last_id));
    });
    socket.addEventListener("close", () => {
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  }
  connect();
}
