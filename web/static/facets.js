/* The facet column: a checkbox applies its facet at once; "show more" brings that facet's other values in
   without a reload (the same link, fetched, and its facet swapped in). Without script both still work: the
   Apply button, and the link. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("form.facet-choices");
    if (form && event.target.type === "checkbox") { form.submit(); }
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".facet .more a");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
    event.preventDefault();
    var facet = link.closest(".facet");
    var count = facet.querySelectorAll("li").length;
    fetch(link.href, {credentials: "same-origin"}).then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.text();
    }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(facet.id);
      if (!fresh) { throw new Error("no facet"); }
      facet.replaceWith(fresh);
      var next = fresh.querySelectorAll("li")[count] || fresh.querySelector("h3");
      var target = next.querySelector("input, a") || next;
      if (target === next) { next.setAttribute("tabindex", "-1"); }
      target.focus();
    }).catch(function () { window.location.href = link.href; });
  });
})();
