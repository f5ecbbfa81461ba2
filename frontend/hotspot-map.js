// The hotspot map (lantern/templates/insights/statistics/map.html): places as circles sized by their referrals,
// and Getis-Ord Gi* hot and cold cells as squares, on Leaflet. Tiles come from LANTERN_TILE_URL when one is set;
// without one the map draws the same places and clusters on a plain background. Served locally (no CDN).
(function () {
  const element = document.getElementById("hotspot-map");
  const source = document.getElementById("hotspot-map-data");
  if (!element || !source || typeof L === "undefined") return;
  const data = JSON.parse(source.textContent);
  const map = L.map(element, { scrollWheelZoom: false, keyboard: true });
  if (data.tiles) {
    L.tileLayer(data.tiles, { maxZoom: 19, attribution: "Map tiles as configured for Lantern" }).addTo(map);
  }
  const layers = [];
  for (const cell of data.cells) {
    const [south, west, north, east] = cell.bounds;
    const colour = cell.hot ? "#d4351c" : "#1d70b8";
    layers.push(
      L.rectangle([[south, west], [north, east]], { color: colour, weight: 2, fillOpacity: 0.25 })
        .bindTooltip(`${cell.hot ? "Hot" : "Cold"} spot: ${cell.count} referral(s), Gi* z = ${cell.z.toFixed(2)}`),
    );
  }
  const largest = Math.max(1, ...data.points.map((point) => point.referrals));
  for (const point of data.points) {
    const radius = 4 + 10 * Math.sqrt(point.referrals / largest);
    const label = `${point.name || "Unnamed place"} (${point.place_type}): ${point.referrals} referral(s)`;
    layers.push(
      L.circleMarker([point.lat, point.lon], { radius, color: "#003078", weight: 1, fillColor: "#1d70b8", fillOpacity: 0.6 })
        .bindTooltip(label),
    );
  }
  const group = L.featureGroup(layers).addTo(map);
  if (layers.length) map.fitBounds(group.getBounds(), { padding: [20, 20] });
  else map.setView([54, 1.25], 12);
})();
