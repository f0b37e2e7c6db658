// A signature pad on a <canvas>: pointer events (finger, stylus, mouse), white background so the
// PNG reads the same whatever the server converts it to.
(function () {
  "use strict";

  function SignaturePad(canvas) {
    var ctx = canvas.getContext("2d");
    var drawing = false, strokes = 0, last = null;

    function size() {
      var ratio = Math.max(window.devicePixelRatio || 1, 1);
      var w = canvas.clientWidth, h = canvas.clientHeight;
      if (!w || !h) return;
      canvas.width = Math.round(w * ratio);
      canvas.height = Math.round(h * ratio);
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      clear();
    }
    function clear() {
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.restore();
      ctx.lineWidth = 2.6;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#111";
      strokes = 0;
    }
    function point(ev) {
      var r = canvas.getBoundingClientRect();
      return { x: ev.clientX - r.left, y: ev.clientY - r.top };
    }
    canvas.addEventListener("pointerdown", function (ev) {
      ev.preventDefault();
      drawing = true;
      last = point(ev);
      if (canvas.setPointerCapture) { try { canvas.setPointerCapture(ev.pointerId); } catch (e) { /* older browsers */ } }
      ctx.beginPath();
      ctx.arc(last.x, last.y, 1.2, 0, Math.PI * 2);
      ctx.fillStyle = "#111";
      ctx.fill();
    });
    canvas.addEventListener("pointermove", function (ev) {
      if (!drawing) return;
      ev.preventDefault();
      var p = point(ev);
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      last = p;
      strokes += 1;
    });
    function end() { drawing = false; last = null; }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("pointerleave", end);

    size();
    var width = canvas.clientWidth;
    window.addEventListener("resize", function () {
      // Resizing a canvas wipes it: only redo it before anyone has signed.
      if (strokes === 0 && canvas.clientWidth !== width) { width = canvas.clientWidth; size(); }
    });

    return {
      clear: clear,
      isEmpty: function () { return strokes < 3; },
      toBlob: function () {
        return new Promise(function (resolve) { canvas.toBlob(resolve, "image/png"); });
      },
    };
  }

  window.DoorstepSignaturePad = SignaturePad;
})();
