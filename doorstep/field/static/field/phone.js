// The phone pages' client.
//
// Every action and upload goes through one queue kept in the browser (localStorage for the
// items, IndexedDB for the files), stamped with the moment the button was pressed. The queue is
// sent in order to the JSON API whenever there is signal: at once, on the `online` event, on a
// retry timer and on the next page load. So an action taken without signal takes the same path
// as one taken with it, and nothing is lost on reload. A refusal (4xx) drops that item, shows
// why, and lets the rest go on; a network failure or 5xx keeps everything for later.
(function () {
  "use strict";

  var root = document.getElementById("phone");
  if (!root) return;

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

  // -- sending ---------------------------------------------------------------------------------

  // A payload may point at an upload queued before it ({"$ref": item id}): the signature of a
  // close-out made without signal. It is resolved to the attachment id once that is known.
  function resolveRefs(value, results) {
    if (Array.isArray(value)) return value.map(function (v) { return resolveRefs(v, results); });
    if (value && typeof value === "object") {
      if ("$ref" in value) {
        if (results[value.$ref] == null) throw { missingRef: value.$ref };
        return results[value.$ref];
      }
      var out = {};
      Object.keys(value).forEach(function (k) { out[k] = resolveRefs(value[k], results); });
      return out;
    }
    return value;
  }

  function send(item, withTime) {
    var headers = { "X-CSRFToken": csrf(), "Accept": "application/json", "Idempotency-Key": item.id };
    if (item.type === "action") {
      var body = resolveRefs(item.payload, load(RKEY, {}));
      if (withTime) body.occurred_at = item.occurred_at;
      headers["Content-Type"] = "application/json";
      return fetch("/api/v1/orders/" + item.order + "/actions/" + item.action, {
        method: "POST", headers: headers, body: JSON.stringify(body), credentials: "same-origin",
      });
    }
    return getBlob(item.id).then(function (rec) {
      if (!rec) throw { gone: true };
      var fd = new FormData();
      fd.append("kind", item.kind);
      fd.append("file", new Blob([rec.data], { type: rec.type }), item.filename || "upload.png");
      Object.keys(item.fields || {}).forEach(function (k) { fd.append(k, item.fields[k]); });
      if (withTime) fd.append("occurred_at", item.occurred_at);
      return fetch("/api/v1/orders/" + item.order + "/attachments", {
        method: "POST", headers: headers, body: fd, credentials: "same-origin",
      });
    });
  }

  function classify(resp) {
    return resp.json().catch(function () { return {}; }).then(function (body) {
      var s = resp.status;
      if (resp.ok) return { kind: "ok", status: s, body: body };
      if (s === 401) return { kind: "auth", status: s, body: body };
      if (s >= 500 || s === 429 || s === 408) return { kind: "retry", status: s, body: body };
      return { kind: "failed", status: s, body: body };
    });
  }

  function fieldsOf(r) { return (r && r.body && r.body.error && r.body.error.fields) || {}; }

  function attempt(item) {
    return Promise.resolve().then(function () { return send(item, true); }).then(classify).then(function (r) {
      if (r.kind === "failed" && r.status === 422 && fieldsOf(r).occurred_at &&
          Date.now() - item.created < 120000) {
        // Sent within two minutes of the press: the phone's and the server's clocks merely
        // disagree a little, and the server's own time is as true.
        return send(item, false).then(classify);
      }
      return r;
    }).catch(function (err) {
      if (err && err.missingRef) {
        return { kind: "failed", status: 0, body: { error: { message: "所依赖的签名未能上传，请重新签名后再提交回单" } } };
      }
      if (err && err.gone) {
        return { kind: "failed", status: 0, body: { error: { message: "待上传的文件已丢失，请重新拍摄" } } };
      }
      return { kind: "retry" };  // no signal: fetch itself failed
    });
  }

  var waiters = {};       // item id -> callback of the page that pressed it
  var flushing = null;
  var retryTimer = null;
  var backoff = 5000;
  var authBlocked = false;
  var inFlight = null;    // the item being sent right now
  var handedBack = false; // this order was returned: it is no longer the technician's to see

  function notify(item, result) {
    var cb = waiters[item.id];
    if (!cb) return false;
    delete waiters[item.id];
    cb(result);
    return true;
  }

  function later() {
    if (retryTimer) return;
    retryTimer = setTimeout(function () { retryTimer = null; flush(); }, backoff);
    backoff = Math.min(backoff * 2, 60000);
  }

  function withLock(fn) {
    // Two tabs must not send the same item twice.
    if (navigator.locks && navigator.locks.request) return navigator.locks.request("doorstep-field-queue", fn);
    return fn();
  }

  function drain() {
    var replayed = false;
    function next() {
      var q = queue();
      if (!q.length || authBlocked) return Promise.resolve();
      var item = q[0];
      if (!navigator.onLine) { later(); q.forEach(function (it) { notify(it, { queued: true }); }); return Promise.resolve(); }
      inFlight = item.id;
      render(true);
      return attempt(item).then(function (r) {
        inFlight = null;
        if (r.kind === "retry" || r.kind === "auth") {
          if (r.kind === "auth") showAuth(); else later();
          queue().forEach(function (it) { notify(it, { queued: true }); });
          return undefined;
        }
        removeItem(item.id);
        if (item.type === "upload") {
          dropBlob(item.id);
          if (r.kind === "ok" && r.body && r.body.id != null) {
            var results = load(RKEY, {});
            results[item.id] = r.body.id;
            save(RKEY, results);
          }
        }
        if (r.kind === "ok") {
          backoff = 5000;
          if (!notify(item, r) && item.order === ORDER) {
            replayed = true;
            if (item.action === "return") handedBack = true;
          }
        } else if (!notify(item, r)) {
          addFailed(item, r);
          showErrorsFor(item, r);
        }
        return next();
      });
    }
    return next().then(function () {
      if (!queue().length) save(RKEY, {});  // nothing left that could refer to an upload
      if (replayed && !queue().length) afterReplay();
    });
  }

  function flush() {
    if (flushing) return flushing;
    flushing = Promise.resolve(withLock(drain)).catch(noop).then(function () {
      flushing = null;
      render(false);
      // Something queued while the last round was finishing.
      if (queue().length && navigator.onLine && !retryTimer && !authBlocked) flush();
    });
    return flushing;
  }

  function enqueue(item, blob) {
    var stored = blob ? putBlob(item.id, blob) : Promise.resolve();
    return stored.then(function () {
      var q = queue();
      q.push(item);
      save(QKEY, q);
      render(false);
      var done = new Promise(function (resolve) { waiters[item.id] = resolve; });
      flush();
      return done;
    });
  }

  function addFailed(item, r) {
    var err = (r.body && r.body.error) || {};
    var failed = load(FKEY, []);
    failed.push({
      id: item.id, order: item.order, number: item.number, label: item.label,
      at: item.occurred_at, status: r.status, message: err.message || ("提交失败（" + r.status + "）"),
      state: err.state || null,
    });
    save(FKEY, failed);
  }

  function afterReplay() {
    // What was pressed without signal has reached the server: show the order as it is now,
    // unless the technician is in the middle of typing something.
    if (handedBack) { location.href = "/m/"; return; }
    if (dirty()) {
      $("#queue-count").textContent = "离线记录已全部上传";
      var link = document.createElement("button");
      link.type = "button";
      link.className = "link";
      link.textContent = "刷新查看";
      link.addEventListener("click", function () { location.reload(); });
      $("#queue-count").appendChild(link);
      return;
    }
    location.reload();
  }

  function showAuth() {
    authBlocked = true;
    var count = $("#queue-count");
    count.innerHTML = "";
    count.appendChild(document.createTextNode("登录已过期，待上传 " + queue().length + " 项已保留："));
    var a = document.createElement("a");
    a.href = root.dataset.login + "?next=" + encodeURIComponent(location.pathname);
    a.textContent = "重新登录";
    count.appendChild(a);
  }

  // -- the bar: what is still waiting ----------------------------------------------------------

  function render(sending) {
    var q = queue(), failed = load(FKEY, []), online = navigator.onLine;
    var bar = $("#sync-bar"), net = $("#net-state"), count = $("#queue-count");
    net.textContent = online ? "在线" : "离线";
    net.classList.toggle("off", !online);
    if (!authBlocked) {
      count.textContent = q.length ? "待上传 " + q.length + " 项" : (online ? "" : "离线：操作会先保存在手机上");
    }
    bar.hidden = !(q.length || failed.length || !online);
    bar.dataset.state = !online ? "offline" : (sending && q.length ? "sending" : "idle");
    $("#queue-retry").hidden = !(q.length && online);
    $("#queue-toggle").hidden = !q.length;
    var list = $("#queue-list");
    list.innerHTML = "";
    q.forEach(function (it) {
      var li = document.createElement("li");
      var at = new Date(it.created);
      li.textContent = it.label + " · " + hms(at) + (it.order !== ORDER ? " · 工单 " + it.number : "");
      list.appendChild(li);
    });
    var flist = $("#failed-list");
    flist.innerHTML = "";
    failed.forEach(function (f) {
      var li = document.createElement("li");
      li.dataset.id = f.id;
      var text = "未能提交「" + f.label + "」" + (f.number ? "（" + f.number + "）" : "") + "：" + f.message;
      li.appendChild(document.createTextNode(text));
      if (f.order && f.order !== ORDER) {
        var a = document.createElement("a");
        a.href = "/m/orders/" + f.order + "/";
        a.textContent = " 查看工单";
        li.appendChild(a);
      }
      var b = document.createElement("button");
      b.type = "button";
      b.className = "secondary";
      b.dataset.dismiss = f.id;
      b.textContent = "知道了";
      li.appendChild(b);
      flist.appendChild(li);
    });
    // A move pressed without signal is waiting: do not offer it a second time.
    $$("form.act").forEach(function (form) {
      var action = form.dataset.action;
      var waiting = q.filter(function (it) {
        return it.type === "action" && it.order === ORDER && it.action === action && MOVES[action] &&
          it.id !== inFlight;
      });
      form.classList.toggle("pending", waiting.length > 0);
      if (waiting.length) {
        $$("button[type=submit]", form).forEach(function (b) { b.disabled = true; });
        note(form, "已记录（" + hms(new Date(waiting[0].created)) + "），有信号后自动上传");
        form.dataset.waiting = "1";
      } else if (form.dataset.waiting === "1") {
        form.dataset.waiting = "";
        $$("button[type=submit]", form).forEach(function (b) { b.disabled = false; });
        note(form, "");
      }
    });
  }

  // -- forms -----------------------------------------------------------------------------------

  function note(form, text) {
    var el = $(".form-note", form);
    if (!el) {
      el = document.createElement("div");
      el.className = "form-note";
      el.setAttribute("role", "status");
      var first = $(".form-error", form);
      form.insertBefore(el, first ? first.nextSibling : form.firstChild);
    }
    el.textContent = text;
    el.hidden = !text;
  }

  function clearErrors(form) {
    $$(".err", form).forEach(function (el) { el.textContent = ""; });
    var box = $(".form-error", form);
    if (box) { box.textContent = ""; box.hidden = true; }
    note(form, "");
  }

  function showErrors(form, r) {
    var err = (r.body && r.body.error) || {};
    var fields = err.fields || {};
    var unplaced = [];
    Object.keys(fields).forEach(function (name) {
      var msgs = [].concat(fields[name]).join("；");
      var key = name.split(".")[0];
      var spot = $('.err[data-for="' + key + '"]', form) || $('[data-error-for="' + key + '"]');
      if (spot) spot.textContent = msgs; else unplaced.push(msgs);
    });
    var message = err.message || (r.status ? "提交失败（" + r.status + "）" : "提交失败");
    if (err.code === "conflict" || err.code === "illegal_transition" || err.code === "concurrent_change") {
      message += "。请刷新页面查看最新状态";
    }
    var box = $(".form-error", form);
    var lines = [];
    if (err.code === "gate_refused" || unplaced.length || !Object.keys(fields).length) lines.push(message);
    unplaced.forEach(function (m) { if (lines.indexOf(m) < 0 && message.indexOf(m) < 0) lines.push(m); });
    if (box && lines.length) { box.textContent = lines.join("\n"); box.hidden = false; }
    var first = $(".err:not(:empty)", form) || (box && !box.hidden ? box : null);
    if (first && first.scrollIntoView) first.scrollIntoView({ block: "center" });
  }

  // A replayed item refused by the server: show it beside its form too, when it is on this page.
  function showErrorsFor(item, r) {
    if (item.order !== ORDER) return;
    if (item.type === "action") {
      var form = $('form.act[data-action="' + item.action + '"]');
      if (form) showErrors(form, r);
    } else {
      var spot = $('[data-error-for="' + item.kind + '"]');
      if (spot) spot.textContent = ((r.body && r.body.error) || {}).message || "上传失败";
    }
  }

  function dirty() {
    if (signatureUnsaved()) return true;
    return $$("form.act, form.upload").some(function (f) { return f.dataset.dirty === "1"; });
  }

  function convert(el, v) {
    var type = el.dataset.type;
    if (type === "datetime") return withZone(v);
    if (type === "int") return parseInt(v, 10);
    if (type === "int-or-ref") return v.indexOf("ref:") === 0 ? { $ref: v.slice(4) } : parseInt(v, 10);
    if (el.type === "number") return parseFloat(v);
    return v;
  }

  var WINDOW_FIELDS = { _date: "start", _start: "start", _end: "end" };

  // The form as the action's JSON payload, or null when something required is missing.
  function collect(form, submitter, pressed) {
    var data = {}, errors = {}, radios = {};
    $$("input, select, textarea", form).forEach(function (el) {
      var name = el.name;
      if (!name || el.disabled || el.type === "file" || el.type === "submit" || el.type === "button") return;
      if (el.name === "csrfmiddlewaretoken") return;
      if (el.type === "radio") {
        radios[name] = radios[name] || el.checked;
        if (el.checked) data[name] = convert(el, el.value);
        if (el.required && !(name in errors)) errors[name] = null;
        return;
      }
      if (el.type === "checkbox") {
        data[name] = data[name] || [];
        if (el.checked) data[name].push(el.value);
        return;
      }
      if (el.hasAttribute("data-now") && el.dataset.touched !== "1") el.value = inputValue(pressed, true);
      var v = el.value.trim();
      if (!v) {
        if (el.required) errors[WINDOW_FIELDS[name] || name] = el.tagName === "SELECT" ? "请选择" : "请填写";
        return;
      }
      data[name] = convert(el, v);
    });
    Object.keys(errors).forEach(function (name) {
      if (errors[name] === null) { if (radios[name]) delete errors[name]; else errors[name] = "请选择"; }
    });
    if (submitter && submitter.name) data[submitter.name] = submitter.value;
    (form.dataset.bool || "").split(/\s+/).filter(Boolean).forEach(function (name) {
      if (name in data) data[name] = data[name] === true || data[name] === "true";
    });
    if (form.hasAttribute("data-window") && data._date && data._start && data._end) {
      data.start = withZone(data._date + "T" + data._start);
      data.end = withZone(data._date + "T" + data._end);
    }
    Object.keys(data).forEach(function (k) { if (k.charAt(0) === "_") delete data[k]; });
    if (form.dataset.action === "complete" && data.signature == null && !data.no_signature_reason) {
      errors.signature = "请客户在上方签名并点「确认签名」，或填写无法签字的原因";
    }
    if (Object.keys(errors).length) {
      var fields = {};
      Object.keys(errors).forEach(function (k) { fields[k] = [errors[k]]; });
      showErrors(form, { status: 0, body: { error: { message: "请补全标红的项目", fields: fields } } });
      return null;
    }
    return data;
  }

  function setBusy(form, busy) {
    $$("button[type=submit]", form).forEach(function (b) { b.disabled = busy; });
  }

  function reloadAt(form) {
    var card = form.closest("details.step");
    history.replaceState(null, "", location.pathname + (card ? "#" + card.id : ""));
    location.reload();
  }

  function submitAction(form, submitter) {
    var pressed = new Date();  // occurred_at: the moment the button was pressed
    if (form.dataset.busy === "1") return;
    clearErrors(form);
    var payload = collect(form, submitter, pressed);
    if (!payload) return;
    form.dataset.busy = "1";
    setBusy(form, true);
    var item = {
      id: uid(), type: "action", order: ORDER, number: NUMBER, action: form.dataset.action,
      payload: payload, occurred_at: isoLocal(pressed), created: pressed.getTime(),
      label: form.dataset.label || form.dataset.action,
    };
    var located = form.hasAttribute("data-geo") ? position(form) : Promise.resolve(null);
    located.then(function (pos) {
      if (pos) { item.payload.lat = pos.lat; item.payload.lng = pos.lng; }
      return enqueue(item);
    }).then(function (r) {
      form.dataset.busy = "";
      setBusy(form, false);
      if (r.queued) {
        form.dataset.dirty = "";
        note(form, "没有信号：已记录（" + hms(pressed) + "），有信号后自动上传");
        afterQueued(form, item);
        render(false);
        return;
      }
      if (r.kind === "ok") {
        form.dataset.dirty = "";
        done(form, item);
        return;
      }
      showErrors(form, r);
    });
  }

  // Repeatable steps (consent, a call while waiting at the door) update in place so nothing
  // typed elsewhere on the page is lost; steps that move the order reload the page.
  function done(form, item) {
    var action = item.action;
    if (action === "consent") {
      markConsent(form, item.payload.granted, "");
      note(form, "已记录");
      return;
    }
    if (action === "contact" && form.closest("#step-not-home")) {
      countCall();
      note(form, "已记录通话结果");
      return;
    }
    if (action === "return") { location.href = "/m/"; return; }
    reloadAt(form);
  }

  function afterQueued(form, item) {
    if (item.action === "consent") markConsent(form, item.payload.granted, "（待上传）");
    if (item.action === "contact" && form.closest("#step-not-home")) countCall();
  }

  function markConsent(form, granted, suffix) {
    var row = form.closest(".consent");
    if (!row) return;
    row.dataset.granted = granted ? "true" : "false";
    var head = $(".consent-head", row), tag = $(".tag", head);
    if (!tag) { tag = document.createElement("span"); head.appendChild(tag); }
    tag.className = "tag " + (granted ? "ok" : "no");
    tag.textContent = (granted ? "已同意 " : "客户不同意 ") + hm(new Date()) + suffix;
    updateWorkWarning();
  }

  function countCall() {
    var el = $("#calls-since-arrival");
    if (!el) return;
    var n = Number(el.dataset.count || 0) + 1;
    el.dataset.count = String(n);
    el.textContent = String(n);
    tick();
  }

  function position(form) {
    var state = $(".geo-state", form);
    function say(text) { if (state) { state.hidden = false; state.textContent = text; } }
    if (!navigator.geolocation) return Promise.resolve(null);
    say("正在获取位置…");
    return new Promise(function (resolve) {
      var settled = false;
      function finish(value, text) { if (settled) return; settled = true; say(text); resolve(value); }
      // A permission prompt does not count towards the API's own timeout.
      setTimeout(function () { finish(null, "未能获取位置，只记录时间"); }, 6000);
      navigator.geolocation.getCurrentPosition(function (p) {
        finish({ lat: Math.round(p.coords.latitude * 1e6) / 1e6, lng: Math.round(p.coords.longitude * 1e6) / 1e6 }, "已记录位置");
      }, function () { finish(null, "未获得定位，只记录时间"); },
      { enableHighAccuracy: true, timeout: 5000, maximumAge: 60000 });
    });
  }

  // -- uploads: photos, speed tests, the signature ---------------------------------------------

  function thumb(container, blob, caption) {
    if (!container) return null;
    var fig = document.createElement("figure");
    fig.className = "thumb";
    var img = document.createElement("img");
    img.src = URL.createObjectURL(blob);
    img.alt = caption;
    var cap = document.createElement("figcaption");
    cap.textContent = caption;
    fig.appendChild(img);
    fig.appendChild(cap);
    container.appendChild(fig);
    return fig;
  }
  function setThumb(fig, state, caption) {
    if (!fig) return;
    fig.className = "thumb " + state;
    $("figcaption", fig).textContent = caption;
  }

  function upload(kind, blob, filename, fields, label) {
    var pressed = new Date();
    var item = {
      id: uid(), type: "upload", order: ORDER, number: NUMBER, kind: kind, fields: fields || {},
      filename: filename, occurred_at: isoLocal(pressed), created: pressed.getTime(), label: label,
    };
    var spot = $('[data-error-for="' + kind + '"]');
    if (spot) spot.textContent = "";
    return enqueue(item, blob).then(function (r) { r.item = item; return r; });
  }

  function uploadPhotos(input) {
    var files = Array.prototype.slice.call(input.files || []);
    var box = $("#thumbs-" + input.dataset.upload);
    files.forEach(function (file) {
      var fig = thumb(box, file, "上传中…");
      upload(input.dataset.upload, file, file.name || "photo.jpg", {}, input.dataset.label || "照片")
        .then(function (r) {
          if (r.queued) setThumb(fig, "waiting", "待上传");
          else if (r.kind === "ok") setThumb(fig, "done", "已上传");
          else {
            setThumb(fig, "failed", "上传失败");
            var spot = $('[data-error-for="' + input.dataset.upload + '"]');
            var fields = fieldsOf(r);
            if (spot) spot.textContent = (fields.file || [((r.body && r.body.error) || {}).message || "上传失败"]).join("；");
          }
        });
    });
    input.value = "";
  }

  function submitUpload(form) {
    clearErrors(form);
    var file = $("input[type=file]", form).files[0];
    var fields = {}, errors = {};
    if (!file) errors.file = ["请先拍摄或选择测速截图"];
    $$("input[type=number]", form).forEach(function (el) {
      if (!el.value.trim()) errors[el.name] = ["请填写"]; else fields[el.name] = el.value.trim();
    });
    if (Object.keys(errors).length) {
      showErrors(form, { status: 0, body: { error: { message: "请补全标红的项目", fields: errors } } });
      return;
    }
    var box = $("#thumbs-" + form.dataset.kind);
    var caption = "↓" + fields.down_mbps + " ↑" + fields.up_mbps;
    var fig = thumb(box, file, caption + " 上传中…");
    setBusy(form, true);
    upload(form.dataset.kind, file, file.name || "speedtest.png", fields, form.dataset.label || "测速")
      .then(function (r) {
        setBusy(form, false);
        if (r.queued) { setThumb(fig, "waiting", caption + " 待上传"); form.reset(); form.dataset.dirty = ""; return; }
        if (r.kind === "ok") { setThumb(fig, "done", caption); form.reset(); form.dataset.dirty = ""; return; }
        if (fig) fig.remove();
        showErrors(form, r);
      });
  }

  var sigPad = null;
  var padSaved = true;
  function signatureUnsaved() { return sigPad !== null && !padSaved && !sigPad.isEmpty(); }

  function setupSignature() {
    var canvas = $("#sig-pad");
    if (!canvas || !window.DoorstepSignaturePad) return;
    sigPad = window.DoorstepSignaturePad(canvas);
    canvas.addEventListener("pointerdown", function () { padSaved = false; });
    var state = $("#sig-state"), hidden = $("#signature-id");
    $("#sig-clear").addEventListener("click", function () { sigPad.clear(); padSaved = true; });
    $("#sig-save").addEventListener("click", function () {
      var spot = $('[data-error-for="signature"]');
      if (sigPad.isEmpty()) { if (spot) spot.textContent = "请客户先在签名区签名"; return; }
      var button = this;
      button.disabled = true;
      state.dataset.state = "saving";
      state.textContent = "正在保存签名…";
      sigPad.toBlob().then(function (blob) {
        return upload("signature", blob, "signature.png", {}, "客户签名");
      }).then(function (r) {
        button.disabled = false;
        if (r.queued) {
          padSaved = true;
          hidden.value = "ref:" + r.item.id;
          state.dataset.state = "waiting";
          state.textContent = "已签名（待上传）";
        } else if (r.kind === "ok") {
          padSaved = true;
          hidden.value = String(r.body.id);
          state.dataset.state = "done";
          state.textContent = "已签名 ✓";
          var err = $('.err[data-for="signature"]');
          if (err) err.textContent = "";
        } else {
          state.dataset.state = "none";
          state.textContent = "签名未保存";
          if (spot) spot.textContent = ((r.body && r.body.error) || {}).message || "上传失败";
        }
      });
    });
  }

  // Uploads of this order still waiting (from before a reload) are shown as such.
  function restoreWaitingUploads() {
    queue().forEach(function (it) {
      if (it.type !== "upload" || it.order !== ORDER) return;
      if (it.kind === "signature") {
        var hidden = $("#signature-id"), state = $("#sig-state");
        if (hidden && !hidden.value) {
          hidden.value = "ref:" + it.id;
          state.dataset.state = "waiting";
          state.textContent = "已签名（待上传）";
        }
        return;
      }
      var box = $("#thumbs-" + it.kind);
      if (!box) return;
      getBlob(it.id).then(function (rec) {
        if (!rec) return;
        var fig = thumb(box, new Blob([rec.data], { type: rec.type }), "待上传");
        setThumb(fig, "waiting", "待上传");
      }).catch(noop);
    });
  }

  // -- banned phrases (R23), checked while typing ----------------------------------------------

  var checkTimers = {};
  function hintFor(el) {
    var n = el.nextElementSibling;
    return n && n.classList.contains("phrase-hint") ? n : null;
  }
  function checkPhrase(el) {
    var hint = hintFor(el), text = el.value;
    if (!hint) return;
    if (!text.trim() || !navigator.onLine) { hint.hidden = true; return; }
    fetch(root.dataset.checkUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify({ text: text }),
    }).then(function (resp) { return resp.json(); }).then(function (res) {
      if (el.value !== text) return;  // typed on since
      hint.innerHTML = "";
      if (res.ok) { hint.hidden = true; return; }
      var msg = document.createElement("div");
      msg.className = "phrase-msg";
      msg.textContent = res.message;
      hint.appendChild(msg);
      if (res.suggestion) {
        var use = document.createElement("button");
        use.type = "button";
        use.className = "use";
        use.textContent = "使用建议说法";
        use.addEventListener("click", function () {
          el.value = res.suggestion;
          el.dataset.edited = "1";
          hint.hidden = true;
          el.dispatchEvent(new Event("input", { bubbles: true }));
        });
        hint.appendChild(use);
      }
      hint.hidden = false;
    }).catch(noop);
  }

  // -- live bits: scripts, warnings, the wait at the door ---------------------------------------

  function updateLive(body) {
    if (!body) return;
    var script = $(".script.live", body), form = $("form.act", body);
    if (!script || !form) return;
    var vals = {};
    var reason = $("[name=reason]", form);
    if (reason && reason.value.trim()) vals.reason = reason.value.trim().replace(/原因$/, "");
    var eta = $("[name=eta]", form), start = root.dataset.start;
    if (eta && eta.value && start) {
      var mins = Math.round((Date.parse(withZone(eta.value)) - Date.parse(start)) / 60000);
      if (mins > 0) vals.delay_minutes = String(mins);
    }
    var d = $("[name=_date]", form), s = $("[name=_start]", form);
    if (d && s && d.value && s.value) vals.time = spoken(d.value, s.value);
    $$("p[data-template]", script).forEach(function (p) {
      p.textContent = p.dataset.template.replace(/\{(\w+)\}/g, function (m, k) { return vals[k] || PLACE[k] || m; });
    });
  }

  function updateWorkWarning() {
    var form = $("#complete-form");
    if (!form) return;
    var missing = $$('input[name=work]:checked', form).filter(function (box) {
      var row = $('.consent[data-subject="' + box.value + '"]');
      return !row || row.dataset.granted !== "true";
    }).map(function (box) { return box.parentNode.textContent.trim(); });
    var warn = $("[data-work-warning]", form);
    warn.hidden = !missing.length;
    warn.textContent = missing.length ? "「" + missing.join("、") + "」尚未取得客户同意：先在上方「征得同意」记录，否则将记为违规（R12）" : "";
  }

  function updateKit(form) {
    var boxes = $$("input[name=checklist]", form), missing = boxes.filter(function (b) { return !b.checked; }).length;
    var warn = $("[data-kit-missing]", form);
    if (warn) { warn.hidden = missing === 0; $("b", warn).textContent = String(missing); }
    var button = $("button[type=submit]", form);
    if (button) button.textContent = missing === 0 ? "物品已备齐，出发" : "出发";
  }

  function tick() {
    var now = Date.now();
    $$("[data-show-from]").forEach(function (el) {
      var from = Date.parse(el.dataset.showFrom);
      if (isNaN(from)) return;
      var show = now >= from;
      if (show && el.dataset.unless) {
        var kv = el.dataset.unless.split("=");
        var body = el.closest(".step-body");
        var chosen = body && $('input[name="' + kv[0] + '"]:checked', body);
        if (chosen && chosen.value === kv[1]) show = false;
      }
      el.hidden = !show;
    });
    $$("input[data-now]").forEach(function (el) {
      if (el.dataset.touched !== "1") el.value = inputValue(new Date(), true);
    });
    $$("textarea[data-template]").forEach(function (el) {
      if (el.dataset.edited === "1") return;
      var left = el.form && el.form.elements.left_at;
      var at = left && left.value ? new Date(Date.parse(withZone(left.value))) : new Date();
      var text = el.dataset.template.replace("{leave_time}", hm(at));
      if (el.value !== text) el.value = text;
    });
    var wait = $("#wait-timer");
    if (wait && wait.dataset.since) {
      var since = Date.parse(wait.dataset.since), need = Number(wait.dataset.need || 0) * 60000;
      $(".wait-clock", wait).textContent = duration(now - since);
      wait.classList.toggle("enough", now - since >= need);
      var form = $("form[data-r9]");
      if (form) {
        var arrived = Date.parse(withZone(form.elements.arrived_at.value));
        var leftAt = Date.parse(withZone(form.elements.left_at.value));
        var waited = isNaN(arrived) || isNaN(leftAt) ? now - since : leftAt - arrived;
        var short = need > 0 && waited < need;
        var li = $('[data-warn="wait"]', form);
        li.hidden = !short;
        $(".waited", li).textContent = Math.floor(Math.max(waited, 0) / 60000) + " 分 " + pad(Math.floor(Math.max(waited, 0) / 1000) % 60) + " 秒";
        var calls = Number(($("#calls-since-arrival") || { dataset: {} }).dataset.count || 0);
        $('[data-warn="call"]', form).hidden = calls > 0;
        var warned = short || calls === 0;
        $("button[type=submit]", form).textContent = warned ? "仍要留言离开（将记为违规）" : "留下留言并离开";
      }
    }
  }

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
      backoff = 5000;
      if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
      flush();
    }
  });

  window.addEventListener("online", function () {
    backoff = 5000;
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
    render(false);
    flush();
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
    if (queue().length && navigator.onLine && !flushing && !retryTimer && !authBlocked) flush();
  }, 30000);
  if (queue().length && navigator.onLine) flush();
  registerWorker();
})();
