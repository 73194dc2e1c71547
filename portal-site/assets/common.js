/* Turnpike portal, every page: show the gateway's origin where examples need it (the site is
   generated without knowing where it will be served; the gateway is the origin serving it). */
(function () {
  "use strict";
  if (location.protocol !== "http:" && location.protocol !== "https:") return;
  document.querySelectorAll("[data-gateway-origin]").forEach(function (element) {
    element.textContent = location.origin;
  });
})();
