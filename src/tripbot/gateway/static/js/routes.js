// Route maps (Leaflet), elevation profiles (Chart.js) and the plan form's ordering.
// Data comes from <script type="application/json"> blocks named by data-* attributes.
"use strict";

(() => {
  const COLORS = ["#006a6a", "#b3261e", "#6750a4", "#7d5260", "#1e6b2e", "#8a5a00"];

  const readJson = (id) => {
    const block = document.getElementById(id);
    return block ? JSON.parse(block.textContent) : null;
  };

  // Tooltips get a text node, never HTML: names come from uploaded files.
  const textTooltip = (layer, text) => {
    if (!text) return;
    const span = document.createElement("span");
    span.textContent = text;
    layer.bindTooltip(span);
  };

  const LAYER_KEY = "tripbot.baseMap";

  const remembered = () => {
    try { return window.localStorage.getItem(LAYER_KEY); } catch { return null; }
  };

  const remember = (id) => {
    try { window.localStorage.setItem(LAYER_KEY, id); } catch { /* private mode: not kept */ }
  };

  // Leaflet opens the layer list on Enter and hides its button, so focus would fall back to
  // the page's start: it goes to the chosen map instead (arrows pick another), Escape closes.
  const keyboardSwitch = (control, toggle) => {
    const container = control.getContainer();
    toggle.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" && event.key !== " ") return;
      event.preventDefault();
      control.expand();
      const chosen = container.querySelector("input:checked");
      if (chosen) chosen.focus();
    });
    container.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      control.collapse();
      toggle.focus();
    });
  };

  // The configured base maps, the one last chosen shown; a switch when there are several.
  // Tiles carry the site's origin as Referer (the page's policy sends none across origins):
  // OpenStreetMap's tile usage policy requires a valid one.
  const addBaseLayers = (map, element, layers) => {
    const byName = {};
    layers.forEach((layer) => {
      byName[layer.name] = L.tileLayer(layer.url, {
        maxZoom: layer.maxZoom,
        attribution: layer.attribution,
        referrerPolicy: "strict-origin-when-cross-origin",
        layerId: layer.id,
      });
    });
    const shown = layers.find((layer) => layer.id === remembered()) || layers[0];
    byName[shown.name].addTo(map);
    if (layers.length > 1) {
      const control = L.control.layers(byName, null, { position: "topright" }).addTo(map);
      const toggle = control.getContainer().querySelector(".leaflet-control-layers-toggle");
      toggle.title = element.dataset.layersLabel;
      toggle.setAttribute("aria-label", element.dataset.layersLabel);
      map.on("baselayerchange", (event) => remember(event.layer.options.layerId));
      keyboardSwitch(control, toggle);
    }
  };

  const baseMap = (element) => {
    const layers = (element.dataset.layers && readJson(element.dataset.layers)) || [];
    const map = L.map(element, { scrollWheelZoom: false, attributionControl: layers.length > 0 });
    if (layers.length) addBaseLayers(map, element, layers);
    L.control.scale({ imperial: false }).addTo(map);
    return map;
  };

  const latLngs = (geometry) => geometry.map((segment) => segment.map(([lon, lat]) => [lat, lon]));

  const point = (map, latlng, color, label, radius = 7) => {
    const marker = L.circleMarker(latlng, { radius, color: "#fff", weight: 2, fillColor: color, fillOpacity: 1 });
    textTooltip(marker, label);
    return marker.addTo(map);
  };


  // Where am I: the phone's position against the tracks (segments of [lat, lon]), worked out
  // here and never sent; it works without signal, as the track and the GPS need none.
  const EARTH = 6371008.8;
  const rad = (degrees) => (degrees * Math.PI) / 180;

  // Metres on a plane tangent at the position: exact enough over a route's few kilometres.
  const along = (tracks, lat, lon) => {
    const k = Math.cos(rad(lat));
    const xy = ([plat, plon]) => [rad(plon - lon) * k * EARTH, rad(plat - lat) * EARTH];
    let best = { distance: Infinity, at: 0 };
    let walked = 0;
    tracks.forEach((segment) => {
      for (let i = 1; i < segment.length; i += 1) {
        const [ax, ay] = xy(segment[i - 1]);
        const [bx, by] = xy(segment[i]);
        const dx = bx - ax;
        const dy = by - ay;
        const length = Math.hypot(dx, dy);
        const t = length ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / (length * length))) : 0;
        const distance = Math.hypot(ax + t * dx, ay + t * dy);
        if (distance < best.distance) best = { distance, at: walked + t * length };
        walked += length;
      }
    });
    return { ...best, total: walked };
  };

  const locate = (map, element, tracks) => {
    const texts = document.getElementById("locate-texts");
    if (!texts || !navigator.geolocation || !tracks.length) return;
    const t = texts.dataset;
    const say = (template, values) => template.replace(/\{(\w+)\}/g, (_m, name) => values[name] ?? "");
    const number = (value, digits) => new Intl.NumberFormat(document.documentElement.lang || undefined,
      { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(value);
    const status = document.createElement("p");
    status.className = "locate-status";
    status.id = `${element.id}-where`;
    status.setAttribute("aria-live", "polite");
    element.after(status);
    let marker = null;
    let circle = null;
    let watching = false;
    const Control = L.Control.extend({
      options: { position: "topleft" },
      onAdd: () => {
        const box = L.DomUtil.create("div", "leaflet-bar leaflet-control locate-control");
        const button = L.DomUtil.create("a", "", box);
        button.href = "#";
        button.setAttribute("role", "button");
        button.title = t.button;
        button.setAttribute("aria-label", t.button);
        button.textContent = "◎";
        L.DomEvent.on(button, "click", (event) => {
          L.DomEvent.preventDefault(event);
          L.DomEvent.stopPropagation(event);
          if (watching) return;
          watching = true;
          status.textContent = t.waiting;
          navigator.geolocation.watchPosition((position) => {
            const { latitude: lat, longitude: lon, accuracy } = position.coords;
            const here = along(tracks, lat, lon);
            const distance = here.distance < 1000 ? `${number(here.distance, 0)} m` : `${number(here.distance / 1000, 1)} km`;
            status.textContent = `${say(t.near, { distance, km: number(here.at / 1000, 1), total: number(here.total / 1000, 1) })} ${t.private}`;
            element.dataset.where = String(Math.round(here.distance));
            if (!marker) {
              circle = L.circle([lat, lon], { radius: accuracy, weight: 1, color: "#1565c0", fillOpacity: 0.1 }).addTo(map);
              marker = L.circleMarker([lat, lon], { radius: 7, color: "#fff", weight: 2, fillColor: "#1565c0", fillOpacity: 1 }).addTo(map);
              map.panTo([lat, lon]);
            } else {
              marker.setLatLng([lat, lon]);
              circle.setLatLng([lat, lon]).setRadius(accuracy);
            }
          }, (error) => {
            watching = false;
            const reason = error.code === error.PERMISSION_DENIED ? t.denied : error.message;
            status.textContent = say(t.failed, { reason });
          }, { enableHighAccuracy: true, maximumAge: 10000 });
        });
        return box;
      },
    });
    new Control().addTo(map);
  };

  const routeMap = (element) => {
    const data = readJson(element.dataset.map);
    if (!data) return null;
    const map = baseMap(element);
    const line = L.polyline(latLngs(data.geometry), { color: COLORS[0], weight: 4 }).addTo(map);
    data.waypoints.forEach((w) => point(map, [w.lat, w.lon], "#8a5a00", w.name, 5));
    // The start goes on top: on a circular route it hides the end, not the other way round.
    point(map, data.end, "#b3261e", element.dataset.endLabel);
    point(map, data.start, "#1e6b2e", element.dataset.startLabel);
    map.fitBounds(line.getBounds(), { padding: [20, 20] });
    locate(map, element, latLngs(data.geometry));
    element.dataset.ready = "true";
    return map;
  };

  const profileChart = (canvas, map) => {
    const points = readJson(canvas.dataset.profile);
    if (!points || !window.Chart) return;
    const cursor = map ? L.circleMarker([points[0][2], points[0][3]], { radius: 6, color: "#006a6a" }) : null;
    const chart = new Chart(canvas, {
      type: "line",
      data: {
        datasets: [{
          data: points.map(([km, m]) => ({ x: km, y: m })),
          borderColor: "#006a6a",
          backgroundColor: "rgba(0, 106, 106, 0.15)",
          fill: true,
          pointRadius: 0,
          borderWidth: 2,
          tension: 0,
        }],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { display: false } },
        scales: {
          x: { type: "linear", title: { display: true, text: canvas.dataset.xLabel } },
          y: { title: { display: true, text: canvas.dataset.yLabel } },
        },
        onHover: (_event, active) => {
          if (!cursor || !active.length) return;
          const [, , lat, lon] = points[active[0].index];
          cursor.setLatLng([lat, lon]).addTo(map);
        },
      },
    });
    canvas.dataset.ready = String(chart.data.datasets[0].data.length);
  };

  const planMap = (element) => {
    const data = readJson(element.dataset.planMap);
    if (!data) return;
    const map = baseMap(element);
    const bounds = L.latLngBounds([]);
    const tracks = [];
    data.routes.forEach((route, i) => {
      tracks.push(...latLngs(route.geometry));
      const line = L.polyline(latLngs(route.geometry), { color: COLORS[i % COLORS.length], weight: 4 }).addTo(map);
      textTooltip(line, `${route.position}. ${route.name}`);
      bounds.extend(line.getBounds());
    });
    let meeting = data.meeting ? point(map, data.meeting, "#6750a4", element.dataset.meetingLabel, 9) : null;
    if (data.meeting) bounds.extend(data.meeting);
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 15 });
    else map.setView([40.4, -3.7], 5);
    locate(map, element, tracks);
    if (element.dataset.pick) {
      map.on("click", (event) => {
        const lat = document.getElementById("meeting_lat");
        const lon = document.getElementById("meeting_lon");
        if (!lat || !lon) return;
        lat.value = event.latlng.lat.toFixed(6);
        lon.value = event.latlng.lng.toFixed(6);
        if (meeting) meeting.setLatLng(event.latlng);
        else meeting = point(map, event.latlng, "#6750a4", element.dataset.meetingLabel, 9);
      });
    }
    element.dataset.ready = "true";
  };

  const orderButtons = () => {
    document.querySelectorAll("#plan-order .move-up, #plan-order .move-down").forEach((button) => {
      button.addEventListener("click", () => {
        const item = button.closest("li");
        if (button.classList.contains("move-up") && item.previousElementSibling) {
          item.parentNode.insertBefore(item, item.previousElementSibling);
        } else if (button.classList.contains("move-down") && item.nextElementSibling) {
          item.parentNode.insertBefore(item.nextElementSibling, item);
        }
      });
    });
  };

  document.addEventListener("DOMContentLoaded", () => {
    if (!window.L) return;
    const maps = {};
    document.querySelectorAll("[data-map]").forEach((element) => {
      maps[element.id] = routeMap(element);
    });
    document.querySelectorAll("canvas[data-profile]").forEach((canvas) => {
      profileChart(canvas, maps[canvas.dataset.mapId] || null);
    });
    document.querySelectorAll("[data-plan-map]").forEach(planMap);
    orderButtons();
  });
})();
