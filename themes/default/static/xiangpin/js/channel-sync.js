/* 渠道看板: draws a channel's calls and failed calls per hour (last 24 clock
   hours) from the page's JSON (json_script "channel-chart-data") with the
   vendored Chart.js. The table under the chart holds the exact figures;
   without JavaScript the page simply has no chart. */
(function () {
  "use strict";
  var node = document.getElementById("channel-chart-data");
  var canvas = document.getElementById("chart-channel-calls");
  if (!node || !canvas || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(node.textContent);
  var texts = data.texts || {};
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: texts.calls, data: data.calls, backgroundColor: "#1f7a4d" },
        { label: texts.failed_calls, data: data.failed_calls, backgroundColor: "#c0392b" }
      ]
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
    }
  });
})();
