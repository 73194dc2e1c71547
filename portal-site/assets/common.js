/* Turnpike portal, every page: show the gateway's origin where examples need it (the site is
   generated without knowing where it will be served; the gateway is the origin serving it),
   and make every copy button ([data-copy] = id of the element to copy) work. */
(function () {
  "use strict";
  if (location.protocol === "http:" || location.protocol === "https:") {
    document.querySelectorAll("[data-gateway-origin]").forEach(function (element) {
      element.textContent = location.origin;
    });
  }

  function selectText(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  // Delegated, so buttons added later (a key shown once on the app page) work too.
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentNode.querySelector("[data-copied]");
    if (!source) return;
    var fallback = function () { selectText(source); if (status) status.textContent = "Selected: press Ctrl+C to copy."; };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(source.textContent).then(function () { if (status) status.textContent = "Copied."; }, fallback);
    } else fallback();
  });
})();
