// Keeps the registration page, the roll-calls opened on this device and the app's assets, so that a
// caseworker can register people and a trainer take a roll-call without a connection (the pages
// queue them; app.js sends them later). Nothing else is kept.
var CACHE = "w4l-offline-v2";
var ROLL_CALL = /^\/training\/cohorts\/[0-9a-f-]+\/sessions\/[0-9a-f-]+\/roll-call$/;
var KEPT = ["/people/new", "/static/app.css", "/static/app.js"];

self.addEventListener("install", function (event) {
  // Each page is kept on its own: one that cannot be fetched now (a deployment without intake has no
  // registration form) must not stop the worker from installing and keeping the others, roll-calls
  // included; it is kept later, when opened.
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(KEPT.map(function (path) { return cache.add(path).catch(function () { return null; }); }));
  }).then(function () { return self.skipWaiting(); }));
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
  if (ROLL_CALL.test(path)) {
    // a roll-call opened while connected stays usable when the connection goes
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(path, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(path).then(function (kept) { return kept || caches.match("/people/new"); });
    }));
  } else if (path.indexOf("/static/") === 0 || path === "/people/new") {
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
