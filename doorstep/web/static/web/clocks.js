// Live countdowns for every element with data-deadline (ISO 8601): "剩 1:23:45" or "超时 0:05:12".
(function () {
  function fmt(ms) {
    var s = Math.floor(Math.abs(ms) / 1000), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    var d = Math.floor(h / 24);
    if (d >= 1) return d + "天" + (h % 24) + "小时";
    return h + ":" + String(m).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var left = Date.parse(el.dataset.deadline) - now, out = el.querySelector(".left");
      if (!out) return;
      out.textContent = left >= 0 ? "剩 " + fmt(left) : "超时 " + fmt(left);
      if (left < 0) { el.className = el.className.replace(/lv-\w+/, "lv-late"); }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 1000); });
  document.addEventListener("htmx:afterSwap", tick);
})();
