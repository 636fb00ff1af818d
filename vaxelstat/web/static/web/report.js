// Basrapporter: progressive enhancement of a page that works as plain links and forms.
(() => {
  const form = document.getElementById("report-form");
  const result = document.getElementById("result");
  let chart = null;

  function drawChart() {
    if (chart) { chart.destroy(); chart = null; }
    const data = document.getElementById("chart-data");
    const canvas = document.getElementById("chart");
    if (!data || !canvas || !window.Chart) return;
    const {
      labels, series, lines = [], target = null, previous = null,
    } = JSON.parse(data.textContent);
    const colours = ["#0b5c8a", "#1a7f37", "#b42318", "#8a6100", "#6f42c1", "#0e7490", "#9d174d"];
    const datasets = [];
    // Each count a bar; with a comparison the period before's bar beside it, paler and
    // named so (row by row in order, as the table shows them).
    series.forEach((s, i) => {
      const colour = colours[i % colours.length];
      datasets.push({ label: s.label, data: s.data, backgroundColor: colour });
      if (previous) {
        datasets.push({
          label: `${s.label} (${previous.label})`, data: previous.series[i].data,
          backgroundColor: `${colour}55`, borderColor: colour, borderWidth: 1,
        });
      }
    });
    // Percentages: lines on a 0–100 % axis at the right (the period before's dotted); a
    // service level's target dashed.
    lines.forEach((l, i) => {
      const colour = colours[(series.length + i) % colours.length];
      datasets.push({
        type: "line", label: l.label, data: l.data, yAxisID: "percent",
        borderColor: colour, backgroundColor: colour, spanGaps: true,
      });
      if (previous) {
        datasets.push({
          type: "line", label: `${l.label} (${previous.label})`, data: previous.lines[i].data,
          yAxisID: "percent", borderColor: colour, backgroundColor: colour, spanGaps: true,
          borderDash: [2, 3], pointStyle: "rectRot",
        });
      }
    });
    if (target) {
      datasets.push({
        type: "line", label: target.label, data: labels.map(() => target.value),
        yAxisID: "percent", borderColor: "#111827", backgroundColor: "#111827",
        borderDash: [6, 4], borderWidth: 2, pointRadius: 0,
      });
    }
    const scales = { y: { beginAtZero: true, ticks: { precision: 0 } } };
    if (lines.length) {
      scales.percent = {
        position: "right", min: 0, max: 100, grid: { drawOnChartArea: false },
        ticks: { callback: (value) => `${value} %` },
      };
    }
    chart = new window.Chart(canvas, {
      type: "bar",
      data: { labels, datasets },
      options: {
        animation: false, maintainAspectRatio: false, responsive: true,
        interaction: { mode: "index", intersect: false },
        // A phone's legend in small type, so the bars keep most of the room.
        plugins: canvas.clientWidth < 600
          ? { legend: { labels: { boxWidth: 10, font: { size: 10 } } } } : {},
        scales,
      },
    });
  }

  function tabs() {
    const buttons = [...document.querySelectorAll('.tabs [role="tab"]')];
    const show = (button) => {
      for (const b of buttons) {
        const on = b === button;
        b.setAttribute("aria-selected", on ? "true" : "false");
        b.tabIndex = on ? 0 : -1;
        document.getElementById(b.getAttribute("aria-controls")).hidden = !on;
      }
      // Rapportinnehåll shows the chart and the table together.
      if (button === buttons[0]) document.getElementById("tab-result").hidden = false;
    };
    buttons.forEach((b, i) => {
      b.addEventListener("click", () => show(b));
      b.addEventListener("keydown", (e) => {
        const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
        if (!step) return;
        const next = buttons[(i + step + buttons.length) % buttons.length];
        next.focus(); show(next);
      });
    });
    if (buttons.length) show(buttons[0]);
  }

  async function load(url, push) {
    result.setAttribute("aria-busy", "true");
    const response = await fetch(url, { headers: { "X-Fragment": "1" } });
    if (!response.ok) { window.location.href = url; return; }
    result.innerHTML = await response.text();
    result.removeAttribute("aria-busy");
    if (push) history.pushState({}, "", url);
    const params = new URL(url, window.location.href).searchParams;
    for (const name of ["group", "report"]) {
      const field = form && form.elements[name];
      if (field && params.get(name)) field.value = params.get(name);
    }
    enhance();
  }

  function enhance() {
    drawChart();
    tabs();
    for (const link of result.querySelectorAll("a[data-fragment]")) {
      link.addEventListener("click", (e) => { e.preventDefault(); load(link.href, true); });
    }
    const select = result.querySelector("select[data-report-switch]");
    if (select) {
      select.addEventListener("change", () => {
        const url = new URL(window.location.href);
        url.searchParams.set("report", select.value);
        url.searchParams.delete("table_page");  // another report begins at its first rows
        load(url.toString(), true);
      });
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!form) return;
    const all = form.querySelector("[data-select-all]");
    const boxes = () => [...form.querySelectorAll('.object-list li:not([hidden]) input[name="o"]')];
    // Markera alla is ticked when every object shown is (and the list is not empty).
    const mirror = () => {
      if (all) all.checked = boxes().length > 0 && boxes().every((box) => box.checked);
    };
    if (all) {
      all.addEventListener("change", () => { for (const box of boxes()) box.checked = all.checked; });
      form.addEventListener("change", (e) => { if (e.target.name === "o") mirror(); });
      mirror();
    }
    const filter = form.querySelector("[data-object-filter]");
    if (filter) {
      filter.addEventListener("input", () => {
        const text = filter.value.trim().toLowerCase();
        for (const li of form.querySelectorAll(".object-list li")) {
          li.hidden = text !== "" && !li.dataset.text.includes(text);
        }
        mirror();
      });
    }
    // Another kind of report has other objects: show them at once.
    const kind = form.querySelector("[data-kind-select]");
    if (kind) kind.addEventListener("change", () => form.submit());
    window.addEventListener("popstate", () => load(window.location.href, false));
    enhance();
  });
})();
