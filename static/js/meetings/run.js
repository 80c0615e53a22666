// The scheduler run page: polls the run's progress while it runs (phase, objective, bound),
// then reloads once to show the draft.
const section = document.querySelector("[data-run]");

function label(phase) {
  return section.dataset[`labelPhase${phase.charAt(0).toUpperCase()}${phase.slice(1)}`] || phase;
}

function show(progress) {
  const bar = section.querySelector("progress");
  bar.value = progress.percent || 0;
  bar.textContent = `${progress.percent || 0} %`;
  section.querySelector("[data-phase]").textContent = label(progress.phase || "");
  section.querySelector("[data-objective]").textContent = progress.objective ?? "—";
  section.querySelector("[data-bound]").textContent = progress.bound ?? "—";
  section.querySelector("[data-elapsed]").textContent = progress.elapsed ?? 0;
}

async function poll() {
  try {
    const response = await fetch(`/organizer/meetings/runs/${section.dataset.run}/progress`, {
      headers: { Accept: "application/json" },
    });
    if (response.ok) {
      const body = await response.json();
      show(body.progress || {});
      if (body.status !== "running") {
        location.reload();
        return;
      }
    }
  } catch {
    // the server restarts or the network blips: try again shortly
  }
  setTimeout(poll, 700);
}

if (section) {
  section.querySelector("[data-phase]").textContent = label(section.querySelector("[data-phase]").textContent);
  if (section.dataset.status === "running") poll();
}
