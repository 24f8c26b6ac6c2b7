/* Live availability: the page shows the harvested state at once; this asks /availability and fills in
   each member's answer as it arrives (one JSON object per line). Without it the harvested state stays. */
(function () {
  "use strict";
  var holder = document.querySelector("[data-availability]");
  if (!holder || !window.fetch || !window.TextDecoder) { return; }
  var slots = document.querySelectorAll("[data-live-source]");
  Array.prototype.forEach.call(slots, function (slot) {
    slot.setAttribute("aria-busy", "true");
    var checking = slot.querySelector(".live-checking");
    if (checking) { checking.hidden = false; }
  });

  function show(message) {
    Object.keys(message.html || {}).forEach(function (cluster) {
      Array.prototype.forEach.call(slots, function (slot) {
        if (slot.getAttribute("data-live-source") === message.source &&
            slot.getAttribute("data-live-cluster") === cluster) {
          slot.innerHTML = message.html[cluster];   /* rendered and escaped by the server's template */
          slot.setAttribute("aria-busy", "false");
          slot.setAttribute("data-live-state", message.live ? "live" : message.reason);
        }
      });
    });
  }

  function finish() {
    Array.prototype.forEach.call(slots, function (slot) {
      if (slot.getAttribute("aria-busy") === "true") {
        var checking = slot.querySelector(".live-checking");
        if (checking) { checking.hidden = true; }
        slot.setAttribute("aria-busy", "false");
        slot.setAttribute("data-live-state", "none");
      }
    });
    holder.setAttribute("data-availability-done", "true");
  }

  function lines(text) {
    text.split("\n").forEach(function (line) {
      if (!line) { return; }
      var message = JSON.parse(line);
      if (message.done) { finish(); } else { show(message); }
    });
  }

  fetch(holder.getAttribute("data-availability"), {credentials: "same-origin", headers: {"Accept": "application/x-ndjson"}})
    .then(function (response) {
      if (!response.ok || !response.body) { throw new Error("no answer"); }
      var reader = response.body.getReader(), decoder = new TextDecoder(), rest = "";
      function next() {
        return reader.read().then(function (chunk) {
          if (chunk.done) { lines(rest); finish(); return; }
          rest += decoder.decode(chunk.value, {stream: true});
          var end = rest.lastIndexOf("\n");
          if (end >= 0) { lines(rest.slice(0, end)); rest = rest.slice(end + 1); }
          return next();
        });
      }
      return next();
    })
    .catch(finish);
}());
