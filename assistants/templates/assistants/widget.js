/* Helpdesk chat widget. Embed it with one async script tag whose src is https://HOST/assistants/widget.js?key=KEY
   Tenant text (the assistant's name) only ever arrives in the JSON literal below, never elsewhere in this file. */
(function () {
  var config = {{ config_json|safe }};
  var texts = config.texts;  // the widget's own words, in the visitor's language
  // "%(name)s" placeholders of a text filled from values (the texts come from the server's catalogue).
  function fill(text, values) { return text.replace(/%\((\w+)\)[sd]/g, function (all, name) { return String(values[name]); }); }
  if (window.__helpdeskWidget) return;
  window.__helpdeskWidget = true;
  var storageKey = "helpdesk-widget-session:" + config.key;
  var css = ".hdw-button{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:24px;padding:12px 18px;background:#1f6feb;color:#fff;font:600 15px system-ui,sans-serif;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.2)}" +
    ".hdw-panel{position:fixed;right:20px;bottom:76px;z-index:2147483000;width:min(360px,calc(100vw - 40px));height:min(520px,calc(100vh - 120px));display:none;flex-direction:column;background:#fff;color:#1b1f24;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);font:14px/1.4 system-ui,sans-serif;overflow:hidden}" +
    ".hdw-panel.open{display:flex}.hdw-head{display:flex;align-items:center;justify-content:space-between;padding:10px 8px 10px 14px;background:#1f6feb;color:#fff;font-weight:600}" +
    ".hdw-close{border:0;background:none;color:#fff;font:600 20px/1 system-ui,sans-serif;cursor:pointer;padding:2px 8px;border-radius:6px}.hdw-close:focus-visible{outline:2px solid #fff}" +
    ".hdw-log{flex:1;overflow:auto;padding:10px 14px;display:flex;flex-direction:column;gap:8px}" +
    ".hdw-msg{padding:8px 10px;border-radius:10px;max-width:85%;white-space:pre-wrap;overflow-wrap:anywhere}.hdw-user{align-self:flex-end;background:#1f6feb;color:#fff}.hdw-bot{align-self:flex-start;background:#f0f2f5}" +
    ".hdw-typing::after{content:'▍';animation:hdw-blink 1s steps(2) infinite}@keyframes hdw-blink{50%{opacity:0}}" +
    ".hdw-src{font-size:12px;color:#57606a;margin-top:6px}.hdw-src ul{margin:2px 0 0;padding-left:16px}" +
    ".hdw-handover{align-self:stretch;border:1px solid #d0d7de;border-radius:10px;padding:10px;display:flex;flex-direction:column;gap:6px;background:#fff8e1}" +
    ".hdw-handover p{margin:0}.hdw-handover input{border:1px solid #d0d7de;border-radius:6px;padding:8px;font:inherit}" +
    ".hdw-handover button{border:0;border-radius:6px;background:#1f6feb;color:#fff;font-weight:600;padding:8px;cursor:pointer}" +
    ".hdw-handover .hdw-attach{background:#fff;color:#1f6feb;border:1px solid #1f6feb;font-weight:400}" +
    ".hdw-foot{display:flex;justify-content:flex-end;padding:0 14px 6px}.hdw-foot button{border:0;background:none;color:#1f6feb;font:12px system-ui,sans-serif;cursor:pointer;padding:0}" +
    ".hdw-form{display:flex;border-top:1px solid #d0d7de}.hdw-form input{flex:1;min-width:0;border:0;padding:10px;font:inherit}.hdw-form button{border:0;background:none;color:#1f6feb;font-weight:600;padding:0 14px;cursor:pointer}";
  // A constructed stylesheet where the browser has them: a customer's page whose Content-Security-Policy
  // forbids inline styles still shows the widget (CSP governs <style> elements, not constructed sheets).
  if (window.CSSStyleSheet && "replaceSync" in CSSStyleSheet.prototype && "adoptedStyleSheets" in document) {
    var sheet = new CSSStyleSheet(); sheet.replaceSync(css); document.adoptedStyleSheets = document.adoptedStyleSheets.concat([sheet]);
  } else {
    var style = document.createElement("style"); style.textContent = css; document.head.appendChild(style);
  }
  var button = document.createElement("button"); button.className = "hdw-button"; button.type = "button"; button.textContent = texts.open;
  button.setAttribute("aria-expanded", "false");
  var panel = document.createElement("div"); panel.className = "hdw-panel"; panel.setAttribute("role", "dialog"); panel.setAttribute("aria-label", config.title);
  panel.innerHTML = '<div class="hdw-head"><span></span><button type="button" class="hdw-close">×</button></div>' +
    '<div class="hdw-log" aria-live="polite"></div><div class="hdw-foot"><button type="button" hidden></button></div>' +
    '<form class="hdw-form"><input name="message" autocomplete="off" maxlength="4000"><button type="button" class="hdw-attach">&#128206;</button><button type="submit"></button></form>';
  panel.querySelector(".hdw-head span").textContent = config.title;
  panel.querySelector(".hdw-close").setAttribute("aria-label", texts.close);
  panel.querySelector(".hdw-foot button").textContent = texts.person;
  panel.querySelector("form.hdw-form input").setAttribute("placeholder", texts.placeholder);
  panel.querySelector("form.hdw-form input").setAttribute("aria-label", texts.message);
  panel.querySelector("form.hdw-form .hdw-attach").setAttribute("title", texts.send_screenshot);
  panel.querySelector("form.hdw-form .hdw-attach").setAttribute("aria-label", texts.send_screenshot);
  panel.querySelector("form.hdw-form button[type=submit]").textContent = texts.send;
  document.body.appendChild(panel); document.body.appendChild(button);
  var log = panel.querySelector(".hdw-log"), form = panel.querySelector("form.hdw-form"), input = form.querySelector("input");
  var personButton = panel.querySelector(".hdw-foot button"), greeted = false, busy = false, handover = null;

  function open() {
    panel.classList.add("open"); button.setAttribute("aria-expanded", "true");
    if (!greeted) { greeted = true; add(config.greeting, "bot"); }
    input.focus();
  }
  function close() { panel.classList.remove("open"); button.setAttribute("aria-expanded", "false"); button.focus(); }
  button.addEventListener("click", function () { if (panel.classList.contains("open")) close(); else open(); });
  panel.querySelector(".hdw-close").addEventListener("click", close);
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") close(); });
  form.querySelector(".hdw-attach").addEventListener("click", function () { offerHandover(false).querySelector("input[type=file]").click(); });

  function add(text, who) {
    var el = document.createElement("div"); el.className = "hdw-msg hdw-" + who; el.textContent = text; log.appendChild(el); log.scrollTop = log.scrollHeight; return el;
  }
  function post(path, body) {
    body.key = config.key;
    return fetch(config.base + path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  }
  // Screenshots: the handover form can carry images; they reach the team as attachments of the ticket.
  function postForm(path, fields, files) {
    var body = new FormData(); body.append("key", config.key);
    Object.keys(fields).forEach(function (name) { if (fields[name]) body.append(name, fields[name]); });
    Array.prototype.forEach.call(files, function (file) { body.append("files", file); });
    return fetch(config.base + path, { method: "POST", body: body });
  }
  function failure(response) {
    return response.json().catch(function () { return {}; }).then(function (data) { throw new Error(data.detail || texts.failed); });
  }
  // The sources of one answer, each document named once.
  function showSources(bubble, citations) {
    var seen = {}, names = [];
    (citations || []).forEach(function (c) { if (c.document && !seen[c.document]) { seen[c.document] = true; names.push(c.document); } });
    if (!names.length) return;
    var box = document.createElement("div"); box.className = "hdw-src"; box.textContent = names.length === 1 ? texts.source + " " : texts.sources;
    if (names.length === 1) { box.textContent += names[0]; } else {
      var list = document.createElement("ul");
      names.forEach(function (name) { var li = document.createElement("li"); li.textContent = name; list.appendChild(li); });
      box.appendChild(list);
    }
    bubble.appendChild(box);
  }
  function finish(bubble, data) {
    sessionStorage.setItem(storageKey, data.session_id);
    bubble.classList.remove("hdw-typing");
    bubble.textContent = data.reply;
    showSources(bubble, data.citations);
    personButton.hidden = false;
    if (data.escalate) offerHandover(true);
  }
  // Reads the server-sent events of a streamed answer: `token` pieces, then `done` with the whole reply.
  function streamAnswer(response, bubble) {
    var reader = response.body.getReader(), decoder = new TextDecoder(), buffer = "", done = null, streamed = "";
    function handle(block) {
      var name = "", data = "";
      block.split("\n").forEach(function (line) {
        if (line.indexOf("event: ") === 0) name = line.slice(7);
        else if (line.indexOf("data: ") === 0) data += line.slice(6);
      });
      if (!data) return;
      var payload = JSON.parse(data);
      if (name === "token") { streamed += payload.text; bubble.textContent = streamed; log.scrollTop = log.scrollHeight; }
      else if (name === "done") done = payload;
    }
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.value) buffer += decoder.decode(chunk.value, { stream: !chunk.done });
        var parts = buffer.split("\n\n"); buffer = parts.pop();
        parts.forEach(handle);
        if (!chunk.done) return pump();
        if (buffer.trim()) handle(buffer);
        if (!done) throw new Error(texts.cut_off);
        return done;
      });
    }
    return pump();
  }
  function ask(text) {
    busy = true;
    var bubble = add("", "bot"); bubble.classList.add("hdw-typing");
    var body = { message: text, session_id: sessionStorage.getItem(storageKey) };
    var streaming = window.ReadableStream && window.TextDecoder;
    post(streaming ? "/assistants/widget/chat/stream" : "/assistants/widget/chat", body)
      .then(function (response) {
        if (!response.ok) return failure(response);
        return streaming ? streamAnswer(response, bubble) : response.json();
      })
      .then(function (data) { finish(bubble, data); })
      .catch(function (error) { bubble.classList.remove("hdw-typing"); bubble.textContent = error.message; })
      .then(function () { busy = false; log.scrollTop = log.scrollHeight; });
  }
  // Hand the chat to a person: say what happens, ask for an e-mail address, and bring it into view.
  function offerHandover(escalated) {
    if (handover) { handover.scrollIntoView({ block: "nearest" }); handover.querySelector("input[type=email]").focus(); return handover; }
    var box = handover = document.createElement("form"); box.className = "hdw-handover";
    box.innerHTML = '<p></p><input type="email" name="email" required autocomplete="email" placeholder="you@example.com">' +
      '<input type="text" name="name" autocomplete="name">' +
      '<input type="file" accept="image/*" multiple hidden>' +
      '<button type="button" class="hdw-attach"></button>' +
      '<button type="submit"></button>';
    box.querySelector("input[type=email]").setAttribute("aria-label", texts.email);
    box.querySelector("input[name=name]").setAttribute("aria-label", texts.name);
    box.querySelector("input[name=name]").setAttribute("placeholder", texts.name);
    box.querySelector("input[type=file]").setAttribute("aria-label", texts.screenshots);
    box.querySelector(".hdw-attach").setAttribute("title", texts.attach);
    box.querySelector(".hdw-attach").setAttribute("aria-label", texts.attach);
    box.querySelector(".hdw-attach").textContent = "\u{1F4CE} " + texts.attach;
    box.querySelector("button[type=submit]").textContent = texts.send_to_team;
    box.querySelector("p").textContent = (escalated ? texts.escalated + " " : "") + texts.leave_email;
    log.appendChild(box);
    box.scrollIntoView({ block: "nearest" });
    box.querySelector("input[type=email]").focus({ preventScroll: true });
    var files = box.querySelector("input[type=file]"), attach = box.querySelector(".hdw-attach");
    attach.addEventListener("click", function () { files.click(); });
    files.addEventListener("change", function () {
      var count = files.files.length;
      attach.textContent = "\u{1F4CE} " + (count ? texts.attached[count] || fill(texts.attached_many, { count: count }) : texts.attach);
    });
    box.addEventListener("submit", function (event) {
      event.preventDefault();
      var email = box.querySelector("input[name=email]").value, name = box.querySelector("input[name=name]").value;
      var fields = { session_id: sessionStorage.getItem(storageKey), email: email, name: name };
      (files.files.length ? postForm("/assistants/widget/escalate", fields, files.files) : post("/assistants/widget/escalate", fields))
        .then(function (response) { return response.ok ? response.json() : failure(response); })
        .then(function (data) {
          box.remove(); handover = null; personButton.hidden = true;
          add((data.message ? data.message + " " : "") +
            fill(data.unverified ? texts.confirm_link : texts.with_team, { email: email, ticket: data.ticket }) +
            (data.attached ? " " + (data.attached > 1 ? texts.received_many : texts.received_one) : ""), "bot");
        })
        .catch(function (error) {
          var note = box.querySelector(".hdw-error") || document.createElement("p");
          note.className = "hdw-error"; note.setAttribute("role", "alert"); note.textContent = error.message;
          box.insertBefore(note, attach);
        });
    });
    return box;
  }
  personButton.addEventListener("click", function () { offerHandover(false); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim(); if (!text || busy) return;
    input.value = ""; add(text, "user");
    ask(text);
  });
})();
