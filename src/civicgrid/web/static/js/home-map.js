// Draws the grids from their own polygons: no tile server, works offline.
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el) { return; }
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: false });
  fetch(el.dataset.gridsUrl, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (fc) {
      var palette = ["#4e79a7", "#59a14f", "#edc948", "#f28e2b", "#b07aa1", "#76b7b2"];
      var layer = L.geoJSON(fc, {
        style: function (f) {
          return { color: "#33415c", weight: 1, fillOpacity: 0.45,
                   fillColor: palette[(f.properties.parent_id || 0) % palette.length] };
        },
        onEachFeature: function (f, l) { l.bindTooltip(f.properties.name); }
      }).addTo(map);
      if (fc.features.length) { map.fitBounds(layer.getBounds()); } else { map.setView([28.2, 112.9], 12); }
      el.dataset.loaded = String(fc.features.length);
    });
})();
