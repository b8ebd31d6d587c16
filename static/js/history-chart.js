// Progress chart: mean pain before/after sets per day (left axis, 0–10) and how far symptoms
// reach after sets (right axis, 0 none … 5 foot), with the stage as a step line. Data comes from
// a json_script element, so the page needs no inline script.
(function () {
  "use strict";
  var source = document.getElementById("history-data");
  var canvas = document.getElementById("history-chart");
  if (!source || !canvas || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  new Chart(canvas, {
    type: "line",
    data: {
      labels: data.dates,
      datasets: [
        { label: "Pain before", data: data.pain_pre, borderColor: "#6c757d", yAxisID: "pain", tension: 0.2 },
        { label: "Pain after", data: data.pain_post, borderColor: "#dc3545", yAxisID: "pain", tension: 0.2 },
        { label: "Symptoms reach (0–5)", data: data.level, borderColor: "#fd7e14", borderDash: [4, 4], yAxisID: "level", stepped: true },
        { label: "Stage", data: data.stage, borderColor: "#2a8c82", borderWidth: 3, yAxisID: "level", stepped: true, pointRadius: 0 }
      ]
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        pain: { position: "left", min: 0, max: 10, title: { display: true, text: "Pain 0–10" } },
        level: { position: "right", min: 0, max: 5, ticks: { stepSize: 1 }, grid: { drawOnChartArea: false }, title: { display: true, text: "Level / stage" } }
      }
    }
  });
})();
