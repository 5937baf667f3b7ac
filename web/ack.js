/*
 * The acknowledgement page's countdowns, kept running on the daemon's
 * clock: the page carries the server's time (body data-now) and each
 * deadline (data-due); the phone's own clock only measures the seconds
 * since the page came.  Without this script the page shows the times as
 * they were when it was served.
 */
"use strict";

(function () {
  const served = Date.parse(document.body.dataset.now || "");
  if (Number.isNaN(served)) return;
  const skew = served - Date.now();

  function say(ms) {
    const m = Math.floor(Math.abs(ms) / 60000);
    const text = m >= 1440 ? `${Math.floor(m / 1440)}天${Math.floor(m / 60) % 24}小时`
      : m >= 60 ? `${Math.floor(m / 60)}小时${m % 60}分钟` : `${m}分钟`;
    return `${ms >= 0 ? "剩余" : "已超时"} ${text}`;
  }

  function tick() {
    const now = Date.now() + skew;
    for (const e of document.querySelectorAll(".left[data-due]")) {
      const left = Date.parse(e.dataset.due) - now;
      const text = say(left);
      if (e.textContent !== text) e.textContent = text;
      e.parentNode.classList.toggle("overdue", left <= 0);
    }
  }

  tick();
  setInterval(tick, 15000);
})();
