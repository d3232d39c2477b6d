// Streams an answer into the page: an element with data-stream="<url>" opens a server-sent event
// stream; `token` events append text as it is generated, `done` replaces the element with the
// rendered answer (fills `targets` by id, appends `append` html to elements by id, removes the
// `remove` ids), `failure` shows the reason.
(function () {
  if (window.helpdeskStream) return;  // the script may arrive again with swapped-in content
  window.helpdeskStream = true;
  function start(el) {
    if (el.dataset.streaming) return;
    el.dataset.streaming = "1";
    var out = el.querySelector("[data-stream-text]") || el;
    var source = new EventSource(el.dataset.stream);
    source.addEventListener("token", function (event) {
      out.textContent += JSON.parse(event.data).text;
    });
    source.addEventListener("done", function (event) {
      source.close();
      var data = JSON.parse(event.data);
      Object.keys(data.targets || {}).forEach(function (id) {
        var target = document.getElementById(id);
        if (target) { target.innerHTML = data.targets[id]; window.htmx && htmx.process(target); }
      });
      (data.remove || []).forEach(function (id) {
        var gone = document.getElementById(id);
        if (gone) gone.remove();
      });
      Object.keys(data.append || {}).forEach(function (id) {
        var target = document.getElementById(id);
        if (!target) return;
        var template = document.createElement("template");
        template.innerHTML = data.append[id].trim();
        Array.from(template.content.children).forEach(function (child) {
          var before = target.querySelector(".thread-empty");
          target.insertBefore(child, before);
          if (window.htmx) htmx.process(child);
        });
      });
      var holder = document.createElement("div");
      holder.innerHTML = data.html;
      var replacement = holder.firstElementChild;
      el.replaceWith(replacement);
      if (window.htmx) htmx.process(replacement);
    });
    source.addEventListener("failure", function (event) {
      source.close();
      out.textContent = JSON.parse(event.data).detail;
      el.classList.add("error");
    });
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) return;
      source.close();
      out.textContent += " (the connection was lost; try again)";
      el.classList.add("error");
    };
  }
  function scan(root) { (root.querySelectorAll ? root : document).querySelectorAll("[data-stream]").forEach(start); }
  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  document.addEventListener("htmx:load", function (event) { scan(event.detail.elt.parentNode || document); });
})();
