// Doorstep phone pages: keep the pages and their assets readable without signal.
// Pages are fetched from the network first (they change with every action) and fall back to
// the last copy; nothing but GETs is touched, so actions and uploads always reach the server
// (or fail and stay queued in the page).
const CACHE = "doorstep-field-v1";
const ASSETS = {{ assets|safe }};

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(ASSETS)).catch(() => undefined));
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("doorstep-field-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  const page = req.mode === "navigate" && url.pathname.startsWith("/m/");
  const asset = url.pathname.startsWith("/static/");
  if (!page && !asset) return;
  event.respondWith(
    fetch(req).then((resp) => {
      if (resp.ok && !resp.redirected && resp.type === "basic") {
        const copy = resp.clone();
        caches.open(CACHE).then((c) => c.put(page ? url.pathname : req, copy));
      }
      return resp;
    }).catch(() => caches.match(page ? url.pathname : req).then((hit) => hit || Response.error()))
  );
});
