// The ticket page: a canned reply picked from the list goes into the message (placeholders already
// filled by the server) and is remembered, so its actions (status, tags) apply when the reply is sent.
// Works on forms swapped in later by htmx, too.
(function () {
  if (window.helpdeskTicket) return;
  window.helpdeskTicket = true;
  window.helpdeskInsertReply = function (text, macroId) {
    var form = document.getElementById("reply-form");
    if (!form) return false;
    var body = form.querySelector("textarea[name=body]");
    body.value = body.value.trim() ? body.value.replace(/\s+$/, "") + "\n\n" + text : text;
    var macro = form.querySelector("input[name=macro]");
    if (macro) macro.value = macroId || "";
    var picker = form.querySelector("[data-macro-picker]");
    if (picker && macroId) picker.value = macroId;
    body.focus();
    return true;
  };
  // Buttons of the AI panel (no inline handlers: the page's Content-Security-Policy forbids them):
  // data-insert-reply="replace" makes the draft the whole message, public; "append" adds a canned reply.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-insert-reply]");
    if (!button) return;
    if (button.dataset.insertReply !== "replace") {
      window.helpdeskInsertReply(button.dataset.text, button.dataset.macro);
      return;
    }
    var form = document.getElementById("reply-form");
    var body = form && form.querySelector("textarea[name=body]");
    if (!body) return;
    body.value = button.dataset.text;
    body.focus();
    var visibility = form.querySelector("input[value=public]");
    if (visibility) visibility.checked = true;
  });
  document.addEventListener("change", function (event) {
    var picker = event.target.closest && event.target.closest("[data-macro-picker]");
    if (!picker) return;
    var option = picker.selectedOptions[0];
    if (option && option.value) window.helpdeskInsertReply(option.dataset.text, option.value);
    else {
      var macro = picker.form.querySelector("input[name=macro]");
      if (macro) macro.value = "";
    }
  });
})();
