/* Type-ahead for <input data-suggest="all|therapy|class|condition|glossary">.
 *
 * Suggestions come from /search/suggest/ (JSON) and are shown as an ARIA 1.2 combobox with a
 * listbox popup: arrow keys move through them, Enter chooses, Escape closes. "all" (the search
 * boxes) goes to the chosen page; a type (filter inputs) fills in the chosen record's name,
 * which the filters take as they take a slug (a visitor reads names, not slugs).
 * A list's typed filter (data-suggest-list="therapies") also sends its form's other filters, and
 * each suggestion then shows how many results it gives with them ("Anti-TNF therapy (5)").
 * Without JavaScript the inputs are plain fields of plain GET forms, and everything still works.
 */
(function () {
  "use strict";

  var MIN_LENGTH = 2;
  var DELAY_MS = 150;

  function enhance(input) {
    var type = input.getAttribute("data-suggest");
    var endpoint = input.getAttribute("data-suggest-url") || "/search/suggest/";
    var listId = input.id + "-suggestions";

    var wrapper = document.createElement("span");
    wrapper.className = "suggest";
    input.parentNode.insertBefore(wrapper, input);
    wrapper.appendChild(input);

    var list = document.createElement("ul");
    list.id = listId;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    var label = input.labels && input.labels.length ? input.labels[0].textContent.trim() : "";
    list.setAttribute("aria-label", (label ? label + ": " : "") + "suggestions");
    list.hidden = true;
    wrapper.appendChild(list);

    var status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    wrapper.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("autocomplete", "off");

    var items = [];
    var active = -1;
    var timer = null;
    var controller = null;

    function setActive(index) {
      var options = list.children;
      if (active >= 0 && options[active]) {
        options[active].setAttribute("aria-selected", "false");
      }
      active = index;
      if (active >= 0 && options[active]) {
        options[active].setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", options[active].id);
        options[active].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      setActive(-1);
    }

    function render(suggestions) {
      items = suggestions;
      active = -1;
      list.textContent = "";
      suggestions.forEach(function (suggestion, index) {
        var option = document.createElement("li");
        option.id = listId + "-" + index;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        var name = document.createElement("span");
        name.className = "suggestion-label";
        name.textContent = suggestion.label;
        if (typeof suggestion.count === "number") {
          /* a list's filter: how many results it gives, the other filters kept */
          var count = document.createElement("span");
          count.className = "facet-count";
          count.textContent = " (" + suggestion.count + ")";
          name.appendChild(count);
          if (!suggestion.count) {
            option.className = "facet-empty";
          }
        }
        var why = document.createElement("span");
        why.className = "suggestion-why";
        why.textContent = suggestion.why;
        option.appendChild(name);
        option.appendChild(why);
        option.addEventListener("click", function () {
          choose(index);
        });
        list.appendChild(option);
      });
      var count = suggestions.length;
      status.textContent = count
        ? count + (count === 1 ? " suggestion" : " suggestions") + ": use the arrow keys."
        : "";
      if (count) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      } else {
        close();
      }
    }

    function choose(index) {
      var suggestion = items[index];
      if (!suggestion) {
        return;
      }
      close();
      if (type === "all") {
        window.location.assign(suggestion.url);
      } else {
        input.value = suggestion.label;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }

    function load() {
      var query = input.value.trim();
      if (query.length < MIN_LENGTH) {
        render([]);
        return;
      }
      if (controller) {
        controller.abort();
      }
      controller = new AbortController();
      var params = new URLSearchParams({ q: query });
      if (type !== "all") {
        params.set("type", type);
      }
      var listed = input.getAttribute("data-suggest-list");
      if (listed && input.form) {
        /* counts for the list as the form stands, this filter aside */
        var within = new URLSearchParams(new FormData(input.form));
        within.delete(input.name);
        within.delete("page");
        params.set("list", listed);
        params.set("facet", input.name);
        params.set("within", within.toString());
      }
      fetch(endpoint + "?" + params.toString(), {
        signal: controller.signal,
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          return response.ok ? response.json() : { suggestions: [] };
        })
        .then(function (body) {
          if (input.value.trim() === query) {
            render(body.suggestions || []);
          }
        })
        .catch(function () {
          /* aborted or offline: the plain form still works */
        });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(load, DELAY_MS);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && items.length;
      if (event.key === "ArrowDown" && open) {
        event.preventDefault();
        setActive((active + 1) % items.length);
      } else if (event.key === "ArrowUp" && open) {
        event.preventDefault();
        setActive(active <= 0 ? items.length - 1 : active - 1);
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () {
      setTimeout(close, 150);
    });
    list.addEventListener("mousedown", function (event) {
      event.preventDefault(); /* keep focus in the input while clicking an option */
    });
  }

  document.querySelectorAll("input[data-suggest]").forEach(enhance);
})();
