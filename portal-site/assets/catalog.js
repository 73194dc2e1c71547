/* Turnpike portal, catalog page: full-text search over the index built at synth time
   (MiniSearch, loaded with the same options) and filters by tag, product, lifecycle and auth.
   Without JavaScript every API is listed. */
(function () {
  "use strict";
  var form = document.getElementById("catalog-search");
  var list = document.getElementById("catalog-results");
  var status = document.getElementById("catalog-status");
  if (!form || !list || !status) return;
  var cards = Array.prototype.slice.call(list.querySelectorAll("[data-api-id]"));
  var facts = new Map();
  cards.forEach(function (card) {
    facts.set(card, {
      id: card.getAttribute("data-api-id"),
      tags: JSON.parse(card.getAttribute("data-tags") || "[]"),
      products: JSON.parse(card.getAttribute("data-products") || "[]"),
      lifecycle: card.getAttribute("data-lifecycle"),
      auth: JSON.parse(card.getAttribute("data-auth") || "[]"),
    });
  });
  var field = function (name) { return form.elements.namedItem(name); };
  var search = null;
  var searchOptions = {};

  function apply() {
    var query = field("q").value.trim();
    var tag = field("tag").value, product = field("product").value, lifecycle = field("lifecycle").value, auth = field("auth").value;
    var ranked = null;
    if (query !== "" && search !== null) {
      ranked = new Map();
      search.search(query, searchOptions).forEach(function (result, index) { ranked.set(String(result.id), index); });
    }
    var shown = [];
    cards.forEach(function (card) {
      var f = facts.get(card);
      var ok = (ranked === null || ranked.has(f.id)) &&
        (tag === "" || f.tags.indexOf(tag) !== -1) &&
        (product === "" || f.products.indexOf(product) !== -1) &&
        (lifecycle === "" || f.lifecycle === lifecycle) &&
        (auth === "" || f.auth.indexOf(auth) !== -1);
      card.hidden = !ok;
      if (ok) shown.push(card);
    });
    // Best matches first while searching; the catalog's own order otherwise.
    var order = ranked === null ? cards : shown.slice().sort(function (a, b) { return ranked.get(facts.get(a).id) - ranked.get(facts.get(b).id); });
    order.forEach(function (card) { list.appendChild(card); });
    var text = shown.length + (shown.length === 1 ? " API" : " APIs");
    if (query !== "") text += " matching \u201c" + query + "\u201d";
    if (query !== "" && search === null) text += " (search is still loading)";
    status.textContent = text;
  }

  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
  var params = new URLSearchParams(location.search);
  ["q", "tag", "product", "lifecycle", "auth"].forEach(function (name) {
    if (params.has(name) && field(name)) field(name).value = params.get(name);
  });
  fetch(form.getAttribute("data-index"), { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) throw new Error("the search index answered " + response.status);
      return response.json();
    })
    .then(function (file) {
      search = window.MiniSearch.loadJS(file.index, file.options);
      searchOptions = file.searchOptions;
      form.setAttribute("data-ready", "true");
      apply();
    })
    .catch(function (error) {
      status.textContent = "Search is unavailable (" + error.message + "); every API is listed below.";
    });
  apply();
})();
