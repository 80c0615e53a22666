// Every page: remember the browser's time zone once, and show live announcements.
import { openLive } from "./live.js";

const TZ_COOKIE = "expo_tz";

function cookie(name) {
  const found = document.cookie.split("; ").find((part) => part.startsWith(name + "="));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : null;
}

function rememberTimezone() {
  let zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    return;
  }
  if (!zone) return;
  for (const input of document.querySelectorAll("input[data-guess-timezone]")) {
    if (!input.value) input.value = zone;
  }
  if (cookie(TZ_COOKIE) === zone) return;
  const secure = location.protocol === "https:" ? "; Secure" : "";
  document.cookie = `${TZ_COOKIE}=${encodeURIComponent(zone)}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`;
  // An anonymous visitor's first page showed times in the expo's zone: show them in theirs.
  const showsTimes = document.querySelector("time") !== null;
  if (showsTimes && document.body.dataset.tzKnown === "no" && document.body.dataset.timezone !== zone) {
    location.reload();
  }
}

rememberTimezone();
openLive(document.getElementById("announcements"));
