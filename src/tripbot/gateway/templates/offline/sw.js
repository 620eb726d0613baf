// TripBot's service worker: the static files of this release, the pages a person opened and
// the map tiles they saw, so an excursion opened once with signal opens again without it.
// Pages come from the network first (always the freshest); the saved copy only when there is
// no answer. Nothing is sent anywhere from here.
"use strict";

const RELEASE = {{ release|tojson }};
const STATIC = {{ static|tojson }};
const OFFLINE_PAGE = {{ offline_page|tojson }};
const SHELL = `tripbot-shell-${RELEASE}`;
const PAGES = {{ pages_cache|tojson }};
const TILES = "tripbot-tiles";
const NETWORK_WAIT = {{ network_wait|tojson }};
const MAX_TILES = {{ max_tiles|tojson }};
const NOT_KEPT = {{ not_kept|tojson }};

self.addEventListener("install", (event) => {
  event.waitUntil(
    // Without cookies: the shell is nobody's, and a response to this fetch must not touch the
    // session of a person signing in at the same moment (a new CSRF token refused their form).
    caches.open(SHELL)
      .then((cache) => cache.addAll([...STATIC, OFFLINE_PAGE].map((url) => new Request(url, { credentials: "omit" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names.filter((name) => name.startsWith("tripbot-shell-") && name !== SHELL)
          .map((name) => caches.delete(name)),
      ))
      .then(() => self.clients.claim()),
  );
});

const kept = (url) => !NOT_KEPT.some((path) => url.pathname === path || url.pathname.startsWith(`${path}/`));

const offlinePage = async () =>
  (await caches.match(OFFLINE_PAGE)) || new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain" } });

// The network's answer, or after NETWORK_WAIT the saved copy if there is one (a weak signal
// must not leave the mountain waiting); with no saved copy the network is waited for.
const page = async (request) => {
  const url = new URL(request.url);
  const cache = await caches.open(PAGES);
  const network = fetch(request).then(async (response) => {
    const html = (response.headers.get("Content-Type") || "").startsWith("text/html");
    if (response.ok && !response.redirected && html && kept(url)) {
      await cache.put(request.url, response.clone());
    }
    return response;
  });
  const timeout = new Promise((resolve) => setTimeout(resolve, NETWORK_WAIT, null));
  try {
    const first = await Promise.race([network, timeout]);
    if (first) return first;
    return (await cache.match(request.url)) || await network;
  } catch {
    return (await cache.match(request.url)) || offlinePage();
  }
};

const staticFile = async (request) => (await caches.match(request)) || fetch(request);

// Tiles the person saw are kept (the newest MAX_TILES) to draw the map again without signal;
// the network's copy is always preferred, as the tile servers' usage policies ask.
const tile = async (request) => {
  const cache = await caches.open(TILES);
  try {
    const response = await fetch(request);
    if (response.ok || response.type === "opaque") {
      cache.put(request, response.clone()).then(trimTiles).catch(() => {});
    }
    return response;
  } catch (error) {
    const saved = await cache.match(request);
    if (saved) return saved;
    throw error;
  }
};

const trimTiles = async () => {
  const cache = await caches.open(TILES);
  const keys = await cache.keys();
  await Promise.all(keys.slice(0, Math.max(0, keys.length - MAX_TILES)).map((key) => cache.delete(key)));
};

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET") {
    // A form sent without signal: say that nothing was sent, instead of the browser's error.
    if (request.mode === "navigate") event.respondWith(fetch(request).catch(offlinePage));
    return;
  }
  if (url.origin !== self.location.origin) {
    if (request.destination === "image") event.respondWith(tile(request));
    return;
  }
  if (url.pathname.startsWith("/static/")) event.respondWith(staticFile(request));
  else if (request.mode === "navigate") event.respondWith(page(request));
});
