// Ordo console: keyboard shortcuts, row selection and the bits htmx does not do.
// No inline scripts anywhere (the pages' CSP forbids them); everything is wired here.
(function () {
  "use strict";

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr[data-row]")); }
  var cursor = -1;
  function move(step) {
    var all = rows();
    if (!all.length) return;
    if (cursor >= 0 && all[cursor]) all[cursor].classList.remove("cursor");
    cursor = Math.max(0, Math.min(all.length - 1, cursor + step));
    all[cursor].classList.add("cursor");
    all[cursor].scrollIntoView({ block: "nearest" });
  }
  function toggleCurrent() {
    var row = rows()[cursor];
    var box = row && row.querySelector("input[type=checkbox]");
    if (box) { box.checked = !box.checked; box.dispatchEvent(new Event("change", { bubbles: true })); }
  }
  function openCurrent() {
    var row = rows()[cursor];
    var link = row && row.querySelector("a[href]");
    if (link) window.location.href = link.getAttribute("href");
  }
  function typing(target) {
    return target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT" || target.isContentEditable);
  }

  var pendingG = false;
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (typing(e.target)) { if (e.key === "Escape") e.target.blur(); return; }
    var help = document.getElementById("help");
    if (pendingG) {
      pendingG = false;
      var to = { o: "/orders", e: "/exceptions", a: "/aftersales", d: "/dashboard", i: "/inventory", c: "/channels", s: "/config", b: "/inbox", u: "/users" }[e.key];
      if (to) { e.preventDefault(); window.location.href = to; }
      return;
    }
    switch (e.key) {
      case "/": {
        var search = document.querySelector("[data-search]");
        if (search) { e.preventDefault(); search.focus(); search.select && search.select(); }
        break;
      }
      case "j": move(1); break;
      case "k": move(-1); break;
      case "x": toggleCurrent(); break;
      case "Enter": if (cursor >= 0) openCurrent(); break;
      case "g": pendingG = true; break;
      case "?": if (help) help.open ? help.close() : help.showModal(); break;
      case "Escape": if (help && help.open) help.close(); break;
    }
  });

  // "Select all" boxes and the selection count.
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.matches && t.matches("input[data-select-all]")) {
      document.querySelectorAll("input[name=order_ids]").forEach(function (b) { b.checked = t.checked; });
    }
    var count = document.querySelector("[data-selected-count]");
    if (count) count.textContent = document.querySelectorAll("input[name=order_ids]:checked").length;
  });

  // Buttons that ask first: data-confirm holds the question.
  document.addEventListener("htmx:confirm", function (e) {
    // A submit button inside an htmx form: the question is on the button, not the form.
    var trigger = e.detail.triggeringEvent;
    var el = (trigger && trigger.submitter) || e.detail.elt;
    var question = el && el.getAttribute("data-confirm");
    if (!question) return;
    e.preventDefault();
    if (window.confirm(question)) e.detail.issueRequest(true);
  });

  // Errors from the server show where the result would have gone.
  document.addEventListener("htmx:responseError", function (e) {
    var target = e.detail.target;
    if (target && e.detail.xhr && e.detail.xhr.responseText) target.innerHTML = e.detail.xhr.responseText;
  });
})();

// Charts: an element with data-chart="[[x…], [series…], …]" becomes a uPlot chart, drawn
// again whenever htmx swaps in fresh figures.
(function () {
  "use strict";
  function draw(root) {
    if (!window.uPlot) return;
    (root || document).querySelectorAll("[data-chart]").forEach(function (el) {
      var data = JSON.parse(el.getAttribute("data-chart"));
      el.innerHTML = "";
      new window.uPlot({
        width: Math.max(320, el.clientWidth || 900), height: 220,
        series: [{}, { label: "in", stroke: "#2458d6", width: 2 }, { label: "shipped", stroke: "#1f8a4c", width: 2 }],
        axes: [{}, {}],
      }, data, el);
    });
  }
  window.addEventListener("load", function () { draw(); });
  document.addEventListener("htmx:afterSwap", function (e) { draw(e.detail.target); });
})();
