// Kotae's feedback widget: <script src="https://community.example/widget.js" data-brand="acme" async></script>
// adds a "Help & feedback" button that opens the brand's panel in a frame of the community's
// own server (which only the brand's listed sites may frame).
(function () {
  "use strict";
  var script = document.currentScript;
  var brand = script && script.getAttribute("data-brand");
  if (!brand) return;
  var base = new URL(script.src).origin;
  var label = script.getAttribute("data-label") || "Help & feedback";
  var frame = null;
  var button = document.createElement("button");
  button.type = "button";
  button.className = "kotae-widget-button";
  button.textContent = label;
  button.setAttribute("aria-expanded", "false");
  button.style.cssText = "position:fixed;right:16px;bottom:16px;z-index:2147483646;padding:10px 18px;" +
    "border:0;border-radius:22px;background:#0f766e;color:#fff;font:600 15px system-ui,sans-serif;" +
    "cursor:pointer;box-shadow:0 2px 8px rgba(0,0,0,.25)";
  button.addEventListener("click", function () {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.title = label;
      frame.className = "kotae-widget-frame";
      frame.src = base + "/brands/" + encodeURIComponent(brand) + "/widget?title=" +
        encodeURIComponent((document.title || "").slice(0, 200));
      frame.style.cssText = "position:fixed;right:16px;bottom:68px;width:min(380px,calc(100vw - 32px));" +
        "height:min(560px,calc(100vh - 100px));border:1px solid #d0d7de;border-radius:12px;" +
        "background:#fff;z-index:2147483647;box-shadow:0 4px 24px rgba(0,0,0,.2)";
      document.body.appendChild(frame);
    } else {
      frame.hidden = !frame.hidden;
    }
    button.setAttribute("aria-expanded", String(!frame.hidden));
  });
  document.body.appendChild(button);
})();
