// 一网统管大屏: map of grids from their own polygons, key figures, charts, latest orders.
// Refreshes from /api/dashboard/summary without reloading; drill-down by polygon or breadcrumb.
// Hot issues and early warnings come from /api/dashboard/intel (slower, refreshed less often):
// a tab each beside the latest orders, and hot issues as circles on the map.
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  if (!root) { return; }
  var T = JSON.parse(root.dataset.labels || "{}");
  var state = { nodeId: root.dataset.nodeId, measure: root.dataset.measure, data: null };
  var RISK = { red: "#d62828", orange: "#f77f00", yellow: "#fcbf49", blue: "#4d7cc7", green: "#2a9d8f" };
  var RAMP = ["#edf8e9", "#c7e9c0", "#a1d99b", "#fdae6b", "#f16913", "#d94801", "#8c2d04"];
  var map = L.map("map", { zoomSnap: 0.25, attributionControl: false });
  map.setView([28.2, 112.9], 12);
  var features = null;
  var layer = null;
  var charts = {};
  map.createPane("hot");
  map.getPane("hot").style.zIndex = 450;  // above the grid polygons, which are redrawn often
  var hotLayer = null;

  function chart(id) {
    if (!charts[id]) { charts[id] = echarts.init(document.getElementById(id)); }
    return charts[id];
  }

  function text(el, value) { el.textContent = value; }

  function rampColour(value, max) {
    if (!value) { return RAMP[0]; }
    var i = Math.min(RAMP.length - 1, 1 + Math.floor((value / Math.max(max, 1)) * (RAMP.length - 2)));
    return RAMP[i];
  }

  function drawMap(data) {
    if (!features) { return; }
    var byId = {};
    data.grids.forEach(function (g) { byId[g.id] = g; });
    var max = 0;
    data.grids.forEach(function (g) { max = Math.max(max, g[data.measure] || 0); });
    var shown = features.features.filter(function (f) { return byId[f.properties.id]; });
    if (layer) { map.removeLayer(layer); }
    layer = L.geoJSON({ type: "FeatureCollection", features: shown }, {
      style: function (f) {
        var g = byId[f.properties.id];
        var fill = data.measure === "risk"
          ? (g.risk && RISK[g.risk.colour]) || "#cbd2d9"
          : rampColour(g[data.measure], max);
        return { color: "#33415c", weight: 1, fillOpacity: 0.7, fillColor: fill };
      },
      onEachFeature: function (f, l) {
        var g = byId[f.properties.id];
        var tip = g.name + " · " + T.open + " " + g.open + " · " + T.overdue + " " + g.overdue;
        if (g.risk && g.risk.colour) { tip += " · " + T[g.risk.colour] + " (" + T.score + " " + g.risk.score + ")"; }
        l.bindTooltip(tip);
        l.on("click", function () {
          var target = g.branch || g.id;
          if (String(target) !== String(state.nodeId)) { go(target); }
        });
      }
    }).addTo(map);
    if (shown.length && layer.getBounds().isValid()) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); }
    root.dataset.gridsShown = String(shown.length);
    drawLegend(data, max);
  }

  function drawLegend(data, max) {
    var el = document.getElementById("legend");
    el.textContent = "";
    var items = data.measure === "risk"
      ? ["red", "orange", "yellow", "blue", "green"].map(function (c) { return [RISK[c], T[c]]; })
      : [[RAMP[0], "0"], [RAMP[3], T.low], [RAMP[6], T.high + " (" + max + ")"]];
    items.forEach(function (it) {
      var span = document.createElement("span");
      var box = document.createElement("i");
      box.style.background = it[0];
      span.appendChild(box);
      span.appendChild(document.createTextNode(it[1]));
      el.appendChild(span);
    });
  }

  function drawFigures(data) {
    root.querySelectorAll("[data-figure]").forEach(function (el) {
      var v = data.figures[el.dataset.figure];
      text(el, v === null || v === undefined ? "–" : v + (el.dataset.unit || ""));
    });
  }

  function drawBreadcrumb(data) {
    var ol = document.getElementById("breadcrumb");
    ol.textContent = "";
    data.breadcrumb.forEach(function (b, i) {
      var li = document.createElement("li");
      if (i === data.breadcrumb.length - 1 || b.link === false) {
        if (i === data.breadcrumb.length - 1) { li.setAttribute("aria-current", "page"); }
        li.textContent = b.name;
      } else {
        var btn = document.createElement("button");
        btn.type = "button";
        btn.textContent = b.name;
        btn.addEventListener("click", function () { go(b.id); });
        li.appendChild(btn);
      }
      ol.appendChild(li);
    });
    var kids = document.getElementById("children");
    kids.textContent = "";
    data.children.forEach(function (c) {
      var li = document.createElement("li");
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "linkish";
      btn.textContent = c.name;
      btn.addEventListener("click", function () { go(c.id); });
      li.appendChild(btn);
      kids.appendChild(li);
    });
    text(document.getElementById("node-name"), data.node.name);
    text(document.getElementById("child-level"), data.child_level_label ? "(" + data.child_level_label + ")" : "");
  }

  function drawLatest(data) {
    var ul = document.getElementById("latest");
    ul.textContent = "";
    if (!data.latest.length) {
      var none = document.createElement("li");
      none.textContent = T.none;
      ul.appendChild(none);
    }
    data.latest.forEach(function (o) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "/workbench/orders/" + o.id;
      a.textContent = o.title;
      var badge = document.createElement("span");
      badge.className = "badge" + (o.light === "red" ? " overdue" : "");
      badge.textContent = o.status_label;
      var meta = document.createElement("div");
      meta.className = "meta";
      meta.textContent = o.code + " · " + o.place + " · " + o.reported_at;
      li.appendChild(badge);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(a);
      li.appendChild(meta);
      ul.appendChild(li);
    });
  }

  function drawCharts(data) {
    var small = window.innerWidth < 600;
    var label = { width: small ? 72 : 120, overflow: "truncate" };
    chart("chart-trend").setOption({
      grid: { left: 8, right: 16, top: 20, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.trend.map(function (d) { return d.day.slice(5); }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "line", name: T.orders, smooth: true, areaStyle: { opacity: 0.2 },
                 data: data.trend.map(function (d) { return d.count; }) }]
    }, true);
    chart("chart-category").setOption({
      grid: { left: 8, right: 20, top: 10, bottom: 20, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, axisLabel: label, data: data.categories.map(function (c) { return c.category; }) },
      series: [{ type: "bar", name: T.orders, data: data.categories.map(function (c) { return c.count; }),
                 itemStyle: { color: "#457b9d" } }]
    }, true);
    var kids = data.children;
    var c = chart("chart-children");
    c.setOption({
      grid: { left: 8, right: 20, top: 10, bottom: 20, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, axisLabel: label, data: kids.map(function (k) { return k.name; }) },
      series: [{ type: "bar", name: T.orders, data: kids.map(function (k) { return k.orders_30d; }),
                 itemStyle: { color: "#e76f51" } }]
    }, true);
    c.off("click");
    c.on("click", function (p) { if (kids[p.dataIndex]) { go(kids[p.dataIndex].id); } });
  }

  function draw(data) {
    state.data = data;
    drawFigures(data);
    drawBreadcrumb(data);
    drawLatest(data);
    drawCharts(data);
    drawMap(data);
    text(document.getElementById("updated"), T.updated + " " + new Date().toLocaleTimeString());
    root.dataset.loaded = "1";
  }

  function load() {
    var url = root.dataset.summaryUrl + "?node_id=" + encodeURIComponent(state.nodeId) +
      "&measure=" + encodeURIComponent(state.measure);
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(draw)
      .catch(function () { text(document.getElementById("updated"), T.failed); });
  }

  function item(list, cls, main, meta) {
    var li = document.createElement("li");
    if (cls) { li.className = cls; }
    li.appendChild(main);
    if (meta) {
      var m = document.createElement("div");
      m.className = "meta";
      m.textContent = meta;
      li.appendChild(m);
    }
    list.appendChild(li);
    return li;
  }

  function span(cls, value) {
    var el = document.createElement("span");
    if (cls) { el.className = cls; }
    el.textContent = value;
    return el;
  }

  function drawHot(data) {
    var ol = document.getElementById("hot-issues");
    ol.textContent = "";
    if (data.note) { item(ol, "muted", span("", data.note)); }
    if (!data.hot_issues.length && !data.note) { item(ol, "muted", span("", T.no_hot)); }
    data.hot_issues.forEach(function (h) {
      var main = document.createElement("div");
      main.appendChild(span("heat", T.heat + " " + h.heat.toFixed(1)));
      main.appendChild(span("title", h.title));
      var meta = h.place + " · " + h.reports + " " + T.reports + " · " + h.reporters + " " + T.reporters;
      if (h.likes) { meta += " · " + T.likes + " " + h.likes; }
      meta += " · " + h.start + (h.end && h.end !== h.start ? " – " + h.end : "");
      if (h.keywords && h.keywords.length) { meta += " · " + h.keywords.join(" "); }
      item(ol, "", main, meta);
    });
    text(document.getElementById("hot-count"), data.hot_issues.length ? String(data.hot_issues.length) : "");
    if (hotLayer) { map.removeLayer(hotLayer); }
    hotLayer = L.layerGroup(data.hot_issues.filter(function (h) { return h.lat !== null && h.lon !== null; })
      .map(function (h) {
        return L.circleMarker([h.lat, h.lon], {
          pane: "hot", radius: 6 + Math.min(14, h.heat * 1.5), color: "#d62828", weight: 2,
          fillColor: "#d62828", fillOpacity: 0.3, className: "hot-marker"
        }).bindTooltip(T.hot + " " + h.rank + " · " + h.title + " · " + h.place);
      }));
    hotLayer.addTo(map);
  }

  function drawWarnings(data) {
    var ul = document.getElementById("warnings");
    ul.textContent = "";
    if (!data.warnings.length) { item(ul, "muted", span("", T.no_warnings)); }
    data.warnings.forEach(function (w) {
      item(ul, w.direction + " " + w.severity, span("", w.message));
    });
    text(document.getElementById("warning-count"), data.warnings.length ? String(data.warnings.length) : "");
  }

  function loadIntel() {
    var url = root.dataset.intelUrl + "?node_id=" + encodeURIComponent(state.nodeId);
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        if (data.pending) {  // computed in the background: say so and ask again shortly
          ["hot-issues", "warnings"].forEach(function (id) {
            var list = document.getElementById(id);
            list.textContent = "";
            item(list, "muted", span("", T.analysing));
          });
          clearTimeout(state.intelRetry);
          state.intelRetry = setTimeout(loadIntel, 5000);
          return;
        }
        drawHot(data);
        drawWarnings(data);
        root.dataset.intelLoaded = "1";
      })
      .catch(function () {
        ["hot-issues", "warnings"].forEach(function (id) {
          var list = document.getElementById(id);
          list.textContent = "";
          item(list, "muted", span("", T.failed));
        });
      });
  }

  function selectTab(tab) {
    root.querySelectorAll("[role='tab']").forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
    });
  }

  var tabs = Array.prototype.slice.call(root.querySelectorAll("[role='tab']"));
  tabs.forEach(function (t, i) {
    t.addEventListener("click", function () { selectTab(t); });
    t.addEventListener("keydown", function (e) {
      var step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
      if (!step) { return; }
      var next = tabs[(i + step + tabs.length) % tabs.length];
      selectTab(next);
      next.focus();
    });
  });

  function go(nodeId) {
    state.nodeId = String(nodeId);
    var url = "/?node_id=" + encodeURIComponent(state.nodeId) + "&measure=" + encodeURIComponent(state.measure);
    history.replaceState(null, "", url);
    load();
    loadIntel();
  }

  document.getElementById("measure").addEventListener("change", function (e) {
    state.measure = e.target.value;
    go(state.nodeId);
  });
  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (k) { charts[k].resize(); });
  });

  fetch(root.dataset.gridsUrl, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (fc) { features = fc; if (state.data) { drawMap(state.data); } })
    .catch(function () { features = { type: "FeatureCollection", features: [] }; });
  load();
  loadIntel();
  setInterval(function () { if (!document.hidden) { loadIntel(); } }, 300 * 1000);
  var seconds = Math.max(30, Math.min(60, parseInt(root.dataset.refreshSeconds, 10) || 45));
  setInterval(function () { if (!document.hidden) { load(); } }, seconds * 1000);
})();
