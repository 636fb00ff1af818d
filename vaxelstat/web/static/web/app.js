// Progressive enhancement only: every page works without it.
document.addEventListener("DOMContentLoaded", () => {
  // On a phone the menu starts closed: the page comes first (☰ opens it).
  const menu = document.querySelector("details.menu");
  if (menu && window.matchMedia("(max-width: 40rem)").matches) menu.open = false;
  // A select that applies itself when changed (its form has a button for no-script use).
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
  // Password strength: length and variety, shown as Svagt / Godkänt / Starkt (the page's
  // words, in its language: #strength-words).
  const words = document.getElementById("strength-words")?.dataset ?? {};
  for (const input of document.querySelectorAll("input[data-strength]")) {
    const meter = document.createElement("p");
    meter.className = "strength";
    meter.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", meter);
    input.addEventListener("input", () => {
      const value = input.value;
      let score = Math.min(value.length, 16) / 4;
      for (const kind of [/[a-zåäö]/, /[A-ZÅÄÖ]/, /[0-9]/, /[^A-Za-zÅÄÖåäö0-9]/]) {
        if (kind.test(value)) score += 1;
      }
      const level = !value ? "" : score < 4 ? "weak" : score < 6.5 ? "fair" : "strong";
      meter.textContent = level ? `${words.label}: ${words[level]}` : "";
      meter.dataset.level = level;
    });
  }
});
