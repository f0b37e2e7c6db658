// The phone pages' client: wires the parts in phone/ (base, queue, forms, live) to the page —
// which form goes where, what each click and keystroke updates, the service worker that keeps
// the pages readable without signal.
(function (P) {
  "use strict";

  if (!P) return;
  var root = P.root, QKEY = P.QKEY, FKEY = P.FKEY, CACHE = P.CACHE, noop = P.noop, $ = P.$,
    $$ = P.$$, load = P.load, save = P.save, queue = P.queue, flush = P.flush, render = P.render,
    submitAction = P.submitAction, uploadPhotos = P.uploadPhotos, submitUpload = P.submitUpload,
    setupSignature = P.setupSignature, restoreWaitingUploads = P.restoreWaitingUploads,
    checkTimers = P.checkTimers, checkPhrase = P.checkPhrase, updateLive = P.updateLive,
    updateWorkWarning = P.updateWorkWarning, updateKit = P.updateKit, tick = P.tick;

  // -- wiring ----------------------------------------------------------------------------------

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form.matches("form.act")) { ev.preventDefault(); submitAction(form, ev.submitter); }
    else if (form.matches("form.upload")) { ev.preventDefault(); submitUpload(form); }
  });

  document.addEventListener("input", function (ev) {
    var el = ev.target, form = el.form;
    if (form && (form.matches("form.act") || form.matches("form.upload")) && ev.isTrusted) form.dataset.dirty = "1";
    if (el.hasAttribute("data-now") && ev.isTrusted) el.dataset.touched = "1";
    if (el.matches("textarea[data-template]") && ev.isTrusted) el.dataset.edited = "1";
    if (el.matches("[data-phrase-check]")) {
      clearTimeout(checkTimers[el.id || el.name]);
      checkTimers[el.id || el.name] = setTimeout(function () { checkPhrase(el); }, 400);
    }
    updateLive(el.closest(".step-body"));
  });

  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el.matches("[data-upload]")) uploadPhotos(el);
    if (el.name === "work") updateWorkWarning();
    if (el.name === "checklist" && el.form) updateKit(el.form);
    if (el.hasAttribute("data-now")) el.dataset.touched = "1";
    if (el.name === "requested_by" || el.name === "left_at" || el.name === "arrived_at") tick();
    updateLive(el.closest(".step-body"));
  });

  document.addEventListener("click", function (ev) {
    var el = ev.target.closest("button");
    if (!el) return;
    if (el.dataset.fill && el.form) {
      var input = el.form.elements[el.dataset.fill];
      input.value = el.value;
      $$(".chip[data-fill]", el.form).forEach(function (c) { c.classList.toggle("on", c === el); });
      input.dispatchEvent(new Event("input", { bubbles: true }));
      checkPhrase(input);
    } else if (el.dataset.windowPick && el.form) {
      var parts = el.dataset.windowPick.split("-");
      el.form.elements._start.value = parts[0];
      el.form.elements._end.value = parts[1];
      $$(".chip[data-window-pick]", el.form).forEach(function (c) { c.classList.toggle("on", c === el); });
      updateLive(el.closest(".step-body"));
    } else if (el.dataset.dismiss) {
      save(FKEY, load(FKEY, []).filter(function (f) { return f.id !== el.dataset.dismiss; }));
      render(false);
    } else if (el.id === "queue-toggle") {
      var list = $("#queue-list");
      list.hidden = !list.hidden;
      el.setAttribute("aria-expanded", String(!list.hidden));
    } else if (el.id === "queue-retry") {
      P.retryNow();
    }
  });

  window.addEventListener("online", function () {
    render(false);
    P.retryNow();
  });
  window.addEventListener("offline", function () { render(false); });
  window.addEventListener("hashchange", openFromHash);
  window.addEventListener("storage", function (ev) { if (ev.key === QKEY || ev.key === FKEY) render(false); });

  function openFromHash() {
    var id = location.hash.slice(1);
    var card = id && document.getElementById(id);
    if (card && card.tagName === "DETAILS") card.open = true;
  }

  function registerWorker() {
    if (!("serviceWorker" in navigator) || !window.isSecureContext || !root.dataset.sw) return;
    navigator.serviceWorker.register(root.dataset.sw, { scope: "/m/" }).then(function () {
      // The first visit came before the worker: keep this page for a reload without signal.
      if (!navigator.serviceWorker.controller && window.caches && navigator.onLine) {
        caches.open(CACHE).then(function (c) { return c.add(location.pathname); }).catch(noop);
      }
    }).catch(noop);
  }

  openFromHash();
  setupSignature();
  restoreWaitingUploads();
  $$("form[data-kit]").forEach(updateKit);
  $$(".step-body").forEach(updateLive);
  updateWorkWarning();
  render(false);
  tick();
  setInterval(tick, 1000);
  setInterval(function () {
    if (queue().length && navigator.onLine && P.idle()) flush();
  }, 30000);
  if (queue().length && navigator.onLine) flush();
  registerWorker();
})(window.DoorstepPhone);
