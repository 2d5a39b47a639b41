// Workbench: select-all for bulk actions and the small location map of an order.
(function () {
  "use strict";
  var all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", function () {
      var boxes = document.querySelectorAll('input[name="ids"]');
      for (var i = 0; i < boxes.length; i++) { boxes[i].checked = all.checked; }
    });
  }
  var el = document.getElementById("order-map");
  if (!el || typeof L === "undefined") { return; }
  var lat = parseFloat(el.dataset.lat), lon = parseFloat(el.dataset.lon);
  var map = L.map(el, { attributionControl: false, zoomSnap: 0.25 }).setView([lat, lon], 14);
  L.circleMarker([lat, lon], { radius: 9, color: "#c0392b", weight: 3, fillOpacity: 0.6 }).addTo(map);
  fetch("/api/org/grids.geojson", { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : { features: [] }; })
    .then(function (fc) {
      L.geoJSON(fc, { style: { color: "#33415c", weight: 1, fillOpacity: 0.08 },
        onEachFeature: function (f, l) { l.bindTooltip(f.properties.name); } }).addTo(map);
      el.dataset.loaded = "1";
    })
    .catch(function () { el.dataset.loaded = "0"; });
})();
