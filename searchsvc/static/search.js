/* searchsvc: progressive enhancement for the search page, and the embeddable box.
 *
 * The page works without this file: every state is a plain URL, every control a
 * link or a GET form.  This file adds, on top:
 *   - type-ahead from /suggest.json on the search box, as an ARIA 1.2 combobox
 *     (arrows, Enter, Escape; the active option announced via aria-activedescendant);
 *   - filter, sort and page changes loaded in place: the server renders the same
 *     page, we swap its results region and record the URL with history.pushState,
 *     so the back button and shared links give the same state;
 *   - on phones, the filters folded behind a button.
 * Included from another site as
 *   <script src="https://search.example.gov/embed.js" data-target="#search"></script>
 * the same file renders a search box there instead (see embed() below).
 *
 * Text from the server is only ever set with textContent, or taken from the
 * server's own escaped HTML; nothing typed is ever parsed as HTML.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var KIND_LABELS = { title: "Post", term: "Search", tag: "Tag" };
  var MAX_SUGGESTIONS = 8;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  /* ---- Type-ahead: an input and a listbox, wired as an ARIA combobox ---- */

  function combobox(input, list, options) {
    var prefix = options.classPrefix;
    var items = [];
    var active = -1;
    var timer = null;
    var inflight = null;
    var shownFor = null;
    var status = el("div", options.srOnlyClass);
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    input.parentNode.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("autocomplete", "off");

    function isOpen() {
      return !list.hidden;
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      setActive(-1);
    }

    function open() {
      if (!items.length) return;
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function setActive(index) {
      active = index;
      var options = list.children;
      for (var i = 0; i < options.length; i++) {
        options[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function render(suggestions, query) {
      items = suggestions;
      shownFor = query;
      list.textContent = "";
      suggestions.forEach(function (suggestion, i) {
        var option = el("li", prefix + "option");
        option.id = list.id + "-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.appendChild(el("span", prefix + "text", suggestion.text));
        var kind = KIND_LABELS[suggestion.kind];
        if (kind) option.appendChild(el("span", prefix + "kind", kind));
        // Keep focus in the input while the pointer picks an option.
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
        });
        option.addEventListener("click", function () {
          choose(i);
        });
        list.appendChild(option);
      });
      active = -1;
      if (suggestions.length) {
        open();
        status.textContent =
          suggestions.length + (suggestions.length === 1 ? " suggestion" : " suggestions") + " available.";
      } else {
        close();
        status.textContent = "";
      }
    }

    function update() {
      var query = input.value.trim();
      if (query.length < 2) {
        render([], query);
        return;
      }
      if (query === shownFor) {
        open();
        return;
      }
      if (inflight) inflight.abort();
      inflight = new AbortController();
      fetch(options.url + "?q=" + encodeURIComponent(query), {
        signal: inflight.signal,
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          return response.ok ? response.json() : { suggestions: [] };
        })
        .then(function (body) {
          // A slow answer for an older query is dropped.
          if (input.value.trim() !== query || document.activeElement !== input) return;
          render((body.suggestions || []).slice(0, MAX_SUGGESTIONS), query);
        })
        .catch(function () {
          /* no suggestions: the box still searches */
        });
    }

    function choose(index) {
      var suggestion = items[index];
      close();
      if (suggestion.kind !== "title") input.value = suggestion.text;
      shownFor = input.value.trim();
      options.onChoose(suggestion);
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(update, 120);
    });
    input.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      switch (event.key) {
        case "ArrowDown":
          event.preventDefault();
          if (!isOpen()) {
            if (items.length && shownFor === input.value.trim()) {
              open();
              setActive(0);
            } else {
              update();
            }
          } else {
            setActive((active + 1) % items.length);
          }
          break;
        case "ArrowUp":
          if (isOpen()) {
            event.preventDefault();
            setActive(active <= 0 ? items.length - 1 : active - 1);
          }
          break;
        case "Enter":
          if (isOpen() && active >= 0) {
            event.preventDefault();
            choose(active);
          } else {
            close();
          }
          break;
        case "Escape":
          if (isOpen()) {
            event.preventDefault();
            close();
          } else if (input.value) {
            // A second Escape clears the box, as the APG combobox does.
            event.preventDefault();
            input.value = "";
            render([], "");
          }
          break;
        case "Tab":
          close();
          break;
      }
    });
    input.addEventListener("blur", close);
    return { close: close };
  }

  /* A link from the server, checked again before it becomes an href: an
   * absolute http(s) URL, or null (no javascript:, data:, //host, /\\host). */
  function safeHref(raw, base) {
    if (typeof raw !== "string" || !raw || /[\u0000-\u0020\u007f\\]/.test(raw)) return null;
    if (/^[\/]{2}/.test(raw)) return null;
    var url;
    try {
      url = new URL(raw, base);
    } catch (error) {
      return null;
    }
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  }

  /* A suggestion's URL, made absolute: posts live on the site, searches on the service. */
  function suggestionUrl(suggestion, serviceBase, siteBase) {
    var checked = suggestion.url && safeHref(suggestion.url, suggestion.kind === "title" ? siteBase : serviceBase);
    if (!checked) return new URL("search?q=" + encodeURIComponent(suggestion.text), serviceBase).href;
    var url = new URL(checked);
    // Show searches on the page, even if the API hands us its JSON twin.
    url.pathname = url.pathname.replace(/\/search\.json$/, "/search");
    return url.href;
  }

  /* ---- The search page ---- */

  function enhancePage() {
    var root = document.documentElement;
    root.classList.add("js");
    var input = document.getElementById("q");
    var list = document.getElementById("q-list");
    var pageRoot = document.querySelector("[data-search-path]");
    var searchPath = pageRoot ? pageRoot.getAttribute("data-search-path") : null;
    var base = new URL(".", location.href);

    if (input && list && input.getAttribute("data-suggest")) {
      combobox(input, list, {
        url: input.getAttribute("data-suggest"),
        classPrefix: "combo__",
        srOnlyClass: "sr-only",
        onChoose: function (suggestion) {
          var url = suggestionUrl(suggestion, base, location.href);
          if (searchPath && suggestion.kind !== "title" && new URL(url).pathname === searchPath) {
            load(url, { push: true });
          } else {
            location.assign(url);
          }
        },
      });
    }
    if (!searchPath) return;

    var current = location.href.split("#")[0];
    var request = null;
    var typedAtStart = "";
    var dateTimer = null;
    var filtersOpen = false;
    var phone = window.matchMedia("(max-width: 47.99em)");
    history.replaceState({ searchsvc: true }, "", location.href);

    function formUrl(form) {
      var params = new URLSearchParams();
      new FormData(form).forEach(function (value, key) {
        if (String(value).trim()) params.append(key, value);
      });
      // The default order needs no parameter (as the server's own links do).
      if (params.get("sort") === (params.get("q") ? "relevance" : "newest")) params.delete("sort");
      var query = params.toString();
      return new URL(searchPath + (query ? "?" + query : ""), location.href).href;
    }

    function isSearchLink(link) {
      return link.origin === location.origin && link.pathname === searchPath && !link.hasAttribute("download");
    }

    function load(url, opts) {
      if (request) request.abort();
      typedAtStart = input ? input.value : "";
      request = new AbortController();
      var results = document.querySelector(".results");
      if (results) results.setAttribute("aria-busy", "true");
      fetch(url, { signal: request.signal, headers: { Accept: "text/html" }, credentials: "same-origin" })
        .then(function (response) {
          return response.text().then(function (text) {
            return { url: response.url, text: text };
          });
        })
        .then(function (answer) {
          var doc = new DOMParser().parseFromString(answer.text, "text/html");
          if (!doc.getElementById("search-body")) {
            location.assign(url); // an error page: show it as a page
            return;
          }
          var finalUrl = answer.url || url;
          if (opts.push && finalUrl.split("#")[0] !== current) history.pushState({ searchsvc: true }, "", finalUrl);
          current = finalUrl.split("#")[0];
          swap(doc);
          restoreFocus(opts.focus);
        })
        .catch(function (error) {
          if (error.name !== "AbortError") location.assign(url);
        });
    }

    function swap(doc) {
      // Facets the visitor unfolded stay unfolded.
      var unfolded = [];
      document.querySelectorAll("fieldset[data-facet] details[open]").forEach(function (details) {
        unfolded.push(details.closest("fieldset").getAttribute("data-facet"));
      });
      document.getElementById("search-body").replaceWith(document.adoptNode(doc.getElementById("search-body")));
      unfolded.forEach(function (name) {
        var details = document.querySelector('fieldset[data-facet="' + CSS.escape(name) + '"] details');
        if (details) details.open = true;
      });
      ["page-heading", "result-count"].forEach(function (id) {
        var fresh = doc.getElementById(id);
        var here = document.getElementById(id);
        // Text only: the live region stays the same node, so it is announced.
        if (fresh && here && here.textContent !== fresh.textContent) here.textContent = fresh.textContent;
      });
      document.title = doc.title;
      var freshInput = doc.getElementById("q");
      // Show the query of the state shown, unless the visitor typed meanwhile.
      if (input && freshInput && input.value === typedAtStart) input.value = freshInput.value;
      layoutFilters();
    }

    function restoreFocus(target) {
      if (!target) return;
      var node = target === "results" ? document.getElementById("results-heading") : document.getElementById(target);
      if (!node) node = document.getElementById("results-heading");
      if (!node) return;
      node.focus({ preventScroll: target !== "results" });
      if (target === "results") {
        var head = document.querySelector(".search-head");
        if (head && head.getBoundingClientRect().top < 0) head.scrollIntoView();
      }
    }

    function apply(form, focusId) {
      load(formUrl(form), { push: true, focus: focusId });
    }

    function layoutFilters() {
      var aside = document.querySelector(".filters");
      var form = document.getElementById("filters");
      var heading = document.getElementById("filters-heading");
      if (!aside || !form || !heading) return;
      var button = heading.querySelector("button");
      if (!phone.matches) {
        if (button) heading.textContent = "Filter results";
        form.hidden = false;
        return;
      }
      if (!button) {
        button = el("button", "filters__toggle");
        button.type = "button";
        button.setAttribute("aria-controls", "filters");
        button.appendChild(el("span", null, "Filter results"));
        button.appendChild(el("span", "filters__badge"));
        button.addEventListener("click", function () {
          filtersOpen = !filtersOpen;
          layoutFilters();
        });
        heading.textContent = "";
        heading.appendChild(button);
      }
      var chosen = form.querySelectorAll("input[type=checkbox]:checked").length;
      form.querySelectorAll("input[type=date]").forEach(function (field) {
        if (field.value) chosen += 1;
      });
      button.querySelector(".filters__badge").textContent = chosen ? chosen + " selected" : "";
      button.setAttribute("aria-expanded", filtersOpen ? "true" : "false");
      form.hidden = !filtersOpen;
    }

    document.addEventListener("change", function (event) {
      var field = event.target;
      if (!field.form || field.form.id !== "filters") return;
      if (field.type === "date") {
        // Typing a date fires change at each digit of the year: wait for a pause.
        clearTimeout(dateTimer);
        dateTimer = setTimeout(function () {
          if (!field.value || /^[12]\d{3}-/.test(field.value)) apply(field.form, field.id);
        }, 700);
        return;
      }
      apply(field.form, field.id);
    });

    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (form.id === "filters") {
        event.preventDefault();
        apply(form, null);
      } else if (form.classList.contains("searchbox")) {
        event.preventDefault();
        var q = new FormData(form).get("q") || "";
        var url = new URL(searchPath, location.href);
        if (q.trim()) url.searchParams.set("q", q.trim());
        load(url.href, { push: true });
      }
    });

    document.addEventListener("click", function (event) {
      if (event.defaultPrevented || event.button !== 0) return;
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      var link = event.target.closest("a[href]");
      if (!link || !link.closest(".search-page") || !isSearchLink(link)) return;
      event.preventDefault();
      load(link.href, { push: true, focus: "results" });
    });

    window.addEventListener("popstate", function () {
      var url = location.href.split("#")[0];
      if (url !== current) load(location.href, { push: false });
    });

    if (phone.addEventListener) phone.addEventListener("change", layoutFilters);
    layoutFilters();
  }

  /* ---- The embeddable box ---- */

  var embedCount = 0;

  function decodeEntities(text) {
    var named = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
    return text.replace(/&(#x[0-9a-f]+|#\d+|lt|gt|amp|quot|apos);/gi, function (_, code) {
      if (code[0] !== "#") return named[code.toLowerCase()];
      return String.fromCodePoint(code[1] === "x" || code[1] === "X" ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10));
    });
  }

  /* The API's snippet is escaped text with <mark> around matches: rebuild it as nodes. */
  function appendSnippet(parent, html) {
    var inMark = false;
    html.split(/(<mark>|<\/mark>)/).forEach(function (part) {
      if (part === "<mark>") inMark = true;
      else if (part === "</mark>") inMark = false;
      else if (part) parent.appendChild(inMark ? el("mark", null, decodeEntities(part)) : document.createTextNode(decodeEntities(part)));
    });
  }

  function embed(tag) {
    var service = new URL(".", tag.src);
    var target = document.querySelector(tag.getAttribute("data-target"));
    if (!target) {
      if (window.console) console.warn("searchsvc embed: no element matches data-target " + tag.getAttribute("data-target"));
      return;
    }
    var inline = tag.getAttribute("data-results") === "inline";
    var n = ++embedCount;
    if (!document.querySelector("link[data-searchsvc]")) {
      var css = el("link");
      css.rel = "stylesheet";
      css.href = new URL("embed.css", service).href;
      css.setAttribute("data-searchsvc", "");
      document.head.appendChild(css);
    }

    var box = el("div", "searchsvc");
    var form = el("form", "searchsvc__form");
    form.action = new URL("search", service).href;
    form.method = "get";
    form.setAttribute("role", "search");
    var label = el("label", "searchsvc__label", tag.getAttribute("data-label") || "Search this site");
    var input = el("input", "searchsvc__input");
    input.type = "search";
    input.name = "q";
    input.id = "searchsvc-q-" + n;
    input.maxLength = 500;
    input.spellcheck = false;
    label.htmlFor = input.id;
    var row = el("div", "searchsvc__row");
    var combo = el("div", "searchsvc__combo");
    var list = el("ul", "searchsvc__list");
    list.id = "searchsvc-list-" + n;
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggestions");
    list.hidden = true;
    var button = el("button", "searchsvc__button", "Search");
    button.type = "submit";
    combo.appendChild(input);
    combo.appendChild(list);
    row.appendChild(combo);
    row.appendChild(button);
    form.appendChild(label);
    form.appendChild(row);
    box.appendChild(form);

    var panel = el("div", "searchsvc__results");
    var count = el("p", "searchsvc__count");
    count.setAttribute("role", "status");
    count.setAttribute("aria-live", "polite");
    var hits = el("ol", "searchsvc__hits");
    var more = el("a", "searchsvc__more");
    /* the editors' best bets for the query, above the ranked results as on the page */
    var bets = el("section", "searchsvc__bets");
    bets.setAttribute("aria-label", "Recommended");
    bets.hidden = true;
    panel.appendChild(count);
    panel.appendChild(bets);
    panel.appendChild(hits);
    panel.appendChild(more);
    if (inline) box.appendChild(panel);
    panel.hidden = true;
    target.textContent = "";
    target.appendChild(box);

    var pending = null;

    function showBets(found) {
      bets.textContent = "";
      var shown = found.filter(function (bet) {
        return safeHref(bet.url, location.href);
      });
      bets.hidden = !shown.length;
      if (!shown.length) return;
      bets.appendChild(el("h2", "searchsvc__bets-heading", "Recommended"));
      var items = el("ul", "searchsvc__bets-list");
      shown.forEach(function (bet) {
        var item = el("li", "searchsvc__bet");
        var link = el("a", "searchsvc__bet-title", bet.title);
        link.href = safeHref(bet.url, location.href);
        item.appendChild(link);
        if (bet.description) item.appendChild(el("p", "searchsvc__snippet", bet.description));
        items.appendChild(item);
      });
      bets.appendChild(items);
    }

    function showInline(q) {
      if (pending) pending.abort();
      pending = new AbortController();
      var url = new URL("search.json", service);
      url.searchParams.set("q", q);
      url.searchParams.set("per_page", tag.getAttribute("data-per-page") || "5");
      fetch(url.href, { signal: pending.signal, headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.json();
        })
        .then(function (data) {
          panel.hidden = false;
          hits.textContent = "";
          if (!data.ok) {
            count.textContent = data.error || "The search could not be run.";
            more.hidden = true;
            return;
          }
          /* a routed query goes where the editors send it, as /search does */
          var route = data.route && safeHref(data.route.url, location.href);
          if (route) {
            location.assign(route);
            return;
          }
          count.textContent = data.total
            ? data.total + (data.total === 1 ? " result" : " results") + " for “" + q + "”"
            : "No results for “" + q + "”";
          showBets(data.best_bets || []);
          data.results.forEach(function (hit) {
            var item = el("li", "searchsvc__hit");
            var href = safeHref(hit.url, location.href);
            var link = el(href ? "a" : "span", "searchsvc__title", hit.title);
            if (href) link.href = href;
            item.appendChild(link);
            if (hit.date) item.appendChild(el("span", "searchsvc__date", hit.date.slice(0, 10)));
            var snippet = el("p", "searchsvc__snippet");
            appendSnippet(snippet, hit.snippet || "");
            item.appendChild(snippet);
            if (hit.sub_results && hit.sub_results.length) {
              /* a long page's best sections, each linked to its heading */
              var subs = el("ul", "searchsvc__subs");
              hit.sub_results.forEach(function (sub) {
                var row = el("li", "searchsvc__sub");
                var jump = el("a", "searchsvc__sub-title", sub.title);
                jump.href = new URL(sub.url, location.href).href;
                row.appendChild(jump);
                var text = el("span", "searchsvc__sub-snippet");
                appendSnippet(text, " " + (sub.snippet || ""));
                row.appendChild(text);
                subs.appendChild(row);
              });
              item.appendChild(subs);
            }
            hits.appendChild(item);
          });
          var all = new URL("search", service);
          all.searchParams.set("q", q);
          more.href = all.href;
          more.textContent = "See all results on the search page";
          more.hidden = !data.total;
        })
        .catch(function (error) {
          if (error.name === "AbortError") return;
          panel.hidden = false;
          count.textContent = "The search service could not be reached.";
        });
    }

    combobox(input, list, {
      url: new URL("suggest.json", service).href,
      classPrefix: "searchsvc__",
      srOnlyClass: "searchsvc__sr",
      onChoose: function (suggestion) {
        if (suggestion.kind !== "title" && inline) showInline(suggestion.text);
        else location.assign(suggestionUrl(suggestion, service, location.href));
      },
    });

    if (inline) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (input.value.trim()) showInline(input.value.trim());
      });
    }
  }

  function start() {
    if (script && script.hasAttribute("data-target")) embed(script);
    else enhancePage();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
