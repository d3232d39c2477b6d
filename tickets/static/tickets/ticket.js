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
