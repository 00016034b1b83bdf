// The Checks panel of a change form (catalog/admin/checks.py), kept up to date as the editor
// types: about a second after the last change, the form's fields are POSTed (with its CSRF
// token) to the panel's URL and the panel's content is replaced by the answer, computed by the
// same code as the page. Without this script the panel shows the checks of the form as loaded.
"use strict";
(function () {
  const WAIT_MS = 1000;

  function start() {
    const panel = document.getElementById("checks-panel");
    const form = panel && panel.closest("form");
    if (!form || !panel.dataset.checksUrl || !window.fetch) {
      return;
    }
    let timer = null;
    let sent = 0;

    function refresh() {
      const mine = ++sent;
      panel.setAttribute("aria-busy", "true");
      fetch(panel.dataset.checksUrl, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { Accept: "text/html" },
      })
        .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
        .then((html) => {
          if (mine === sent) {
            panel.innerHTML = html;
            panel.dataset.state = "current";
          }
        })
        .catch(() => {
          if (mine === sent) {
            panel.dataset.state = "stale"; // the panel keeps the last checks it had
          }
        })
        .finally(() => {
          if (mine === sent) {
            panel.removeAttribute("aria-busy");
          }
        });
    }

    function later() {
      clearTimeout(timer);
      timer = setTimeout(refresh, WAIT_MS);
    }

    form.addEventListener("input", later);
    form.addEventListener("change", later);
    // Django's inlines announce rows added and removed.
    document.addEventListener("formset:added", later);
    document.addEventListener("formset:removed", later);
    // The autocomplete selects (select2: the sources) announce a choice through jQuery only.
    if (window.django && window.django.jQuery) {
      window.django.jQuery(form).on("change", "select", later);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
