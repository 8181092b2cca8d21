// Small progressive enhancements; every page works without JavaScript.
// No inline handlers and no eval: the Content-Security-Policy forbids both.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // Move focus to the error summary so screen-reader users hear what went wrong.
    var summary = document.querySelector(".error-summary");
    if (summary) { summary.focus(); }
    // A wide table that scrolls sideways on a small screen must be reachable
    // by keyboard: make its wrapper a named, focusable region, only while it
    // actually overflows.
    var scrollers = document.querySelectorAll(".table-scroll");
    function markScrollable() {
      scrollers.forEach(function (box) {
        var caption = box.querySelector("caption");
        if (box.scrollWidth > box.clientWidth + 1) {
          box.setAttribute("tabindex", "0");
          box.setAttribute("role", "region");
          if (caption) { box.setAttribute("aria-label", caption.textContent.trim()); }
        } else {
          box.removeAttribute("tabindex");
          box.removeAttribute("role");
          box.removeAttribute("aria-label");
        }
      });
    }
    if (scrollers.length) {
      markScrollable();
      window.addEventListener("resize", markScrollable);
    }
    // Confirm destructive actions marked with data-confirm.
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  });
})();
