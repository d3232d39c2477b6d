// Page behaviours declared in markup. The Content-Security-Policy forbids inline scripts and inline
// event handlers (onclick=, onsubmit=, hx-on), so templates mark elements with data attributes and
// this one script, loaded by base.html, acts on them; it works on content swapped in by htmx too.
//   <form data-confirm="Merge into {target}?">  asks first; {name} is the value of the form's field `name`
//   <input data-select-on-click>                 selects its whole text on click (a link to copy)
//   <form data-reset-on-success data-remove-on-success="id">  after a successful htmx request: clears
//                                                the form and removes the element with that id
//   <span data-reload-page hidden>               when htmx swaps it in, the whole page reloads
//   <article id="error-summary" tabindex="-1">   takes the focus when a page or a swap shows it
(function () {
  if (window.helpdeskBehaviors) return;
  window.helpdeskBehaviors = true;

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) return;
    var message = form.getAttribute("data-confirm").replace(/\{(\w+)\}/g, function (whole, name) {
      var field = form.elements.namedItem(name);
      return field && "value" in field ? field.value : whole;
    });
    if (!window.confirm(message)) {
      event.preventDefault();
      event.stopPropagation();  // capture phase: htmx and other listeners never see the cancelled submit
    }
  }, true);

  document.addEventListener("click", function (event) {
    var field = event.target.closest && event.target.closest("[data-select-on-click]");
    if (field && typeof field.select === "function") field.select();
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!event.detail.successful || !(form instanceof HTMLFormElement) || !form.hasAttribute("data-reset-on-success")) return;
    form.reset();
    var gone = form.dataset.removeOnSuccess && document.getElementById(form.dataset.removeOnSuccess);
    if (gone) gone.remove();
  });

  function focusErrors(root) {
    var summary = document.getElementById("error-summary");
    if (summary && (root === document || (root.contains && root.contains(summary)))) summary.focus();
  }
  document.addEventListener("DOMContentLoaded", function () { focusErrors(document); });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (document.querySelector("[data-reload-page]")) { window.location.reload(); return; }
    focusErrors(event.target);
  });
})();
