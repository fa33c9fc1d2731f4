// Progressive enhancement of the LeiKa field on the procedure form: search the catalogue by
// name or key and add the chosen key to the text field. Without this script the text field
// takes the keys directly, so nothing depends on it.
(function () {
  "use strict";

  var DELAY_MS = 250;
  var MIN_LENGTH = 2;

  function setUp(container) {
    var url = container.getAttribute("data-search-url");
    var keysField = document.getElementById(container.getAttribute("data-search-for"));
    if (!url || !keysField || !window.fetch) {
      return;
    }
    var id = keysField.id + "-search";
    // The template supplies the translated texts, so the script needs no catalogue of its own.
    var text = function (name) {
      return container.getAttribute("data-text-" + name) || "";
    };

    var wrapper = document.createElement("div");
    wrapper.className = "kern-form-input";
    var label = document.createElement("label");
    label.className = "kern-label";
    label.htmlFor = id;
    label.textContent = text("label");
    var hint = document.createElement("div");
    hint.className = "kern-hint";
    hint.id = id + "-hint";
    hint.textContent = text("hint");
    var input = document.createElement("input");
    input.type = "search";
    input.id = id;
    input.className = "kern-form-input__input";
    input.autocomplete = "off";
    input.setAttribute("aria-describedby", hint.id);
    input.setAttribute("aria-controls", id + "-results");
    var status = document.createElement("p");
    status.className = "kern-body kern-body--small";
    status.setAttribute("role", "status");
    var results = document.createElement("ul");
    results.className = "kern-list";
    results.id = id + "-results";

    wrapper.appendChild(label);
    wrapper.appendChild(hint);
    wrapper.appendChild(input);
    wrapper.appendChild(status);
    wrapper.appendChild(results);
    // Above the field it fills: one searches first, then sees the key arrive below.
    container.insertBefore(wrapper, container.firstChild);

    var timer = null;
    var latest = 0;

    function currentKeys() {
      return keysField.value.split(/[\s,;|]+/).filter(function (key) {
        return key !== "";
      });
    }

    function addKey(key, name) {
      var keys = currentKeys();
      if (keys.indexOf(key) === -1) {
        keys.push(key);
        keysField.value = keys.join(", ");
      }
      status.textContent = text("added") + " " + name + " (" + key + ")";
      input.focus();
    }

    function show(items) {
      results.textContent = "";
      items.forEach(function (item) {
        var entry = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.className = "kern-btn kern-btn--tertiary kern-btn--x-small";
        var caption = document.createElement("span");
        caption.className = "kern-label";
        caption.textContent = item.name + " (" + item.key + ")";
        button.appendChild(caption);
        button.addEventListener("click", function () {
          addKey(item.key, item.name);
        });
        entry.appendChild(button);
        results.appendChild(entry);
      });
      status.textContent = items.length ? items.length + " " + text("hits") : text("none");
    }

    function search() {
      var term = input.value.trim();
      if (term.length < MIN_LENGTH) {
        results.textContent = "";
        status.textContent = "";
        return;
      }
      var request = ++latest;
      fetch(url + "?q=" + encodeURIComponent(term), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return response.json();
        })
        .then(function (data) {
          if (request === latest) {
            show(data.results || []);
          }
        })
        .catch(function () {
          if (request === latest) {
            status.textContent = text("error");
          }
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, DELAY_MS);
    });
    // Enter in the search box searches; it must not submit the procedure form.
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        window.clearTimeout(timer);
        search();
      }
    });
  }

  document.querySelectorAll("[data-service-search]").forEach(setUp);
})();
