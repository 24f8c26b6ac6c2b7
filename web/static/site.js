// unioncat's only script: small conveniences; every page works without it.
(function () {
  "use strict";
  // Copy buttons beside read-only links (the permalink, the link to a search).
  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        button.textContent = button.getAttribute("data-done") || button.textContent;
      });
    });
  });
  document.querySelectorAll("button.print").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  // The library chooser's filter box: hide the libraries whose names do not contain what is typed.
  document.querySelectorAll("input.library-filter[data-for]").forEach(function (box) {
    var select = document.getElementById(box.getAttribute("data-for"));
    if (!select) { return; }
    box.hidden = false;
    if (box.labels) { box.labels.forEach(function (label) { label.hidden = false; }); }
    var fold = function (text) { return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase(); };
    box.addEventListener("input", function () {
      var wanted = fold(box.value.trim());
      select.querySelectorAll("optgroup").forEach(function (group) {
        var groupMatches = fold(group.label).indexOf(wanted) >= 0;
        var shown = 0;
        group.querySelectorAll("option").forEach(function (option) {
          var match = !wanted || groupMatches || fold(option.textContent).indexOf(wanted) >= 0;
          option.hidden = !match;
          option.disabled = !match;
          shown += match ? 1 : 0;
        });
        group.hidden = shown === 0;
      });
      select.querySelectorAll(":scope > option").forEach(function (option) {
        var match = !wanted || !option.value || fold(option.textContent).indexOf(wanted) >= 0;
        option.hidden = !match;
      });
    });
  });
  // Browsers that cannot style <details> content keep the filters open on a wide screen.
  if (!(window.CSS && CSS.supports && CSS.supports("selector(::details-content)")) &&
      window.matchMedia("(min-width: 50em)").matches) {
    document.querySelectorAll("details.wide-open").forEach(function (details) { details.open = true; });
  }
})();
