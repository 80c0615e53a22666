// The notification bell in the header: the unread count arrives over /ws/live
// ({"type": "notifications", "unread": N}, re-dispatched by live.js as "expo:live").
const bell = document.querySelector("[data-bell]");

if (bell) {
  const count = bell.querySelector("[data-unread]");
  document.addEventListener("expo:live", (event) => {
    const message = event.detail;
    if (message.type !== "notifications") return;
    const unread = Number(message.unread) || 0;
    count.textContent = unread > 99 ? "99+" : String(unread);
    count.hidden = unread === 0;
    bell.dataset.unread = String(unread);
    bell.setAttribute("aria-label", (bell.dataset.label || "%n").replace("%n", String(unread)));
  });
}
