// Report form: pin on the grid map (no tiles), phone geolocation, category hints, duplicates.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var lat = document.getElementById("lat"), lon = document.getElementById("lon");
  var key = document.getElementById("idempotency_key");
  if (key && !key.value) {
    key.value = "m-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10);
  }
  var el = document.getElementById("report-map");
  var map = null, marker = null;
  function pin(la, lo, pan) {
    lat.value = la.toFixed(6); lon.value = lo.toFixed(6);
    if (!map) { return; }
    if (marker) { marker.setLatLng([la, lo]); } else {
      marker = L.circleMarker([la, lo], { radius: 10, color: "#c0392b", weight: 3, fillOpacity: 0.6 }).addTo(map);
    }
    if (pan) { map.setView([la, lo], Math.max(map.getZoom(), 15)); }
    el.dataset.pinned = "1";
    hints();
  }
  if (el && typeof L !== "undefined") {
    map = L.map(el, { attributionControl: false, zoomSnap: 0.25 }).setView([28.2, 112.9], 12);
    fetch(el.dataset.gridsUrl, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { features: [] }; })
      .then(function (fc) {
        var layer = L.geoJSON(fc, { style: { color: "#33415c", weight: 1, fillOpacity: 0.15, fillColor: "#4e79a7" },
          onEachFeature: function (f, l) { l.bindTooltip(f.properties.name); } }).addTo(map);
        if (fc.features && fc.features.length) { map.fitBounds(layer.getBounds()); }
        layer.on("click", function (e) { pin(e.latlng.lat, e.latlng.lng, false); });
        el.dataset.loaded = String(fc.features ? fc.features.length : 0);
        if (lat.value && lon.value) { pin(parseFloat(lat.value), parseFloat(lon.value), true); }
      })
      .catch(function () { el.dataset.loaded = "0"; });
    map.on("click", function (e) { pin(e.latlng.lat, e.latlng.lng, false); });
  }
  var locate = document.getElementById("locate"), status = document.getElementById("locate-status");
  if (locate) {
    locate.addEventListener("click", function () {
      if (!navigator.geolocation) { status.textContent = locate.dataset.unsupported || "×"; return; }
      status.textContent = "…";
      navigator.geolocation.getCurrentPosition(function (p) {
        status.textContent = p.coords.latitude.toFixed(5) + ", " + p.coords.longitude.toFixed(5);
        pin(p.coords.latitude, p.coords.longitude, true);
      }, function (err) { status.textContent = err.message; }, { enableHighAccuracy: true, timeout: 10000 });
    });
  }
  var timer = null;
  function hints() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var title = document.getElementById("title").value.trim();
      if (title.length < 2) { return; }
      var q = new URLSearchParams({ title: title, description: document.getElementById("description").value });
      if (lat.value && lon.value) { q.set("lat", lat.value); q.set("lon", lon.value); }
      fetch(form.dataset.hintsUrl + "?" + q.toString(), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(show).catch(function () { /* hints are optional */ });
    }, 400);
  }
  function show(data) {
    if (!data) { return; }
    var box = document.getElementById("hints"), cats = document.getElementById("hint-categories");
    var dups = document.getElementById("hint-duplicates"), select = document.getElementById("category");
    cats.textContent = ""; dups.textContent = "";
    (data.categories || []).forEach(function (s) {
      var opt = null;
      for (var i = 0; i < select.options.length; i++) { if (select.options[i].value === s.category) { opt = select.options[i]; } }
      if (!opt) { return; }
      var b = document.createElement("button");
      b.type = "button"; b.className = "pill"; b.textContent = opt.textContent;
      b.addEventListener("click", function () { select.value = s.category; });
      cats.appendChild(b);
    });
    (data.duplicates || []).forEach(function (d) {
      var p = document.createElement("p"); p.className = "dup";
      var a = document.createElement("a"); a.href = "/m/orders/" + d.id; a.textContent = d.code + " " + d.title;
      p.appendChild(a); dups.appendChild(p);
    });
    box.hidden = !(cats.childNodes.length || dups.childNodes.length);
  }
  document.getElementById("title").addEventListener("input", hints);
})();
