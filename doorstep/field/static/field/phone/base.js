// The phone pages' client, part 1 of 4: the namespace every part shares (window.DoorstepPhone),
// the page's data, small time helpers and the browser storage the offline queue keeps its items
// (localStorage) and files (IndexedDB) in. Load order: phone/base.js, phone/queue.js,
// phone/forms.js, phone/live.js, then phone.js, which wires them to the page.
(function (P) {
  "use strict";

  var root = document.getElementById("phone");
  if (!root) return;
  window.DoorstepPhone = P;

  var ORDER = root.dataset.order ? Number(root.dataset.order) : null;
  var NUMBER = root.dataset.number || "";
  var TZ = root.dataset.tzOffset || "";
  // Per user: on a shared phone, what one technician queued is never sent as another's.
  var WHO = root.dataset.user || "";
  var QKEY = "doorstep.field.queue.v1." + WHO;
  var FKEY = "doorstep.field.failed.v1." + WHO;
  var RKEY = "doorstep.field.results.v1." + WHO;
  var CACHE = "doorstep-field-v1";
  // Actions that move the order: pressing one twice would only earn a conflict.
  var MOVES = { accept: 1, schedule: 1, reschedule: 1, depart: 1, arrive: 1, absent: 1,
    complete: 1, suspend: 1, resume: 1, "return": 1 };
  var PLACE = { reason: "〔原因〕", delay_minutes: "〔N〕", time: "〔新的时间〕", leave_time: "〔离开时间〕" };
  var noop = function () {};

  function $(sel, el) { return (el || document).querySelector(sel); }
  function $$(sel, el) { return Array.prototype.slice.call((el || document).querySelectorAll(sel)); }

  // -- time ------------------------------------------------------------------------------------

  function pad(n, w) { return String(n).padStart(w || 2, "0"); }
  // ISO 8601 with the phone's own offset, to the millisecond: what occurred_at carries.
  function isoLocal(d) {
    var off = -d.getTimezoneOffset(), sign = off >= 0 ? "+" : "-";
    off = Math.abs(off);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + "." +
      pad(d.getMilliseconds(), 3) + sign + pad(Math.floor(off / 60)) + ":" + pad(off % 60);
  }
  function inputValue(d, seconds) {
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + (seconds ? ":" + pad(d.getSeconds()) : "");
  }
  function hms(d) { return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()); }
  function hm(d) { return pad(d.getHours()) + ":" + pad(d.getMinutes()); }
  // A picker's wall-clock value in the branch's zone: "2026-11-22T14:00" -> "...T14:00:00+08:00".
  function withZone(v) {
    if (!v) return v;
    if (v.length === 16) v += ":00";
    return v + (TZ || isoLocal(new Date()).slice(-6));
  }
  function duration(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    return Math.floor(s / 60) + ":" + pad(s % 60);
  }
  function spoken(date, time) {
    var d = new Date(date + "T00:00:00"), today = new Date();
    today.setHours(0, 0, 0, 0);
    var days = Math.round((d - today) / 86400000);
    var t = String(Number(time.slice(0, 2))) + ":" + time.slice(3, 5);
    var prefix = { 0: "今天", 1: "明天", 2: "后天" }[days];
    return (prefix || (d.getMonth() + 1) + "月" + d.getDate() + "日") + t;
  }

  // -- storage ---------------------------------------------------------------------------------

  function load(key, dflt) {
    try { var v = JSON.parse(localStorage.getItem(key)); return v == null ? dflt : v; } catch (e) { return dflt; }
  }
  function save(key, value) { localStorage.setItem(key, JSON.stringify(value)); }
  function queue() { return load(QKEY, []); }
  function removeItem(id) { save(QKEY, queue().filter(function (it) { return it.id !== id; })); }
  function uid() { return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 8); }

  var memBlobs = {};  // when IndexedDB is unavailable (private mode): kept for this page only
  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        if (!window.indexedDB) { reject(new Error("no indexedDB")); return; }
        var req = indexedDB.open("doorstep-field", 1);
        req.onupgradeneeded = function () { req.result.createObjectStore("blobs"); };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    return dbPromise;
  }
  function idb(mode, fn) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction("blobs", mode), req = fn(tx.objectStore("blobs"));
        tx.oncomplete = function () { resolve(req ? req.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }
  function putBlob(key, blob) {
    return blob.arrayBuffer().then(function (buf) {
      var rec = { type: blob.type || "application/octet-stream", data: buf };
      return idb("readwrite", function (st) { return st.put(rec, key); }).catch(function () {
        memBlobs[key] = rec;
      });
    });
  }
  function getBlob(key) {
    if (memBlobs[key]) return Promise.resolve(memBlobs[key]);
    return idb("readonly", function (st) { return st.get(key); });
  }
  function dropBlob(key) {
    delete memBlobs[key];
    return idb("readwrite", function (st) { return st.delete(key); }).catch(noop);
  }

  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = $("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  P.root = root; P.ORDER = ORDER; P.NUMBER = NUMBER; P.TZ = TZ; P.WHO = WHO; P.QKEY = QKEY;
  P.FKEY = FKEY; P.RKEY = RKEY; P.CACHE = CACHE; P.MOVES = MOVES; P.PLACE = PLACE; P.noop = noop;
  P.$ = $; P.$$ = $$; P.pad = pad; P.isoLocal = isoLocal; P.inputValue = inputValue; P.hms = hms;
  P.hm = hm; P.withZone = withZone; P.duration = duration; P.spoken = spoken; P.load = load;
  P.save = save; P.queue = queue; P.removeItem = removeItem; P.uid = uid; P.db = db; P.idb = idb;
  P.putBlob = putBlob; P.getBlob = getBlob; P.dropBlob = dropBlob; P.csrf = csrf;
})({});
