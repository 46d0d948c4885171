// Keeps the registration page and the app's assets on the device, so that a caseworker can register
// people without a connection (the page queues them; app.js sends them later). Nothing else is kept.
var CACHE = "w4l-offline-v1";
var KEPT = ["/people/new", "/static/app.css", "/static/app.js"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(KEPT); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  var path = url.pathname;
  if (path.indexOf("/static/") === 0 || path === "/people/new") {
    // the network first (fresh page, fresh CSRF token), the kept copy without a connection
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(path === "/people/new" ? "/people/new" : request, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(path === "/people/new" ? "/people/new" : request);
    }));
  } else if (request.mode === "navigate") {
    // any other page without a connection: the registration page, which works offline
    event.respondWith(fetch(request).catch(function () { return caches.match("/people/new"); }));
  }
});
