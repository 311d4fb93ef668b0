/* StoreChat admin, settings pages: the widget's live preview and the sync's progress.
   A plain script, no framework. */
(function () {
  "use strict";

  // ---- the widget page: the preview frame follows the form (the values not yet saved)
  var form = document.getElementById("widget-form"), frame = document.getElementById("preview");
  if (form && frame) {
    var timer, shown = "";
    var pick = document.getElementById("s-color-pick"), color = document.getElementById("s-color");
    var redraw = function () {
      var data = new URLSearchParams(new FormData(form));
      data.delete("csrf_token");
      var src = form.getAttribute("data-preview") + "?" + data.toString();
      if (src !== shown) { shown = src; frame.src = src; }
    };
    var later = function () { clearTimeout(timer); timer = setTimeout(redraw, 300); };
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    if (pick && color) {
      pick.addEventListener("input", function () { color.value = pick.value; later(); });
      color.addEventListener("input", function () { if (/^#[0-9a-f]{6}$/i.test(color.value)) pick.value = color.value; });
    }
    redraw();
  }

  // ---- the install page: a sync run's progress, polled until it ends
  var progress = document.getElementById("sync-progress");
  if (progress && progress.getAttribute("data-run")) {
    var url = progress.getAttribute("data-url") + progress.getAttribute("data-run");
    var poll = function () {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (run) {
          if (!run || run.error && !run.status) { progress.textContent = "Sync: unknown run."; return; }
          var counts = run.products + " products, " + run.documents + " pages";
          if (run.status === "queued") progress.textContent = "Sync queued: waiting for a worker…";
          else if (run.status === "running") progress.textContent = "Syncing: " + counts + " so far…";
          else if (run.status === "finished") progress.textContent = "Sync finished: " + counts + (run.removed ? ", " + run.removed + " removed" : "") + ".";
          else progress.textContent = "Sync failed after " + counts + ": " + (run.error || "unknown error");
          if (run.status === "queued" || run.status === "running") setTimeout(poll, 1000);
        }, function () { setTimeout(poll, 3000); });
    };
    poll();
  }
})();
