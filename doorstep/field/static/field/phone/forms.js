// The phone pages' client, part 3 of 4: the step forms (collect, validate, queue), uploads of
// photos and speed tests, and the customer's signature.
(function (P) {
  "use strict";

  if (!P) return;
  var ORDER = P.ORDER, NUMBER = P.NUMBER, noop = P.noop, $ = P.$, $$ = P.$$, pad = P.pad,
    isoLocal = P.isoLocal, inputValue = P.inputValue, hms = P.hms, hm = P.hm,
    withZone = P.withZone, save = P.save, queue = P.queue, uid = P.uid, getBlob = P.getBlob,
    fieldsOf = P.fieldsOf, enqueue = P.enqueue, render = P.render;

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
    P.updateWorkWarning();
  }

  function countCall() {
    var el = $("#calls-since-arrival");
    if (!el) return;
    var n = Number(el.dataset.count || 0) + 1;
    el.dataset.count = String(n);
    el.textContent = String(n);
    P.tick();
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

  P.note = note; P.clearErrors = clearErrors; P.showErrors = showErrors;
  P.showErrorsFor = showErrorsFor; P.dirty = dirty; P.convert = convert;
  P.WINDOW_FIELDS = WINDOW_FIELDS; P.collect = collect; P.setBusy = setBusy; P.reloadAt = reloadAt;
  P.submitAction = submitAction; P.done = done; P.afterQueued = afterQueued;
  P.markConsent = markConsent; P.countCall = countCall; P.position = position; P.thumb = thumb;
  P.setThumb = setThumb; P.upload = upload; P.uploadPhotos = uploadPhotos;
  P.submitUpload = submitUpload; P.signatureUnsaved = signatureUnsaved;
  P.setupSignature = setupSignature; P.restoreWaitingUploads = restoreWaitingUploads;
})(window.DoorstepPhone);
