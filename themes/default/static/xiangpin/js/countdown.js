/* Campaign countdowns: every <time data-countdown datetime="…"> counts down to
   its datetime each second, in the format the server rendered it in
   ("2天 03:04:05", or "03:04:05" under a day). At zero, an element with
   data-countdown-reload reloads the page once (the campaign has started or
   ended, so the page's state changes); the others stop at 00:00:00.
   Without JavaScript the server's text stays. */
(function () {
  "use strict";
  var RELOAD_KEY = "xp-countdown-reloaded:";

  function pad(value) {
    return value < 10 ? "0" + value : String(value);
  }

  function text(seconds, dayLabel) {
    var days = Math.floor(seconds / 86400);
    var rest = seconds % 86400;
    var clock = pad(Math.floor(rest / 3600)) + ":" + pad(Math.floor((rest % 3600) / 60)) + ":" + pad(rest % 60);
    return days ? days + dayLabel + " " + clock : clock;
  }

  function reloadOnce(target) {
    var key = RELOAD_KEY + location.pathname + "|" + target;
    try {
      if (sessionStorage.getItem(key)) {
        return;
      }
      sessionStorage.setItem(key, "1");
    } catch (error) {
      return; // no storage: never risk a reload loop
    }
    window.setTimeout(function () { location.reload(); }, 400);
  }

  function start() {
    var nodes = Array.prototype.slice.call(document.querySelectorAll("time[data-countdown]"));
    if (!nodes.length) {
      return;
    }
    var targets = nodes.map(function (node) { return Date.parse(node.getAttribute("datetime")); });
    function tick() {
      var now = Date.now();
      nodes.forEach(function (node, index) {
        var target = targets[index];
        if (isNaN(target) || node.dataset.countdownDone) {
          return;
        }
        var remaining = target - now;
        node.textContent = text(Math.max(Math.ceil(remaining / 1000), 0), node.getAttribute("data-day-label") || "d");
        if (remaining <= 0) {
          node.dataset.countdownDone = "1";
          if (node.hasAttribute("data-countdown-reload")) {
            reloadOnce(target);
          }
        }
      });
    }
    tick();
    window.setInterval(tick, 1000);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
