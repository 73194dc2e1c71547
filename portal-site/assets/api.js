/* Turnpike portal, API pages: code sample tabs (one language chosen for every operation of the
   page, arrow keys between tabs as the WAI-ARIA tabs pattern has it), copy buttons, and the
   try-it forms, sent with fetch to the gateway (same origin) with the developer's key or token.
   Responses are shown with textContent only: nothing from the network is parsed as HTML. */
(function () {
  "use strict";
  var LANGUAGE_KEY = "turnpike.sampleLanguage";

  // ----- code sample tabs -----

  function storedLanguage() {
    try { return window.localStorage.getItem(LANGUAGE_KEY); } catch (ignored) { return null; }
  }

  function storeLanguage(language) {
    try { window.localStorage.setItem(LANGUAGE_KEY, language); } catch (ignored) { /* private mode: not remembered */ }
  }

  function selectTab(block, language, focus) {
    var tabs = block.querySelectorAll('[role="tab"]');
    var found = false;
    tabs.forEach(function (tab) {
      var selected = tab.getAttribute("data-language") === language;
      if (selected) found = true;
      tab.setAttribute("aria-selected", selected ? "true" : "false");
      tab.setAttribute("tabindex", selected ? "0" : "-1");
      if (selected && focus) tab.focus();
    });
    if (!found) return false;
    block.querySelectorAll('[role="tabpanel"]').forEach(function (panel) {
      panel.hidden = panel.getAttribute("data-language") !== language;
    });
    return true;
  }

  /** The same language in every block of the page: a developer reads one language. */
  function selectEverywhere(language) {
    document.querySelectorAll("[data-samples]").forEach(function (block) { selectTab(block, language, false); });
    storeLanguage(language);
  }

  function wireTabs() {
    var blocks = document.querySelectorAll("[data-samples]");
    blocks.forEach(function (block) {
      var tablist = block.querySelector("[data-sample-tabs]");
      if (!tablist) return;
      tablist.hidden = false;
      // The tab names the panel now; the label inside each panel is for the no-script view.
      block.querySelectorAll("[data-sample-label]").forEach(function (label) { label.hidden = true; });
      var tabs = Array.prototype.slice.call(tablist.querySelectorAll('[role="tab"]'));
      tabs.forEach(function (tab, index) {
        tab.addEventListener("click", function () { selectEverywhere(tab.getAttribute("data-language")); tab.focus(); });
        tab.addEventListener("keydown", function (event) {
          var next = null;
          if (event.key === "ArrowRight") next = tabs[(index + 1) % tabs.length];
          else if (event.key === "ArrowLeft") next = tabs[(index - 1 + tabs.length) % tabs.length];
          else if (event.key === "Home") next = tabs[0];
          else if (event.key === "End") next = tabs[tabs.length - 1];
          if (!next) return;
          event.preventDefault();
          selectEverywhere(next.getAttribute("data-language"));
          next.focus();
        });
      });
    });
    var first = document.querySelector('[data-samples] [role="tab"]');
    var language = storedLanguage() || (first ? first.getAttribute("data-language") : null);
    if (language === null) return;
    blocks.forEach(function (block) {
      if (!selectTab(block, language, false) && first) selectTab(block, first.getAttribute("data-language"), false);
    });
  }

  // ----- try it -----

  function fieldValue(id) {
    var field = document.getElementById(id);
    return field ? field.value.trim() : "";
  }

  /** The request a form describes: URL, method, headers and body; throws an Error the form shows. */
  function requestOf(form) {
    var credentials = JSON.parse(form.getAttribute("data-credentials") || "{}");
    var path = form.getAttribute("data-route");
    var query = [];
    var headers = { accept: "application/json, application/problem+json" };
    form.querySelectorAll("[data-param-in]").forEach(function (input) {
      var name = input.getAttribute("data-param-name");
      var value = input.value;
      var where = input.getAttribute("data-param-in");
      if (where === "path") {
        if (value === "") throw new Error("Fill in the path parameter " + name + ".");
        path = path.split("{" + name + "}").join(encodeURIComponent(value));
      } else if (value !== "") {
        if (where === "query") query.push([name, value]);
        else headers[name] = value;
      }
    });
    var apiKey = fieldValue("try-api-key");
    var token = fieldValue("try-token");
    (credentials.apiKey || []).forEach(function (key) {
      if (apiKey === "") throw new Error("Enter your API key above the operations first.");
      if (key.in === "query") query.push([key.name, apiKey]);
      else headers[key.name] = apiKey;
    });
    (credentials.bearer || []).forEach(function (header) {
      if (token === "") throw new Error("Enter your access token above the operations first.");
      headers[header] = "Bearer " + token;
    });
    var url = new URL(path, location.origin);
    query.forEach(function (pair) { url.searchParams.append(pair[0], pair[1]); });
    var body;
    var textarea = form.querySelector("textarea[data-media-type]");
    if (textarea && textarea.value.trim() !== "") {
      var mediaType = textarea.getAttribute("data-media-type");
      if (/json$/.test(mediaType)) {
        try { JSON.parse(textarea.value); } catch (error) { throw new Error("The request body is not valid JSON: " + error.message); }
      }
      headers["content-type"] = mediaType;
      body = textarea.value;
    }
    return { url: url.toString(), init: { method: form.getAttribute("data-method"), headers: headers, body: body, credentials: "omit" } };
  }

  function showResponse(form, response, text) {
    var pretty = text;
    try { pretty = JSON.stringify(JSON.parse(text), null, 2); } catch (ignored) { pretty = text; }
    var lines = [];
    response.headers.forEach(function (value, name) { lines.push(name + ": " + value); });
    form.querySelector("[data-try-status]").textContent = response.status + " " + response.statusText;
    form.querySelector("[data-try-headers]").textContent = lines.sort().join("\n");
    form.querySelector("[data-try-body]").textContent = pretty.slice(0, 20000) + (pretty.length > 20000 ? "\n…" : "");
    form.querySelector("[data-try-result]").hidden = false;
    form.setAttribute("data-last-status", String(response.status));
  }

  function wireTryIt() {
    document.querySelectorAll("[data-try-operation]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var region = form.querySelector("[data-try-error]");
        region.textContent = "";
        var request;
        try { request = requestOf(form); } catch (error) { region.textContent = error.message; return; }
        var button = form.querySelector('button[type="submit"]');
        button.disabled = true;
        // credentials "omit": the call is what the developer's own client would send, no portal cookie.
        fetch(request.url, request.init)
          .then(function (response) { return response.text().then(function (text) { showResponse(form, response, text); }); })
          .catch(function (error) { region.textContent = "The request failed: " + error.message; })
          .then(function () { button.disabled = false; });
      });
    });
  }

  wireTabs();
  wireTryIt();
})();
