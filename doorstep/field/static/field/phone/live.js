// The phone pages' client, part 4 of 4: live checks while the technician works: banned phrases
// (R23) as they type, scripts filled in as they pick, the R7/R8 warnings appearing when their
// window opens (the server sends the cutoffs), and the wait at the door (R9).
(function (P) {
  "use strict";

  if (!P) return;
  var root = P.root, PLACE = P.PLACE, noop = P.noop, $ = P.$, $$ = P.$$, pad = P.pad,
    inputValue = P.inputValue, hm = P.hm, withZone = P.withZone, duration = P.duration,
    spoken = P.spoken, csrf = P.csrf;

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

  P.hintFor = hintFor; P.checkPhrase = checkPhrase; P.updateLive = updateLive;
  P.updateWorkWarning = updateWorkWarning; P.updateKit = updateKit; P.tick = tick;
  P.checkTimers = checkTimers;
})(window.DoorstepPhone);
