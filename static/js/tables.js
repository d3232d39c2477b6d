// Every table in a page stacks on a phone (see table.stack-sm in app.css), each cell
// labelled by its column header, so a table added by any app never makes the page scroll sideways.
// Tables with their own phone layout opt out with class "tickets" or "no-stack".
(function () {
  function label(table) {
    var head = table.tHead && table.tHead.rows[0];
    if (!head) return;
    var names = [];
    for (var i = 0; i < head.cells.length; i++) {
      var cell = head.cells[i], text = cell.textContent.replace(/\s+/g, " ").trim();
      for (var span = 0; span < (cell.colSpan || 1); span++) names.push(text);
    }
    for (var b = 0; b < table.tBodies.length; b++) {
      var rows = table.tBodies[b].rows;
      for (var r = 0; r < rows.length; r++) {
        var column = 0, cells = rows[r].cells;
        for (var c = 0; c < cells.length; c++) {
          var name = names[column];
          if (name && cells[c].colSpan === 1 && !cells[c].hasAttribute("data-label")) cells[c].setAttribute("data-label", name);
          column += cells[c].colSpan || 1;
        }
      }
    }
    table.classList.add("stack-sm");
  }
  function labelAll(root) {
    var tables = (root || document).querySelectorAll("main table:not(.tickets):not(.no-stack)");
    for (var i = 0; i < tables.length; i++) label(tables[i]);
  }
  document.addEventListener("DOMContentLoaded", function () { labelAll(document); });
  document.addEventListener("htmx:afterSettle", function (event) { labelAll(event.target.closest ? event.target.closest("main") || document : document); });
})();
