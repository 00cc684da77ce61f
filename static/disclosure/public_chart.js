// The public pages' charts: for every canvas[data-public-chart-for], a line chart of the targets
// and actuals by fiscal year, read from the cells of the indicator's own table (their data-value),
// so that the chart and the table a screen reader or a printout gets show the same figures. Both
// lines on one axis: a target and its actual are in the same unit. No inline script (CSP).
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Chart === "undefined") return;
  document.querySelectorAll("canvas[data-public-chart-for]").forEach((canvas) => {
    const table = document.getElementById(canvas.dataset.publicChartFor);
    if (!table) return;
    const headers = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    const rows = [...table.querySelectorAll("tbody tr")];
    const labels = rows.map((tr) => tr.cells[0].textContent.trim());
    const value = (td) => {
      const number = parseFloat(td?.dataset.value ?? "");
      return isNaN(number) ? null : number;
    };
    const datasets = [1, 2].map((col) => ({
      label: headers[col],
      data: rows.map((tr) => value(tr.cells[col])),
      borderDash: col === 1 ? [6, 4] : [],
      spanGaps: true,
    }));
    new Chart(canvas, {
      type: "line",
      data: { labels, datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { beginAtZero: true } },
      },
    });
  });
});
