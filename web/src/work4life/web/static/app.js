// Work4Life: the few things a page does in place. Progress of long jobs, the language choice, and
// registrations and roll-calls made without a connection (kept on this device, sent once the
// connection returns; intake and training treat a repeated key as the same registration or
// register, so a resend enters nothing twice).
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var QUEUE = "w4l.waiting";
  var ROLLS = "w4l.roll-calls";

  function $(selector, root) { return (root || document).querySelector(selector); }
  function all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  // -- language: choosing is enough -------------------------------------------------------------
  all("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // -- progress of a long job (import, duplicate scan) ------------------------------------------
  all("[data-job][data-running]").forEach(function (box) {
    var url = box.getAttribute("data-job");
    var doneField = box.getAttribute("data-done-field"), totalField = box.getAttribute("data-total-field");
    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (job) {
          var bar = box.querySelector("progress");
          bar.max = Math.max(job[totalField] || 0, 1);
          bar.value = job[doneField] || 0;
          all("[data-text]", box).forEach(function (el) {
            el.textContent = (job[el.getAttribute("data-text")] || 0).toLocaleString(document.documentElement.lang);
          });
          if (job.status === "running") setTimeout(poll, 700);
          else window.location.reload(); // the finished report, rendered by the server
        })
        .catch(function () { setTimeout(poll, 3000); });
    }
    setTimeout(poll, 500);
  });

  // -- registrations made offline ---------------------------------------------------------------
  function load() { try { return JSON.parse(localStorage.getItem(QUEUE) || "[]"); } catch (e) { return []; } }
  function save(items) { localStorage.setItem(QUEUE, JSON.stringify(items)); show(); }
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16); crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }
  function localDay() {
    var d = new Date();
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  }

  function fieldsOf(form) {
    var fields = {};
    new FormData(form).forEach(function (value, name) {
      if (name === "csrf") return;
      if (fields[name] === undefined) fields[name] = value;
      else fields[name] = [].concat(fields[name], value);
    });
    return fields;
  }

  var banner = $("#waiting");
  var lastSent = [];
  function show() {
    if (!banner) return;
    var items = load(), waiting = items.filter(function (i) { return !i.errors; }), refused = items.filter(function (i) { return i.errors; });
    var lines = [];
    if (!navigator.onLine) lines.push(banner.getAttribute("data-offline"));
    if (waiting.length === 1) lines.push(banner.getAttribute("data-one"));
    if (waiting.length > 1) lines.push(banner.getAttribute("data-many").replace("{n}", waiting.length.toLocaleString(document.documentElement.lang)));
    var rolls = loadRolls(), rollsWaiting = rolls.filter(function (i) { return !i.error; });
    if (rollsWaiting.length) lines.push(banner.getAttribute("data-rolls").replace("{n}", rollsWaiting.length.toLocaleString(document.documentElement.lang)));
    rolls.filter(function (i) { return i.error; }).forEach(function (i) {
      lines.push(banner.getAttribute("data-roll-refused") + " " + i.label + ": " + i.error);
    });
    banner.textContent = "";
    lines.forEach(function (text) { var p = document.createElement("p"); p.textContent = text; banner.appendChild(p); });
    if (lastSent.length) {
      var p = document.createElement("p"); p.textContent = banner.getAttribute("data-sent") + " " + lastSent.join(", "); banner.appendChild(p);
    }
    if (refused.length) {
      var title = document.createElement("p"); title.textContent = banner.getAttribute("data-refused"); banner.appendChild(title);
      var ul = document.createElement("ul");
      refused.forEach(function (item) {
        var li = document.createElement("li"), a = document.createElement("a");
        a.href = "/people/new?waiting=" + encodeURIComponent(item.key);
        a.textContent = (item.fields.given_name || "") + " " + (item.fields.family_name || "");
        li.appendChild(a);
        li.appendChild(document.createTextNode(": " + Object.keys(item.errors).map(function (k) { return item.errors[k]; }).join("; ")));
        ul.appendChild(li);
      });
      banner.appendChild(ul);
    }
    banner.setAttribute("data-count", String(waiting.length));
    banner.setAttribute("data-roll-count", String(rollsWaiting.length));
    banner.hidden = lines.length === 0 && refused.length === 0 && lastSent.length === 0;
  }

  // -- roll-calls taken offline: each with the key the tablet made, which training enters once --
  function loadRolls() { try { return JSON.parse(localStorage.getItem(ROLLS) || "[]"); } catch (e) { return []; } }
  function saveRolls(items) { localStorage.setItem(ROLLS, JSON.stringify(items)); show(); }

  function sendRolls(token) {
    return loadRolls().filter(function (i) { return !i.error; }).reduce(function (previous, item) {
      return previous.then(function () {
        return fetch("/offline/attendance", {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": token.csrf },
          body: JSON.stringify(item)
        }).then(function (r) {
          return r.json().then(function (body) {
            var now = loadRolls();
            if (r.ok) {
              lastSent.push(item.label);
              saveRolls(now.filter(function (i) { return i.key !== item.key; }));
            } else if (r.status === 422) {
              now.forEach(function (i) { if (i.key === item.key) i.error = body.errors._form; });
              saveRolls(now);
            } else { return Promise.reject(r.status); }
          });
        });
      });
    }, Promise.resolve());
  }

  var sending = false;
  function flush() {
    if (sending || !navigator.onLine || !document.body.hasAttribute("data-signed-in")) return;
    var items = load().filter(function (i) { return !i.errors; });
    var rolls = loadRolls().filter(function (i) { return !i.error; });
    if (!items.length && !rolls.length) return;
    sending = true;
    fetch("/offline/csrf", { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (token) {
        return items.reduce(function (previous, item) {
          return previous.then(function () {
            return fetch("/offline/registrations", {
              method: "POST", credentials: "same-origin",
              headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": token.csrf },
              body: JSON.stringify(item.fields)
            }).then(function (r) {
              return r.json().then(function (body) {
                var now = load();
                if (r.ok) {
                  lastSent.push(body.name);
                  save(now.filter(function (i) { return i.key !== item.key; }));
                } else if (r.status === 422) {
                  now.forEach(function (i) { if (i.key === item.key) i.errors = body.errors; });
                  save(now);
                } else { return Promise.reject(r.status); }
              });
            });
          });
        }, Promise.resolve()).then(function () { return sendRolls(token); });
      })
      .catch(function () { /* no connection after all, or signed out: try again later */ })
      .then(function () { sending = false; show(); });
  }

  var form = $("form[data-offline-form]");
  if (form) {
    var keyInput = form.querySelector("input[name=registration_key]");
    var params = new URLSearchParams(window.location.search);
    var correcting = params.get("waiting");
    var waitingItem = correcting && load().filter(function (i) { return i.key === correcting; })[0];
    if (waitingItem) {
      // a registration intake refused: back in the form with its key, to correct and send
      Object.keys(waitingItem.fields).forEach(function (name) {
        var values = [].concat(waitingItem.fields[name]);
        all("[name='" + name + "']", form).forEach(function (input) {
          if (input.type === "checkbox") input.checked = values.indexOf(input.value) >= 0 || values.indexOf("on") >= 0 && input.value === "on";
          else if (input.type !== "hidden" || name === "registration_key") input.value = values[0];
        });
      });
    } else if (!form.querySelector("[aria-invalid]") && !form.querySelector(".error")) {
      keyInput.value = newKey(); // each registration its own key, even on a page kept for offline use
    }
    form.addEventListener("submit", function (event) {
      if (waitingItem && navigator.onLine) save(load().filter(function (i) { return i.key !== waitingItem.key; }));
      if (navigator.onLine) return; // sent now, as any form
      event.preventDefault();
      var missing = all("[required]", form).filter(function (input) { return !String(input.value || "").trim(); });
      if (!form.querySelector("#consent_service_delivery").checked) missing.push(form.querySelector("#consent_service_delivery"));
      all("[aria-invalid]", form).forEach(function (el) { el.removeAttribute("aria-invalid"); });
      if (missing.length) {
        missing.forEach(function (el) { el.setAttribute("aria-invalid", "true"); });
        missing[0].focus();
        return;
      }
      var items = load().filter(function (i) { return !waitingItem || i.key !== waitingItem.key; });
      var fields = fieldsOf(form);
      if (!fields.registered_on) fields.registered_on = localDay(); // sent later: the day it happened
      items.push({ key: keyInput.value, fields: fields, savedAt: new Date().toISOString() });
      save(items);
      form.reset();
      keyInput.value = newKey();
      window.scrollTo(0, 0);
      if (banner) banner.focus && banner.focus();
    });
    var note = form.querySelector("[data-offline-note]");
    if (note) note.hidden = false;
  }

  // -- the roll-call: one tap a person, the whole list saved at once --------------------------
  var roll = $("form[data-roll-call]");
  if (roll) {
    var allPresent = roll.querySelector("[data-all-present]");
    if (allPresent) allPresent.addEventListener("click", function () {
      all("fieldset.marks", roll).forEach(function (set) {
        if (!set.querySelector("input:checked")) set.querySelector("input[value=present]").checked = true;
      });
    });
    roll.addEventListener("submit", function (event) {
      if (navigator.onLine) return; // sent now, with the key: a double tap is entered once
      event.preventDefault();
      var fields = fieldsOf(roll);
      var key = fields.sheet_key;
      var label = ($("h1") || {}).textContent || "";
      var items = loadRolls().filter(function (i) {
        return !(i.cohort_id === roll.getAttribute("data-cohort") && i.session_id === roll.getAttribute("data-session"));
      });
      items.push({ key: key, cohort_id: roll.getAttribute("data-cohort"), session_id: roll.getAttribute("data-session"),
                   fields: fields, label: label.trim(), savedAt: new Date().toISOString() });
      saveRolls(items);
      roll.querySelector("input[name=sheet_key]").value = newKey(); // a later change is another register
      var kept = document.createElement("p");
      kept.className = "flash warning"; kept.setAttribute("role", "status");
      kept.textContent = roll.getAttribute("data-kept");
      roll.parentNode.insertBefore(kept, roll);
      window.scrollTo(0, 0);
    });
  }

  // -- signing out removes what waits on the device --------------------------------------------
  all("form[data-sign-out]").forEach(function (f) {
    f.addEventListener("submit", function () { localStorage.removeItem(QUEUE); localStorage.removeItem(ROLLS); });
  });
  if (document.querySelector("[data-signed-out]")) {
    localStorage.removeItem(QUEUE);
    localStorage.removeItem(ROLLS);
    if (window.caches) caches.keys().then(function (keys) { keys.forEach(function (k) { caches.delete(k); }); });
    if (navigator.serviceWorker) navigator.serviceWorker.getRegistrations().then(function (rs) { rs.forEach(function (r) { r.unregister(); }); });
  }

  window.addEventListener("online", function () { show(); flush(); });
  window.addEventListener("offline", show);
  if (document.body.hasAttribute("data-signed-in")) {
    show(); flush();
    setInterval(flush, 30000);
    if (navigator.serviceWorker) navigator.serviceWorker.register("/sw.js").catch(function () {});
  }
  window.w4lFlush = flush; // for the browser tests and for a "send now" in the console
})();
