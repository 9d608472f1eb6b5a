// Accessible names for Datasette's own form controls and scrollable tables.
// Datasette's templates are used as they are; this fills in what they leave unnamed.
(function () {
  "use strict";
  function name(selector, label) {
    document.querySelectorAll(selector).forEach(function (el) {
      if (!el.getAttribute("aria-label") && !(el.id && document.querySelector('label[for="' + el.id + '"]'))) {
        el.setAttribute("aria-label", label);
      }
    });
  }
  function ready() {
    name('select[name="_filter_column"]', "絞り込む列");
    name('select[name="_filter_op"]', "条件");
    name("input.filter-value", "値");
    name('select[name="_sort"]', "並べ替える列");
    name('input[name="_search"]', "検索することば");
    name("textarea#sql-editor", "SQL");
    name('textarea[name="sql"]', "SQL");
    // CodeMirror's own input, created when the page has loaded
    name(".CodeMirror textarea", "SQL エディター");
    document.querySelectorAll(".table-wrapper").forEach(function (el) {
      el.setAttribute("tabindex", "0");
      el.setAttribute("role", "region");
      el.setAttribute("aria-label", "結果の表（横にスクロールできます）");
    });
    // headings that skip a level (h1 then h3) are announced one level below the previous one
    var last = 0;
    document.querySelectorAll("main h1, main h2, main h3, main h4, main h5, main h6").forEach(function (h) {
      var level = +(h.getAttribute("aria-level") || h.tagName.charAt(1));
      if (last && level > last + 1) {
        level = last + 1;
        h.setAttribute("aria-level", String(level));
      }
      last = level;
    });
    document.querySelectorAll("pre#sql-query, pre.wrapped-sql").forEach(function (el) {
      el.setAttribute("tabindex", "0");
      el.setAttribute("role", "region");
      el.setAttribute("aria-label", "SQL（横にスクロールできます）");
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
  // the SQL editor is built after the page loads: name its parts when they appear
  var observer = new MutationObserver(ready);
  observer.observe(document.documentElement, { childList: true, subtree: true });
  window.addEventListener("load", function () {
    setTimeout(function () { ready(); observer.disconnect(); }, 1000);
  });
})();
