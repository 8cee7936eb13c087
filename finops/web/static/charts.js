/* The FinOps charts (stacked bars, or lines of values that do not stack), enhanced (no library, no CDN): a day's breakdown with exact amounts on hover, focus and
   arrow keys; legend buttons that hide or show a series (the others restack). The SVG, its <title>s and the
   data table work without this script. Figures come from the JSON the server puts beside the SVG. */
(function () {
  "use strict";

  function text(tag, content, cls) {
    var el = document.createElement(tag);
    el.textContent = content;
    if (cls) { el.className = cls; }
    return el;
  }

  function enhance(figure, index) {
    var svg = figure.querySelector("svg");
    var tip = figure.querySelector(".chart-tip");
    var source = figure.querySelector(".chart-data-json");
    if (!svg || !tip || !source) { return; }
    var data = JSON.parse(source.textContent);
    var hidden = {};
    var current = -1;
    var baseline = parseFloat(svg.getAttribute("data-baseline"));
    var segments = Array.prototype.slice.call(svg.querySelectorAll(".segment"));
    segments.forEach(function (s) { s.setAttribute("data-h", s.getAttribute("height")); });

    function restack() {
      var heights = {};
      svg.querySelectorAll(".series-line, .series-point").forEach(function (el) {
        el.style.display = hidden[el.getAttribute("data-series")] ? "none" : "";
      });
      segments.forEach(function (s) {
        var series = s.getAttribute("data-series");
        var day = s.getAttribute("data-day");
        if (hidden[series]) { s.style.display = "none"; return; }
        s.style.display = "";
        var h = parseFloat(s.getAttribute("data-h"));
        var below = heights[day] || 0;
        s.setAttribute("y", (baseline - below - h).toFixed(2));
        heights[day] = below + h;
      });
    }

    function show(day) {
      current = day;
      tip.textContent = "";
      tip.appendChild(text("strong", data.days[day]));
      var list = document.createElement("dl");
      data.series.forEach(function (s, n) {
        if (hidden[n]) { return; }
        var row = document.createElement("div");
        row.className = "tip-row";
        row.setAttribute("data-series", String(n));
        var label = text("dt", s.label);
        var sw = document.createElement("span");
        sw.className = "tip-swatch";
        sw.style.background = s.colour;
        label.prepend(sw);
        if (s.id) { label.appendChild(text("code", s.id, "id")); }
        row.appendChild(label);
        var value = s.amounts[day];
        row.appendChild(text("dd", value === null ? "no tokens met their cost"
          : value + " " + data.currency + (data.unit ? " " + data.unit : ""), "num"));
        list.appendChild(row);
      });
      if (data.totals) {
        var total = document.createElement("div");
        total.className = "tip-row tip-total";
        total.appendChild(text("dt", "Total"));
        total.appendChild(text("dd", data.totals[day] + " " + data.currency, "num"));
        total.querySelector("dd").setAttribute("data-testid", "tip-total");
        list.appendChild(total);
      }
      tip.appendChild(list);
      tip.hidden = false;
      svg.querySelectorAll(".day-hit").forEach(function (c) {
        c.classList.toggle("active", c.getAttribute("data-day") === String(day));
      });
    }

    svg.querySelectorAll(".day-hit").forEach(function (c) {
      c.addEventListener("mouseenter", function () { show(parseInt(c.getAttribute("data-day"), 10)); });
    });
    svg.setAttribute("tabindex", "0");
    var hintId = index ? "chart-keys-hint-" + index : "chart-keys-hint";
    svg.setAttribute("aria-describedby", hintId);
    svg.addEventListener("focus", function () { show(current < 0 ? data.days.length - 1 : current); });
    svg.addEventListener("keydown", function (e) {
      var next = current;
      if (e.key === "ArrowLeft") { next = Math.max(0, current - 1); }
      else if (e.key === "ArrowRight") { next = Math.min(data.days.length - 1, current + 1); }
      else if (e.key === "Home") { next = 0; }
      else if (e.key === "End") { next = data.days.length - 1; }
      else { return; }
      e.preventDefault();
      show(next);
    });
    var hint = text("p", "Hover a day, or focus the chart and use the arrow keys, for that day's exact amounts; "
      + "the legend's buttons hide or show a series.", "muted chart-hint");
    hint.id = hintId;
    figure.insertBefore(hint, tip);

    figure.querySelectorAll(".chart-legend li[data-series]").forEach(function (li) {
      var n = li.getAttribute("data-series");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "legend-toggle";
      button.setAttribute("aria-pressed", "true");
      while (li.firstChild) { button.appendChild(li.firstChild); }
      li.appendChild(button);
      button.addEventListener("click", function () {
        hidden[n] = !hidden[n];
        button.setAttribute("aria-pressed", hidden[n] ? "false" : "true");
        li.classList.toggle("off", !!hidden[n]);
        restack();
        if (current >= 0) { show(current); }
      });
    });
  }

  function start() { document.querySelectorAll("figure[data-chart]").forEach(function (f, i) { enhance(f, i); }); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
