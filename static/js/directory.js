/*
 * Blå Bog: search as you type. Progressive enhancement only: without this script the form is an
 * ordinary GET form and every filter works by submitting it.
 *
 * While the visitor types (debounced) or changes a filter, the results region is fetched alone
 * (the view answers the header named in data-partial-header with the results partial) and put in
 * place; the address bar follows with history.replaceState, so the URL can still be shared and
 * reloaded. No libraries, no inline script (CSP-friendly).
 */
(function () {
  "use strict";

  var form = document.getElementById("directory-form");
  var results = document.getElementById("directory-results");
  var status = document.getElementById("directory-status");
  if (!form || !results || !window.fetch || !window.URLSearchParams || !window.FormData) {
    return;
  }

  var TYPING_DELAY = 300;
  var headerName = results.getAttribute("data-partial-header");
  var headerValue = results.getAttribute("data-partial-value");
  var timer = null;
  var controller = null;
  var leaving = false;

  // The form's filled-in fields as a query string (empty fields left out, as the view ignores them).
  function queryString() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && value.trim() !== "") {
        params.append(name, value);
      }
    });
    return params.toString();
  }

  var shown = queryString();

  function update() {
    var query = queryString();
    if (query === shown) {
      return;
    }
    shown = query;
    var url = form.action + (query ? "?" + query : "");
    if (controller) {
      controller.abort();
    }
    controller = window.AbortController ? new AbortController() : null;
    var headers = {};
    headers[headerName] = headerValue;
    results.setAttribute("aria-busy", "true");
    fetch(url, {
      headers: headers,
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined
    })
      .then(function (response) {
        if (!response.ok || response.redirected) {
          // Signed out meanwhile, or an error page: let the browser show it properly.
          window.location.assign(url);
          return null;
        }
        return response.text();
      })
      .then(function (html) {
        if (html === null) {
          return;
        }
        results.innerHTML = html;
        window.history.replaceState(null, "", url);
        var summary = results.querySelector("[data-summary]");
        if (status && summary) {
          status.textContent = summary.textContent.replace(/\s+/g, " ").trim();
        }
        results.setAttribute("aria-busy", "false");
      })
      .catch(function (error) {
        if (leaving || (error && error.name === "AbortError")) {
          return;
        }
        window.location.assign(url);
      });
  }

  function schedule(delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, delay);
  }

  form.addEventListener("input", function (event) {
    if (event.target && event.target.type === "search") {
      // One letter finds almost everyone: wait for the next one (or an empty box).
      if (event.target.value.trim().length === 1) {
        window.clearTimeout(timer);
        return;
      }
      schedule(TYPING_DELAY);
    }
  });
  form.addEventListener("submit", function () {
    // The browser loads the page itself: an update still under way must not navigate again.
    leaving = true;
    window.clearTimeout(timer);
    if (controller) {
      controller.abort();
    }
  });
  form.addEventListener("change", function (event) {
    if (event.target && event.target.type !== "search") {
      schedule(0);
    }
  });
})();
