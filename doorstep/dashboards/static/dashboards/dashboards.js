// The dashboard's charts (ECharts) from the JSON the page carries (#dashboard-data), and the
// sortable tables. A click on a point opens the orders behind it (each point carries its url).
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var narrow = window.matchMedia("(max-width: 700px)").matches;

  function option(spec, kind) {
    var horizontal = kind === "bar" && spec.names.length > 6;
    var category = { type: "category", data: spec.names, axisLabel: { interval: 0, rotate: horizontal || !narrow ? 0 : 30 } };
    // Every chart shows percentages: start the axis just below the lowest one, not at 0, so
    // 92% and 98% do not look alike.
    var value = { type: "value", max: 100, min: function (v) { return Math.max(0, Math.floor((v.min - 5) / 10) * 10); } };
    return {
      animation: false,
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null || v === undefined ? "—" : v; } },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? Object.assign({}, category, { inverse: true }) : value,
      series: spec.series.map(function (s) {
        return { name: s.name, type: kind, data: s.data, connectNulls: false, symbolSize: 7, barMaxWidth: 18 };
      }),
    };
  }

  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var spec = data[el.dataset.chart];
    if (!spec || !spec.names.length) { el.textContent = "没有数据"; el.classList.add("empty"); return; }
    if (el.dataset.kind === "bar" && spec.names.length > 6) {
      // Horizontal bars: room for every series of every row.
      el.style.height = Math.max(320, spec.names.length * (spec.series.length * 9 + 16) + 60) + "px";
    }
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption(option(spec, el.dataset.kind));
    chart.on("click", function (p) { if (p.data && p.data.url) { window.location.href = p.data.url; } });
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });

  // Sortable tables: click a header; click again to reverse. Empty figures sort last.
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("th").forEach(function (th, col) {
      th.classList.add("sort-head");
      th.addEventListener("click", function (e) {
        if (e.target.closest("a.def")) { return; }
        var numeric = th.dataset.sort === "number";
        var down = th.dataset.dir !== "desc";
        table.querySelectorAll("th").forEach(function (h) { delete h.dataset.dir; });
        th.dataset.dir = down ? "desc" : "asc";
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows).filter(function (r) { return r.cells.length > 1; });
        rows.sort(function (a, b) {
          var x = a.cells[col].dataset.sortValue, y = b.cells[col].dataset.sortValue;
          if (numeric) {
            if (x === "" && y === "") { return 0; }
            if (x === "") { return 1; }
            if (y === "") { return -1; }
            return down ? parseFloat(y) - parseFloat(x) : parseFloat(x) - parseFloat(y);
          }
          return down ? y.localeCompare(x, "zh") : x.localeCompare(y, "zh");
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
