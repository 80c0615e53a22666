// The figures page: when /ws/figures says new activity was recorded, fetch the figures again
// (the same URL with ?fragment=1) and swap them in, at most every 5 seconds.
const body = document.getElementById("figures-body");
const MIN_GAP_MS = 5000;
let last = 0;
let pending = null;

async function refresh() {
  pending = null;
  last = Date.now();
  const url = new URL(window.location.href);
  url.searchParams.set("fragment", "1");
  try {
    const response = await fetch(url, { credentials: "same-origin", headers: { accept: "text/html" } });
    if (response.ok) {
      body.innerHTML = await response.text();
      body.dataset.updated = String(last);
    }
  } catch (error) {
    // offline for a moment: the next message tries again
  }
}

function schedule() {
  if (pending) return;
  pending = setTimeout(refresh, Math.max(0, MIN_GAP_MS - (Date.now() - last)));
}

function connect(delay) {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${window.location.host}/ws/figures`);
  socket.addEventListener("open", () => { delay = 1000; });
  socket.addEventListener("message", (event) => {
    try {
      if (JSON.parse(event.data).type === "activity") schedule();
    } catch (error) { /* not JSON: ignored */ }
  });
  socket.addEventListener("close", (event) => {
    if (event.code === 4401 || event.code === 4403) return;
    setTimeout(() => connect(Math.min(delay * 2, 30000)), delay);
  });
}

if (body) {
  last = Date.now();
  connect(1000);
}
