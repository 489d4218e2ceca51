/* A campaign's live page: draws units sold over time (cumulative, one line per
   product) and sold / quota left per product with the vendored Chart.js from the
   page's JSON (json_script "campaign-live-data"), then polls the live.json
   endpoint every few seconds and redraws the charts, the four figures and the
   product table. The table holds the exact figures; without JavaScript the page
   simply has no charts and no refresh. */
(function () {
  "use strict";
  var node = document.getElementById("campaign-live-data");
  if (!node) {
    return;
  }
  var data = JSON.parse(node.textContent);
  var texts = data.texts || {};
  var COLOURS = ["#c8161d", "#1f7a4d", "#e8772e", "#5b2a86", "#1c5d99", "#b8860b", "#6b756f", "#d6336c"];
  var hasChart = typeof window.Chart !== "undefined";
  var unitsChart = null;
  var quotaChart = null;

  function money(value) {
    return "¥" + Number(value).toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  function clock(ms) {
    var date = new Date(ms);
    function pad(n) { return n < 10 ? "0" + n : String(n); }
    return (date.getMonth() + 1) + "-" + date.getDate() + " " + pad(date.getHours()) + ":" + pad(date.getMinutes());
  }

  function unitDatasets(payload) {
    return payload.series.map(function (series, index) {
      var colour = COLOURS[index % COLOURS.length];
      return {
        label: series.label, stepped: true, borderColor: colour, backgroundColor: colour, pointRadius: 2,
        data: series.points.map(function (point) { return { x: point[0], y: point[1] }; })
      };
    });
  }

  function quotaData(payload) {
    var limited = payload.products.filter(function (row) { return row.quota !== null; });
    return {
      labels: limited.map(function (row) { return row.title; }),
      datasets: [
        { label: texts.sold, data: limited.map(function (row) { return row.sold; }), backgroundColor: "#8a938e" },
        { label: texts.quota_left, data: limited.map(function (row) { return row.quota_left; }), backgroundColor: "#c8161d" }
      ]
    };
  }

  function draw(payload) {
    if (!hasChart) {
      return;
    }
    var unitsCanvas = document.getElementById("chart-units");
    var quotaCanvas = document.getElementById("chart-quota");
    if (unitsCanvas && !unitsChart) {
      unitsChart = new window.Chart(unitsCanvas, {
        type: "line",
        data: { datasets: unitDatasets(payload) },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false, parsing: false,
          interaction: { mode: "nearest", intersect: false },
          scales: {
            x: { type: "linear", min: payload.starts_at, max: Math.min(Math.max(payload.generated_at, payload.starts_at + 60000), payload.ends_at), ticks: { callback: clock, maxTicksLimit: 6 } },
            y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: texts.units } }
          },
          plugins: { tooltip: { callbacks: { title: function (items) { return items.length ? clock(items[0].parsed.x) : ""; } } } }
        }
      });
    } else if (unitsChart) {
      unitsChart.data.datasets = unitDatasets(payload);
      unitsChart.options.scales.x.max = Math.min(Math.max(payload.generated_at, payload.starts_at + 60000), payload.ends_at);
      unitsChart.update();
    }
    if (quotaCanvas && !quotaChart) {
      quotaChart = new window.Chart(quotaCanvas, {
        type: "bar", data: quotaData(payload),
        options: { responsive: true, maintainAspectRatio: false, animation: false, indexAxis: "y",
                   scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } } }
      });
    } else if (quotaChart) {
      var fresh = quotaData(payload);
      quotaChart.data.labels = fresh.labels;
      quotaChart.data.datasets[0].data = fresh.datasets[0].data;
      quotaChart.data.datasets[1].data = fresh.datasets[1].data;
      quotaChart.update();
    }
  }

  function setText(selector, value) {
    var target = document.querySelector(selector);
    if (target) {
      target.textContent = value;
    }
  }

  function fill(payload) {
    setText("[data-live=orders]", payload.totals.orders);
    setText("[data-live=units]", payload.totals.units);
    setText("[data-live=sales]", money(payload.totals.sales));
    setText("[data-live=buyers]", payload.totals.buyers);
    setText("[data-live=state]", payload.state_label);
    payload.products.forEach(function (row) {
      var line = document.querySelector("#campaign_results tr[data-item='" + row.item + "']");
      if (!line) {
        return;
      }
      line.querySelector("[data-cell=sold]").textContent = row.sold;
      line.querySelector("[data-cell=quota_left]").textContent = row.quota_left === null ? "—" : row.quota_left;
      line.querySelector("[data-cell=revenue]").textContent = money(row.revenue);
      line.querySelector("[data-cell=buyers]").textContent = row.buyers;
    });
    setText("#campaign_live_updated", clock(payload.generated_at));
  }

  function poll() {
    window.fetch(data.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (payload) {
        if (payload) {
          fill(payload);
          draw(payload);
        }
      })
      .catch(function () { /* try again at the next tick */ });
  }

  draw(data);
  window.setInterval(poll, (data.poll_seconds || 5) * 1000);
})();
