/* Helpdesk chat widget. Embed it with one async script tag whose src is https://HOST/assistants/widget.js?key=KEY
   Tenant text (the assistant's name) only ever arrives in the JSON literal below, never elsewhere in this file. */
(function () {
  var config = {{ config_json|safe }};
  if (window.__helpdeskWidget) return;
  window.__helpdeskWidget = true;
  var storageKey = "helpdesk-widget-session:" + config.key;
  var css = ".hdw-button{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:24px;padding:12px 18px;background:#1f6feb;color:#fff;font:600 15px system-ui,sans-serif;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.2)}" +
    ".hdw-panel{position:fixed;right:20px;bottom:76px;z-index:2147483000;width:min(360px,calc(100vw - 40px));height:min(480px,calc(100vh - 120px));display:none;flex-direction:column;background:#fff;color:#1b1f24;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);font:14px/1.4 system-ui,sans-serif;overflow:hidden}" +
    ".hdw-panel.open{display:flex}.hdw-head{padding:10px 14px;background:#1f6feb;color:#fff;font-weight:600}" +
    ".hdw-log{flex:1;overflow:auto;padding:10px 14px;display:flex;flex-direction:column;gap:8px}" +
    ".hdw-msg{padding:8px 10px;border-radius:10px;max-width:85%;white-space:pre-wrap}.hdw-user{align-self:flex-end;background:#1f6feb;color:#fff}.hdw-bot{align-self:flex-start;background:#f0f2f5}" +
    ".hdw-src{font-size:12px;color:#57606a}.hdw-form{display:flex;border-top:1px solid #d0d7de}.hdw-form input{flex:1;border:0;padding:10px;font:inherit}.hdw-form button{border:0;background:none;color:#1f6feb;font-weight:600;padding:0 14px;cursor:pointer}";
  var style = document.createElement("style"); style.textContent = css; document.head.appendChild(style);
  var button = document.createElement("button"); button.className = "hdw-button"; button.type = "button"; button.textContent = "Chat with us";
  var panel = document.createElement("div"); panel.className = "hdw-panel"; panel.setAttribute("role", "dialog"); panel.setAttribute("aria-label", config.title);
  panel.innerHTML = '<div class="hdw-head"></div><div class="hdw-log" aria-live="polite"></div><form class="hdw-form"><input name="message" autocomplete="off" maxlength="4000" placeholder="Ask a question…" aria-label="Message"><button type="button" class="hdw-attach" title="Send a screenshot to our team" aria-label="Send a screenshot to our team">&#128206;</button><button type="submit">Send</button></form>';
  panel.querySelector(".hdw-head").textContent = config.title;
  document.body.appendChild(panel); document.body.appendChild(button);
  var log = panel.querySelector(".hdw-log"), form = panel.querySelector("form"), input = form.querySelector("input");
  button.addEventListener("click", function () { panel.classList.toggle("open"); if (panel.classList.contains("open")) input.focus(); });
  form.querySelector(".hdw-attach").addEventListener("click", function () { offerHandover().querySelector("input[type=file]").click(); });

  function add(text, who) {
    var el = document.createElement("div"); el.className = "hdw-msg hdw-" + who; el.textContent = text; log.appendChild(el); log.scrollTop = log.scrollHeight; return el;
  }
  function post(path, body) {
    body.key = config.key;
    return fetch(config.base + path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (data) { if (!r.ok) throw new Error(data.detail || "Something went wrong."); return data; }); });
  }
  // Screenshots (issue 13): the handover form can carry images; they reach the team as attachments of the ticket.
  function postForm(path, fields, files) {
    var body = new FormData(); body.append("key", config.key);
    Object.keys(fields).forEach(function (name) { if (fields[name]) body.append(name, fields[name]); });
    Array.prototype.forEach.call(files, function (file) { body.append("files", file); });
    return fetch(config.base + path, { method: "POST", body: body })
      .then(function (r) { return r.json().then(function (data) { if (!r.ok) throw new Error(data.detail || "Something went wrong."); return data; }); });
  }
  var handover = null;
  function offerHandover() {
    if (handover) { handover.querySelector("input[type=email]").focus(); return handover; }
    var box = handover = document.createElement("form"); box.className = "hdw-form hdw-handover";
    box.innerHTML = '<input type="email" required placeholder="Your email for a reply from our team" aria-label="Email"><input type="file" accept="image/*" multiple aria-label="Screenshots (optional)" hidden><button type="button" class="hdw-attach" title="Attach a screenshot" aria-label="Attach a screenshot">&#128206;</button><button type="submit">Send</button>';
    log.appendChild(box);
    var files = box.querySelector("input[type=file]");
    box.querySelector(".hdw-attach").addEventListener("click", function () { files.click(); });
    files.addEventListener("change", function () { box.querySelector(".hdw-attach").textContent = files.files.length ? "\u{1F4CE}" + files.files.length : "\u{1F4CE}"; });
    box.addEventListener("submit", function (event) {
      event.preventDefault();
      var fields = { session_id: sessionStorage.getItem(storageKey), email: box.querySelector("input[type=email]").value };
      var sent = files.files.length ? postForm("/assistants/widget/escalate", fields, files.files) : post("/assistants/widget/escalate", fields);
      sent.then(function (data) {
          box.remove(); handover = null;
          add((data.unverified ? "Thanks! We sent a link to your address: follow it to confirm it, and a person will follow up on " + data.ticket + "."
            : "Thanks! A person will follow up on " + data.ticket + " by email.") + (data.attached ? " We received your screenshot." : ""), "bot");
        })
        .catch(function (error) { add(error.message, "bot"); });
    });
    return box;
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim(); if (!text) return;
    input.value = ""; add(text, "user");
    var pending = add("…", "bot");
    post("/assistants/widget/chat", { message: text, session_id: sessionStorage.getItem(storageKey) })
      .then(function (data) {
        sessionStorage.setItem(storageKey, data.session_id);
        pending.textContent = data.reply;
        if (data.citations && data.citations.length) {
          var src = document.createElement("div"); src.className = "hdw-src";
          src.textContent = "Sources: " + data.citations.map(function (c) { return c.document; }).join(", ");
          pending.appendChild(src);
        }
        if (data.escalate) offerHandover();
      })
      .catch(function (error) { pending.textContent = error.message; });
  });
})();
