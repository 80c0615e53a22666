// The pipeline board: drag a card onto another column to move the deal there. The move is
// the same POST as the card's own form (which works without JavaScript): the server checks
// the stage rules and the deal's version; a refusal lists what is missing, a 409 says what
// changed since the page was loaded. Messages come from the server, already translated.
const board = document.querySelector(".board");
const message = document.getElementById("board-message");

function show(lines) {
  message.replaceChildren();
  for (const line of lines) {
    const p = document.createElement("p");
    p.textContent = line;
    message.append(p);
  }
  message.hidden = false;
  message.scrollIntoView({ block: "nearest" });
}

async function move(card, stage) {
  const form = card.querySelector("form.move");
  const body = new URLSearchParams(new FormData(form));
  body.set("stage", stage);
  card.classList.add("moving");
  let response;
  try {
    response = await fetch(form.action, {
      method: "POST",
      body,
      headers: { accept: "application/json", "x-csrf-token": board.dataset.csrf },
      credentials: "same-origin",
    });
  } catch {
    card.classList.remove("moving");
    show([board.dataset.offline]);
    return;
  }
  if (response.ok) {
    window.location.reload();
    return;
  }
  card.classList.remove("moving");
  const data = await response.json().catch(() => ({}));
  const error = data.error || {};
  const lines = [error.message || String(response.status)];
  for (const item of error.missing || []) lines.push("• " + item.message);
  for (const change of error.changes || []) lines.push("• " + change.text);
  show(lines);
}

if (board) {
  board.addEventListener("dragstart", (event) => {
    const card = event.target.closest(".deal-card");
    if (!card) return;
    event.dataTransfer.setData("text/plain", card.dataset.deal);
    event.dataTransfer.effectAllowed = "move";
  });
  for (const column of board.querySelectorAll(".column")) {
    column.addEventListener("dragover", (event) => {
      event.preventDefault();
      column.classList.add("drop-target");
    });
    column.addEventListener("dragleave", () => column.classList.remove("drop-target"));
    column.addEventListener("drop", (event) => {
      event.preventDefault();
      column.classList.remove("drop-target");
      const id = event.dataTransfer.getData("text/plain");
      const card = board.querySelector(`.deal-card[data-deal="${CSS.escape(id)}"]`);
      if (card && card.dataset.stage !== column.dataset.stage) move(card, column.dataset.stage);
    });
  }
}
