/* Turnpike portal, self-service pages and try-it: calls the portal API on the same origin.
   The session cookie is HttpOnly (this script never sees it); changes carry the CSRF token the
   API returns from sign-up, sign-in and GET /me. Nothing from the API is written as HTML:
   every value goes in with textContent. Errors are the API's problem+json, shown as sent. */
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="turnpike-portal-api"]');
  var API = meta ? meta.getAttribute("content") : "/_turnpike/portal/v1";
  var csrf = null;

  function PortalError(problem, status) {
    this.problem = problem || {};
    this.status = status;
    this.message = (this.problem.title || "Request failed") + (this.problem.detail ? ": " + this.problem.detail : "");
  }

  function call(method, path, body) {
    var headers = { accept: "application/json, application/problem+json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (csrf !== null && method !== "GET") headers["x-csrf-token"] = csrf;
    return fetch(API + path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" })
      .catch(function (error) {
        throw new PortalError({ title: "The portal API cannot be reached", detail: error.message }, 0);
      })
      .then(function (response) {
        return response.text().then(function (text) {
          var data = null;
          try { data = text ? JSON.parse(text) : null; } catch (ignored) { data = null; }
          if (!response.ok) throw new PortalError(data && typeof data === "object" ? data : { title: response.status + " " + response.statusText, detail: text.slice(0, 300) }, response.status);
          return data;
        });
      });
  }

  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      var value = attributes[name];
      if (value === null || value === undefined || value === false) return;
      if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : String(value));
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
    });
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function errorRegion(scope) { return (scope || document).querySelector("[data-error]") || document.querySelector("[data-error]"); }

  /** Shows an error (a PortalError with its problem, or any Error) in the region; focus moves there. */
  function showError(error, region) {
    region = region || errorRegion();
    if (!region) return;
    clear(region);
    var problem = error instanceof PortalError ? error.problem : { title: "Something went wrong", detail: error && error.message ? error.message : String(error) };
    region.appendChild(el("p", {}, [el("strong", {}, [problem.title || "Request failed"]), problem.detail ? " " + problem.detail : ""]));
    if (Array.isArray(problem.errors) && problem.errors.length > 0) {
      region.appendChild(el("ul", {}, problem.errors.map(function (item) { return el("li", {}, [String(item.field) + ": " + String(item.message)]); })));
    }
  }

  function clearError(region) { region = region || errorRegion(); if (region) clear(region); }

  function notice(text) {
    var region = document.querySelector("[data-notice]");
    if (region) region.textContent = text;
  }

  function siteRoot() {
    // Pages are at <root>/account/…: the nav's first link is the root.
    var brand = document.querySelector(".brand");
    return brand ? brand.getAttribute("href") : "../";
  }

  function goToSignIn() {
    location.href = new URL(siteRoot() + "account/signin/", location.href).pathname + "?next=" + encodeURIComponent(location.pathname + location.search);
  }

  /** Where to go after signing in: `next` if it is a path of this site, else My apps. */
  function afterSignIn() {
    var next = new URLSearchParams(location.search).get("next");
    var apps = new URL(siteRoot() + "account/", location.href).pathname;
    var base = new URL(siteRoot(), location.href).pathname;
    if (next && next.charAt(0) === "/" && next.charAt(1) !== "/" && next.indexOf("\\") === -1 && next.indexOf(base) === 0) location.href = next;
    else location.href = apps;
  }

  /** The signed-in developer (and the CSRF token), or a redirect to sign in. */
  function requireSession() {
    return call("GET", "/me").then(
      function (me) {
        csrf = me.csrfToken;
        return me.developer;
      },
      function (error) {
        if (error.status === 401) { goToSignIn(); return new Promise(function () {}); }
        throw error;
      },
    );
  }

  function formValues(form) {
    var values = {};
    new FormData(form).forEach(function (value, key) { values[key] = typeof value === "string" ? value : ""; });
    return values;
  }

  /** Submits a form with its button disabled while the call runs; errors shown in the form. */
  function onSubmit(form, action) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var region = form.querySelector("[data-error]") || errorRegion();
      clearError(region);
      var button = form.querySelector('button[type="submit"]');
      if (button) button.disabled = true;
      Promise.resolve()
        .then(function () { return action(formValues(form)); })
        .catch(function (error) {
          showError(error, region);
          if (region) { region.setAttribute("tabindex", "-1"); region.focus(); }
        })
        .then(function () { if (button) button.disabled = false; });
    });
  }

  function day(iso) { return iso ? String(iso).slice(0, 10) : ""; }

  // ----- sign up, sign in -----

  function signUpPage() {
    onSubmit(document.getElementById("signup-form"), function (values) {
      return call("POST", "/signup", { email: values.email, name: values.name, password: values.password }).then(afterSignIn);
    });
  }

  function signInPage() {
    onSubmit(document.getElementById("signin-form"), function (values) {
      return call("POST", "/signin", { email: values.email, password: values.password }).then(afterSignIn);
    });
  }

  function wireSignOut() {
    document.querySelectorAll("[data-signout]").forEach(function (button) {
      button.addEventListener("click", function () {
        call("POST", "/signout").then(goToSignIn, showError);
      });
    });
  }

  // ----- my apps -----

  function appsPage() {
    var list = document.getElementById("app-list");
    function load() {
      return call("GET", "/apps?limit=100").then(function (page) {
        clear(list);
        document.querySelector("[data-empty]").hidden = page.items.length > 0;
        page.items.forEach(function (app) {
          list.appendChild(el("li", { class: "card", "data-app-id": app.id }, [
            el("h3", {}, [el("a", { href: "app/?id=" + encodeURIComponent(app.id) }, [app.name])]),
            app.description ? el("p", {}, [app.description]) : null,
            el("p", { class: "muted" }, ["Created " + day(app.createdAt) + " · consumer ", el("code", {}, [app.consumerName])]),
          ]));
        });
      });
    }
    requireSession()
      .then(function (developer) {
        document.querySelector("[data-developer-name]").textContent = developer.name;
        document.querySelector("[data-developer-email]").textContent = developer.email;
        document.querySelector("[data-signed-in]").hidden = false;
        wireSignOut();
        onSubmit(document.getElementById("create-app-form"), function (values) {
          var body = { name: values.name };
          if (values.description) body.description = values.description;
          return call("POST", "/apps", body).then(function (app) {
            location.href = "app/?id=" + encodeURIComponent(app.id);
          });
        });
        return load();
      })
      .catch(function (error) { showError(error); });
  }

  // ----- one app -----

  function appPage() {
    var appId = new URLSearchParams(location.search).get("id");
    var offers = JSON.parse(document.getElementById("portal-offers").textContent || "{}");
    var productsByName = new Map((offers.products || []).map(function (product) { return [product.name, product]; }));
    var base = "/apps/" + encodeURIComponent(appId || "");
    var subscriptions = [];

    function showKey(issued) {
      var box = document.querySelector("[data-new-key]");
      document.getElementById("new-key").textContent = issued.apiKey;
      document.querySelector("[data-copied]").textContent = "";
      box.hidden = false;
      var tryKey = document.getElementById("try-key");
      if (tryKey) tryKey.value = issued.apiKey;
      box.setAttribute("tabindex", "-1");
      box.focus();
    }

    function loadSubscriptions() {
      return call("GET", base + "/subscriptions?limit=100").then(function (page) {
        subscriptions = page.items;
        var body = document.getElementById("subscription-list");
        clear(body);
        if (page.items.length === 0) body.appendChild(el("tr", {}, [el("td", { colspan: "5" }, ["No subscriptions yet."])]));
        page.items.forEach(function (subscription) {
          var product = productsByName.get(subscription.product);
          var cancel = subscription.state === "cancelled" || subscription.state === "rejected" ? null : el("button", { type: "button", class: "danger", onclick: function () {
            if (!window.confirm("Cancel the subscription to " + (product ? product.title : subscription.product) + "?")) return;
            call("POST", base + "/subscriptions/" + encodeURIComponent(subscription.id) + "/cancel").then(refresh, function (error) { showError(error); });
          } }, ["Cancel"]);
          body.appendChild(el("tr", { "data-subscription": subscription.product + "/" + subscription.plan, "data-state": subscription.state }, [
            el("td", {}, [product ? product.title : subscription.product]),
            el("td", {}, [subscription.plan]),
            el("td", {}, [subscription.state === "requested" ? "requested (waiting for approval)" : subscription.state]),
            el("td", {}, [day(subscription.createdAt)]),
            el("td", {}, [cancel]),
          ]));
        });
        fillTryIt();
      });
    }

    function loadKeys() {
      return call("GET", base + "/keys?limit=100").then(function (page) {
        var body = document.getElementById("key-list");
        clear(body);
        if (page.items.length === 0) body.appendChild(el("tr", {}, [el("td", { colspan: "5" }, ["No keys yet."])]));
        var now = Date.now();
        page.items.forEach(function (key) {
          var revoked = key.revokedAt !== null;
          var expired = key.expiresAt !== null && Date.parse(key.expiresAt) <= now;
          var state = revoked ? "revoked " + day(key.revokedAt) : expired ? "expired" : key.expiresAt ? "active until " + key.expiresAt.replace("T", " ").slice(0, 16) + " UTC" : "active";
          var actions = revoked || expired ? [] : [
            el("button", { type: "button", class: "secondary", "data-rotate": key.id, onclick: function () {
              call("POST", base + "/keys/" + encodeURIComponent(key.id) + "/rotate", {}).then(function (issued) {
                showKey(issued);
                notice("Key " + key.prefix + " rotated: the old key keeps working for 24 hours.");
                return loadKeys();
              }).catch(function (error) { showError(error); });
            } }, ["Rotate"]),
            el("button", { type: "button", class: "danger", "data-revoke": key.id, onclick: function () {
              if (!window.confirm("Revoke key " + key.prefix + "? Calls with it fail within a second.")) return;
              call("POST", base + "/keys/" + encodeURIComponent(key.id) + "/revoke", {}).then(function () {
                notice("Key " + key.prefix + " revoked.");
                return loadKeys();
              }).catch(function (error) { showError(error); });
            } }, ["Revoke"]),
          ];
          body.appendChild(el("tr", { "data-key-id": key.id }, [
            el("td", {}, [el("code", {}, [key.prefix + "…"])]),
            el("td", {}, [key.label || ""]),
            el("td", {}, [day(key.createdAt)]),
            el("td", {}, [state]),
            el("td", {}, [el("div", { class: "actions" }, actions)]),
          ]));
        });
      });
    }

    function loadUsage() {
      var box = document.getElementById("usage");
      return call("GET", base + "/usage").then(function (report) {
        clear(box);
        var totals = new Map(report.totals.map(function (total) { return [total.api, total.count]; }));
        var apis = Array.from(new Set(report.totals.map(function (total) { return total.api; }).concat(report.quota.map(function (quota) { return quota.api; })))).sort();
        if (apis.length === 0) { box.appendChild(el("p", {}, ["No calls yet, and no active subscription."])); return; }
        var quotaByApi = new Map(report.quota.map(function (quota) { return [quota.api, quota]; }));
        box.appendChild(el("div", { class: "table-wrap" }, [el("table", {}, [
          el("caption", {}, ["Calls from " + report.from + " to " + report.to + " (UTC days)"]),
          el("thead", {}, [el("tr", {}, [el("th", { scope: "col" }, ["API"]), el("th", { scope: "col" }, ["Calls"]), el("th", { scope: "col" }, ["Quota left"]), el("th", { scope: "col" }, ["Resets"])])]),
          el("tbody", {}, apis.map(function (api) {
            var quota = quotaByApi.get(api);
            return el("tr", { "data-usage-api": api }, [
              el("td", {}, [el("code", {}, [api])]),
              el("td", { "data-calls": String(totals.get(api) || 0) }, [String(totals.get(api) || 0)]),
              el("td", {}, [quota && quota.limit !== null ? quota.remaining + " of " + quota.limit : "no quota"]),
              el("td", {}, [quota && quota.resetsAt ? quota.resetsAt.replace("T", " ").slice(0, 16) + " UTC" : ""]),
            ]);
          })),
        ])]));
      }).catch(function (error) { clear(box); showError(error); });
    }

    function fillTryIt() {
      var select = document.getElementById("try-operation");
      if (!select) return;
      var selected = select.value;
      clear(select);
      var active = subscriptions.filter(function (subscription) { return subscription.state === "active"; });
      var seen = new Set();
      active.forEach(function (subscription) {
        var product = productsByName.get(subscription.product);
        (product ? product.operations : []).forEach(function (operation) {
          if (seen.has(operation.route)) return;
          seen.add(operation.route);
          select.appendChild(el("option", { value: operation.route, "data-key-in": operation.keyIn, "data-key-name": operation.keyName }, ["GET " + operation.route + (operation.summary ? " \u2014 " + operation.summary : "")]));
        });
      });
      if (seen.size === 0) select.appendChild(el("option", { value: "" }, ["Subscribe to a product first"]));
      if (seen.has(selected)) select.value = selected;
    }

    function refresh() { return Promise.all([loadSubscriptions(), loadKeys(), loadUsage()]); }

    if (!appId) { showError(new Error("no app given: open an app from My apps")); return; }
    requireSession()
      .then(function () { return call("GET", base); })
      .then(function (app) {
        document.querySelector("[data-app-name]").textContent = app.name;
        document.querySelector("[data-app-title]").textContent = app.name;
        document.title = app.name + " \u00b7 " + document.title.split(" \u00b7 ").slice(1).join(" \u00b7 ");
        onSubmit(document.getElementById("subscribe-form"), function (values) {
          var parts = String(values.target).split("/");
          return call("POST", base + "/subscriptions", { product: parts[0], plan: parts[1] }).then(function (subscription) {
            notice(subscription.state === "active" ? "Subscribed: your keys can call the product's APIs." : "Subscription requested: it becomes active once approved.");
            return refresh();
          });
        });
        onSubmit(document.getElementById("create-key-form"), function (values) {
          var body = values.label ? { label: values.label } : {};
          return call("POST", base + "/keys", body).then(function (issued) {
            document.getElementById("create-key-form").reset();
            showKey(issued);
            return loadKeys();
          });
        });
        document.querySelector("[data-refresh-usage]").addEventListener("click", loadUsage);
        return refresh();
      })
      .catch(function (error) { showError(error); });
  }

  // ----- try-it (app page; copy buttons are common.js's) -----

  function wireTryIt() {
    document.querySelectorAll("[data-try-it]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var region = form.querySelector("[data-try-error]");
        clear(region);
        var option = form.elements.namedItem("operation").selectedOptions[0];
        var key = form.elements.namedItem("key").value.trim();
        if (!option || !option.value) { region.textContent = "Choose an operation."; return; }
        var url = new URL(option.value, location.origin);
        var headers = { accept: "application/json" };
        if (option.getAttribute("data-key-in") === "query") url.searchParams.set(option.getAttribute("data-key-name"), key);
        else headers[option.getAttribute("data-key-name")] = key;
        var button = form.querySelector('button[type="submit"]');
        button.disabled = true;
        // credentials "omit": the call is what the developer's own client would send, key only.
        fetch(url.toString(), { headers: headers, credentials: "omit" })
          .then(function (response) {
            return response.text().then(function (text) {
              var pretty = text;
              try { pretty = JSON.stringify(JSON.parse(text), null, 2); } catch (ignored) { pretty = text; }
              form.querySelector("[data-try-status]").textContent = response.status + " " + response.statusText;
              form.querySelector("[data-try-body]").textContent = pretty.slice(0, 20000);
              form.querySelector("[data-try-result]").hidden = false;
              form.setAttribute("data-last-status", String(response.status));
            });
          })
          .catch(function (error) { region.textContent = "The request failed: " + error.message; })
          .then(function () { button.disabled = false; });
      });
    });
  }

  var page = document.body.getAttribute("data-page");
  if (page === "signup") signUpPage();
  else if (page === "signin") signInPage();
  else if (page === "apps") appsPage();
  else if (page === "app") appPage();
  wireTryIt();
})();
