// The phone pages' client, part 2 of 4: the offline queue.
//
// Every action and upload goes through one queue kept in the browser, stamped with the moment
// the button was pressed. The queue is sent in order to the JSON API whenever there is signal:
// at once, on the `online` event, on a retry timer and on the next page load. So an action taken
// without signal takes the same path as one taken with it, and nothing is lost on reload. A
// refusal (4xx) drops that item, shows why, and lets the rest go on; a network failure or 5xx
// keeps everything for later. The bar at the top shows what is still waiting.
(function (P) {
  "use strict";

  if (!P) return;
  var root = P.root, ORDER = P.ORDER, QKEY = P.QKEY, FKEY = P.FKEY, RKEY = P.RKEY, MOVES = P.MOVES,
    noop = P.noop, $ = P.$, $$ = P.$$, hms = P.hms, load = P.load, save = P.save, queue = P.queue,
    removeItem = P.removeItem, putBlob = P.putBlob, getBlob = P.getBlob, dropBlob = P.dropBlob,
    csrf = P.csrf;

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
          P.showErrorsFor(item, r);
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
    if (P.dirty()) {
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
        P.note(form, "已记录（" + hms(new Date(waiting[0].created)) + "），有信号后自动上传");
        form.dataset.waiting = "1";
      } else if (form.dataset.waiting === "1") {
        form.dataset.waiting = "";
        $$("button[type=submit]", form).forEach(function (b) { b.disabled = false; });
        P.note(form, "");
      }
    });
  }

  // The retry button and the `online` event: send now, and start the back-off afresh.
  function retryNow() {
    backoff = 5000;
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
    flush();
  }

  // Nothing being sent, no retry waiting, no login needed: a periodic flush may start.
  function idle() { return !flushing && !retryTimer && !authBlocked; }

  P.resolveRefs = resolveRefs; P.send = send; P.classify = classify; P.fieldsOf = fieldsOf;
  P.attempt = attempt; P.notify = notify; P.later = later; P.withLock = withLock; P.drain = drain;
  P.flush = flush; P.enqueue = enqueue; P.addFailed = addFailed; P.afterReplay = afterReplay;
  P.showAuth = showAuth; P.render = render; P.retryNow = retryNow; P.idle = idle;
})(window.DoorstepPhone);
