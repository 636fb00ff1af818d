// The export's progress, asked for every second until it is done.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("export");
  const status = document.getElementById("export-status");
  const bar = document.getElementById("export-progress");
  if (!box || !status || document.getElementById("export-file")) return;
  const poll = async () => {
    const response = await fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const data = await response.json();
    status.textContent = data.label;
    bar.value = data.progress;
    if (data.status === "done" || data.status === "failed") window.location.reload();
    else setTimeout(poll, 1000);
  };
  setTimeout(poll, 500);
});
