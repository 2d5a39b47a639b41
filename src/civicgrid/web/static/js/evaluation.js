// 考核评价: ranking table, radar and trend charts, drill-down to raw counts (evaluate JSON API).
(function () {
  "use strict";
  var form = document.getElementById("evaluation");
  if (!form) { return; }
  var T = JSON.parse(form.dataset.labels || "{}");
  var LEVELS = JSON.parse(form.dataset.levels || "{}");
  var API = "/api/evaluate/";
  var charts = {};
  var rows = [];

  function chart(id) {
    if (!charts[id]) { charts[id] = echarts.init(document.getElementById(id)); }
    return charts[id];
  }
  function params(extra) {
    var p = new URLSearchParams();
    ["system", "level", "period"].forEach(function (k) { p.set(k, form.elements[k].value); });
    Object.keys(extra || {}).forEach(function (k) { p.set(k, extra[k]); });
    return p.toString();
  }
  function get(path, extra) {
    return fetch(API + path + "?" + params(extra), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) { throw new Error((body && (body.detail || body.message)) || T.failed); }
          return body;
        });
      });
  }
  function cell(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value === null || value === undefined ? "–" : value;
    if (cls) { el.className = cls; }
    return el;
  }
  function showError(e) { document.getElementById("eval-error").textContent = e ? String(e.message || e) : ""; }

  function fillLevels() {
    var opt = form.elements.system.selectedOptions[0];
    var allowed = opt ? opt.dataset.levels.split(",") : [];
    var sel = form.elements.level;
    var keep = sel.value;
    sel.textContent = "";
    allowed.forEach(function (lv) {
      var o = document.createElement("option");
      o.value = lv;
      o.textContent = LEVELS[lv] || lv;
      sel.appendChild(o);
    });
    if (allowed.indexOf(keep) >= 0) { sel.value = keep; }
  }

  function drawRanking(data) {
    rows = data;
    var table = document.getElementById("ranking");
    var head = table.tHead;
    var body = table.tBodies[0];
    head.textContent = "";
    body.textContent = "";
    var dims = data.length ? Object.keys(data[0].dimensions) : [];
    var tr = document.createElement("tr");
    [T.rank, T.name, T.parent, T.score].concat(dims).forEach(function (h) { tr.appendChild(cell("th", h)); });
    head.appendChild(tr);
    if (!data.length) {
      var none = document.createElement("tr");
      var td = cell("td", T.none);
      td.colSpan = 4;
      none.appendChild(td);
      body.appendChild(none);
    }
    data.forEach(function (r) {
      var row = document.createElement("tr");
      row.appendChild(cell("td", r.rank, "num"));
      var name = document.createElement("td");
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "linkish";
      btn.textContent = r.name;
      btn.addEventListener("click", function () { select(r); });
      name.appendChild(btn);
      row.appendChild(name);
      row.appendChild(cell("td", r.parent));
      row.appendChild(cell("td", r.score.toFixed(1), "num"));
      dims.forEach(function (d) { row.appendChild(cell("td", (r.dimensions[d] || 0).toFixed(1), "num")); });
      body.appendChild(row);
    });
  }

  function drawRadar(data, name) {
    document.getElementById("radar-name").textContent = name || "";
    chart("chart-radar").setOption({
      tooltip: {},
      legend: { bottom: 0, type: "scroll" },
      radar: { indicator: data.axes.map(function (a) { return { name: a, max: 100 }; }), radius: "65%" },
      series: [{ type: "radar", data: data.series.map(function (s) { return { name: s.name, value: s.values }; })
        .concat([{ name: T.average, value: data.average, lineStyle: { type: "dashed" } }]) }]
    }, true);
  }

  function drawTrend(data) {
    chart("chart-trend").setOption({
      tooltip: { trigger: "axis" },
      legend: { bottom: 0, type: "scroll" },
      grid: { left: 40, right: 10, top: 20, bottom: 50 },
      xAxis: { type: "category", data: data.periods },
      yAxis: { type: "value", max: 100 },
      series: data.series.slice(0, 10).map(function (s) { return { type: "line", name: s.name, data: s.scores, connectNulls: true }; })
    }, true);
  }

  function explainRows(tbody, nodes, depth) {
    nodes.forEach(function (n) {
      var tr = document.createElement("tr");
      var name = cell("td", n.name);
      name.style.paddingLeft = (0.6 + depth * 1.2) + "rem";
      tr.appendChild(name);
      tr.appendChild(cell("td", T.weight + " " + (n.global_weight * 100).toFixed(1) + "%", "num"));
      tr.appendChild(cell("td", T.score + " " + n.score.toFixed(1), "num"));
      tr.appendChild(cell("td", T.contribution + " " + n.contribution.toFixed(2), "num"));
      var leaf = "";
      if (n.leaf) {
        leaf = T.raw + " " + n.leaf.display;
        if (n.leaf.counts && n.leaf.counts.length) {
          leaf += " (" + n.leaf.counts.map(function (c) { return (c.label || c.key) + " " + c.value; }).join("，") + ")";
        }
        if (n.leaf.text) { leaf += " " + n.leaf.text; }
      }
      tr.appendChild(cell("td", leaf || n.formula));
      tbody.appendChild(tr);
      explainRows(tbody, n.children || [], depth + 1);
    });
  }

  function select(r) {
    get("radar", { keys: r.key }).then(function (d) { drawRadar(d, r.name); }).catch(showError);
    get("explain", { entity: r.key }).then(function (ex) {
      document.getElementById("explain-name").textContent = r.name;
      document.getElementById("explain-summary").textContent = ex.summary;
      var tbody = document.getElementById("explain").tBodies[0];
      tbody.textContent = "";
      explainRows(tbody, ex.tree, 0);
    }).catch(showError);
  }

  function run() {
    showError(null);
    document.getElementById("export-xlsx").href = API + "export.xlsx?" + params();
    document.getElementById("print-report").href = API + "report.html?" + params();
    var tbody = document.getElementById("ranking").tBodies[0];
    tbody.textContent = "";
    tbody.appendChild(document.createElement("tr")).appendChild(cell("td", T.loading));
    get("ranking").then(function (data) {
      drawRanking(data);
      form.dataset.loaded = String(data.length);
      if (data.length) { select(data[0]); }
    }).catch(showError);
    get("trend", { step: form.elements.step.value, period: form.elements.period.value.slice(0, 4) }).then(drawTrend).catch(function () { return null; });
  }

  form.elements.system.addEventListener("change", fillLevels);
  form.addEventListener("submit", function (e) { e.preventDefault(); run(); });
  window.addEventListener("resize", function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });
  fillLevels();
  run();
})();
