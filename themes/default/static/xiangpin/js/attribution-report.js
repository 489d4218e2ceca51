/* 收益归属报表: draws the trend and top-10 charts from the page's JSON
   (json_script "attribution-chart-data") with the vendored Chart.js.
   The table under the charts holds the exact figures; without JavaScript
   the page simply has no charts. */
(function () {
  "use strict";
  var node = document.getElementById("attribution-chart-data");
  if (!node || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(node.textContent);
  var texts = data.texts || {};
  var SALES = "#1f7a4d";
  var INCOME = "#e8772e";

  function numbers(values) {
    return values.map(Number);
  }

  function money(value) {
    return "¥" + Number(value).toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  function shortMoney(value) {
    var abs = Math.abs(value);
    if (abs >= 1e8) {
      return "¥" + (value / 1e8).toLocaleString("zh-CN", { maximumFractionDigits: 2 }) + "亿";
    }
    if (abs >= 1e4) {
      return "¥" + (value / 1e4).toLocaleString("zh-CN", { maximumFractionDigits: 2 }) + "万";
    }
    return "¥" + Number(value).toLocaleString("zh-CN");
  }

  function datasets(series, kind) {
    return [
      { label: texts.sales, data: numbers(series.sales), borderColor: SALES, backgroundColor: kind === "line" ? "rgba(31, 122, 77, 0.12)" : SALES, fill: kind === "line", cubicInterpolationMode: "monotone" },
      { label: texts.income, data: numbers(series.income), borderColor: INCOME, backgroundColor: INCOME, cubicInterpolationMode: "monotone" }
    ];
  }

  function options(horizontal) {
    var valueAxis = { beginAtZero: true, ticks: { callback: shortMoney } };
    return {
      responsive: true,
      maintainAspectRatio: false,
      indexAxis: horizontal ? "y" : "x",
      interaction: { mode: "index", intersect: false },
      plugins: {
        tooltip: {
          callbacks: {
            label: function (context) {
              var value = horizontal ? context.parsed.x : context.parsed.y;
              return context.dataset.label + "：" + money(value);
            }
          }
        }
      },
      scales: horizontal ? { x: valueAxis } : { y: valueAxis }
    };
  }

  function draw(id, series, type, horizontal) {
    var canvas = document.getElementById(id);
    if (!canvas || !series || !series.labels.length) {
      return;
    }
    new window.Chart(canvas, { type: type, data: { labels: series.labels, datasets: datasets(series, type) }, options: options(horizontal) });
  }

  draw("chart-trend", data.trend, "line", false);
  draw("chart-villages", data.villages, "bar", true);
  draw("chart-brands", data.brands, "bar", true);
})();
