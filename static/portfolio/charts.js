// Draws a bar chart for every table marked data-chart, from the table's own cells, so that the
// figures a screen reader or a printout gets are the same as the chart's. No inline script.
//
// Each measure keeps its own scale: the first figure column (activities, in tens) is read on the
// left axis, the others (participants, in hundreds) on a right axis, so that no measure's bars
// vanish beside another's. A column of whole numbers gets whole-number ticks (no 0.2 activities).
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Chart === "undefined") return;
  document.querySelectorAll("canvas[data-chart-for]").forEach((canvas) => {
    const table = document.getElementById(canvas.dataset.chartFor);
    if (!table) return;
    const headers = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    const rows = [...table.querySelectorAll("tbody tr")];
    const labels = rows.map((tr) => tr.cells[0].textContent.trim());
    // A figure's cell carries its plain value (data-value); its text is grouped for the reader.
    const value = (td) => parseFloat(td?.dataset.value ?? "");
    const numeric = headers.slice(1).map((_, i) => i + 1).filter((col) =>
      rows.every((tr) => !tr.cells[col]?.textContent.trim() || !isNaN(value(tr.cells[col]))));
    const shown = numeric.slice(0, 3);
    const whole = (cols) => cols.every((col) => rows.every((tr) => Number.isInteger(value(tr.cells[col]) || 0)));
    const axis = (cols, position) => ({
      type: "linear",
      position,
      beginAtZero: true,
      title: { display: true, text: cols.map((col) => headers[col]).join(" / ") },
      // Whole-number ticks for counts; Chart.js otherwise steps a small range by 0.2.
      ticks: whole(cols) ? { precision: 0 } : {},
      grid: { drawOnChartArea: position === "left" },
    });
    const [first, ...rest] = shown;
    const scales = { y: axis([first], "left") };
    if (rest.length) scales.y1 = axis(rest, "right");
    const datasets = shown.map((col) => ({
      label: col === first ? headers[col] : `${headers[col]} →`,
      data: rows.map((tr) => value(tr.cells[col]) || 0),
      yAxisID: col === first ? "y" : "y1",
    }));
    new Chart(canvas, {
      type: "bar",
      data: { labels, datasets },
      options: { responsive: true, maintainAspectRatio: false, animation: false, scales },
    });
  });
});
