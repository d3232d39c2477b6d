// Keyboard review: 1-9 pick a label, Enter accepts the suggestion, X rejects, U undoes.
// Each key clicks the button that carries it (data-key), so the page works the same with a mouse.
(function () {
  let busy = false;
  document.body.addEventListener("htmx:beforeRequest", () => { busy = true; });
  document.body.addEventListener("htmx:afterRequest", () => { busy = false; });
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat || busy) return;
    const target = event.target;
    if (target instanceof HTMLElement && target.closest("input, textarea, select, [contenteditable]")) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    const button = document.querySelector(`#review-item [data-key="${CSS.escape(key)}"]`);
    if (!button || button.disabled) return;
    event.preventDefault();
    button.click();
  });
})();
