// Progressive enhancement only: every page works without it.
document.addEventListener("DOMContentLoaded", () => {
  // On a phone the menu starts closed: the page comes first (☰ opens it). On a wider screen
  // it stays as the user left it: folded to a narrow bar, or open.
  const menu = document.querySelector("details.menu");
  if (menu) {
    const phone = window.matchMedia("(max-width: 40rem)").matches;
    if (phone || localStorage.getItem("menu") === "folded") menu.open = false;
    menu.addEventListener("toggle", () => {
      if (!window.matchMedia("(max-width: 40rem)").matches) {
        localStorage.setItem("menu", menu.open ? "open" : "folded");
      }
    });
  }
  // A select that applies itself when changed (its form has a button for no-script use).
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
  // Controls that need this script (hidden without it).
  for (const part of document.querySelectorAll("[data-enhanced]")) part.hidden = false;
  // Markera alla / Avmarkera alla: every box of the fieldset.
  for (const button of document.querySelectorAll("button[data-tick]")) {
    button.addEventListener("click", () => {
      for (const box of button.closest("fieldset").querySelectorAll("input[type=checkbox]")) {
        box.checked = button.dataset.tick === "all";
      }
    });
  }
  // The grants' filter: the collection points and objects whose label holds the text, or
  // only the ticked ones; Visa inställningar shows or hides the lists.
  for (const grants of document.querySelectorAll("[data-grants]")) {
    const text = grants.querySelector("[data-grant-filter]");
    const only = grants.querySelector("[data-grant=checked]");
    const lists = grants.querySelector("[data-grant-lists]");
    const apply = () => {
      const wanted = text.value.trim().toLowerCase();
      const onlyTicked = only.getAttribute("aria-pressed") === "true";
      for (const box of lists.querySelectorAll("input[type=checkbox]")) {
        const row = box.closest("div") || box.parentElement;
        const shown = (!wanted || row.textContent.toLowerCase().includes(wanted))
          && (!onlyTicked || box.checked);
        row.hidden = !shown;
      }
    };
    text.addEventListener("input", apply);
    only.addEventListener("click", () => {
      only.setAttribute("aria-pressed", only.getAttribute("aria-pressed") === "true" ? "false" : "true");
      apply();
    });
    grants.querySelector("[data-grant=clear]").addEventListener("click", () => {
      text.value = "";
      only.setAttribute("aria-pressed", "false");
      apply();
    });
    const settings = grants.querySelector("[data-grant=settings]");
    settings.addEventListener("click", () => {
      lists.hidden = !lists.hidden;
      settings.setAttribute("aria-expanded", String(!lists.hidden));
    });
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
