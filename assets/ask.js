// While a customer types a title on the ask page, show topics that may already answer it.
// Without this script the "Check for similar topics" button does the same on the server.
(function () {
  "use strict";
  var form = document.querySelector("form[data-similar]");
  var title = document.getElementById("f-title");
  var box = document.getElementById("similar");
  if (!form || !title || !box) return;
  var url = form.getAttribute("data-similar");
  var heading = box.getAttribute("data-heading");
  var timer = null;
  var asked = "";

  function show(items) {
    while (box.firstChild) box.removeChild(box.firstChild);
    if (!items.length) return;
    var h = document.createElement("h2");
    h.textContent = heading;
    box.appendChild(h);
    var list = document.createElement("ul");
    items.forEach(function (item) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = item.url;
      a.textContent = item.title;
      li.appendChild(a);
      list.appendChild(li);
    });
    box.appendChild(list);
  }

  function look() {
    var text = title.value.trim();
    if (text === asked) return;
    asked = text;
    if (text.length < 3) { show([]); return; }
    fetch(url + "?title=" + encodeURIComponent(text), { headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (body) { if (asked === text) show(body.items || []); })
      .catch(function () {});
  }

  title.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(look, 300);
  });
})();

// Show only the details the chosen kind asks for (without this script all of them show,
// each under its kind's heading, and the server takes those of the chosen kind).
(function () {
  "use strict";
  var groups = document.querySelectorAll("fieldset[data-kind]");
  var kinds = document.querySelectorAll("input[name=kind]");
  if (!groups.length || !kinds.length) return;
  function sync() {
    var chosen = document.querySelector("input[name=kind]:checked");
    groups.forEach(function (g) {
      g.hidden = !chosen || g.getAttribute("data-kind") !== chosen.value;
    });
  }
  kinds.forEach(function (k) { k.addEventListener("change", sync); });
  sync();
})();
