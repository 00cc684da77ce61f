// Draws a bar chart for every table marked data-chart, from the table's own cells, so that the
// figures a screen reader or a printout gets are the same as the chart's. No inline script.
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
    const datasets = numeric.slice(0, 3).map((col) => ({
      label: headers[col],
      data: rows.map((tr) => value(tr.cells[col]) || 0),
    }));
    new Chart(canvas, {
      type: "bar",
      data: { labels, datasets },
      options: { responsive: true, maintainAspectRatio: false, animation: false },
    });
  });
});
