/* The week grid of the hours page: paint by tap or drag, or with the keyboard.
 *
 * Without this script the grid is a table of checkboxes that works as it is. With it:
 *  - pointer: press on a cell and drag; every cell passed takes the state the first one got;
 *  - keyboard: the grid is one tab stop; arrow keys move, Home/End go to the day's first/last
 *    column, Page Up/Down move four hours; Space toggles; Shift + arrow marks as it moves.
 */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var grid = document.getElementById("week-grid");
    if (!grid) return;
    var rows = Array.prototype.map.call(grid.tBodies[0].rows, function (row) {
      return Array.prototype.slice.call(row.querySelectorAll("input[type=checkbox]"));
    });
    var cols = rows.length ? rows[0].length : 0;
    var active = null;

    function focusCell(r, c) {
      r = Math.max(0, Math.min(rows.length - 1, r));
      c = Math.max(0, Math.min(cols - 1, c));
      var input = rows[r][c];
      if (active) active.tabIndex = -1;
      input.tabIndex = 0;
      input.focus();
      active = input;
      return input;
    }
    function position(input) {
      for (var r = 0; r < rows.length; r++) {
        var c = rows[r].indexOf(input);
        if (c >= 0) return [r, c];
      }
      return null;
    }
    rows.forEach(function (row) { row.forEach(function (input) { input.tabIndex = -1; }); });
    var first = grid.querySelector("input:checked") || (rows[16] || rows[0])[0];
    first.tabIndex = 0;
    active = first;
    // Open the grid at the city's hours (or 08:00), an hour above them, not at midnight.
    var scroller = document.getElementById("grid-scroll");
    var firstRow = first.closest("tr");
    if (scroller && firstRow) scroller.scrollTop = Math.max(0, firstRow.offsetTop - 2 * firstRow.offsetHeight - grid.tHead.offsetHeight);

    grid.addEventListener("keydown", function (event) {
      var at = position(event.target);
      if (!at) return;
      var r = at[0], c = at[1], moves = {
        ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1],
        PageUp: [-8, 0], PageDown: [8, 0], Home: [0, -cols], End: [0, cols]
      };
      var move = moves[event.key];
      if (!move) return;
      event.preventDefault();
      var paint = event.shiftKey ? event.target.checked : null;
      var next = focusCell(r + move[0], c + move[1]);
      if (paint !== null) next.checked = paint;
    });
    grid.addEventListener("focusin", function (event) {
      if (position(event.target)) { if (active && active !== event.target) active.tabIndex = -1; event.target.tabIndex = 0; active = event.target; }
    });

    // Pointer painting. The click that follows a press is cancelled: the press already toggled.
    var painting = null;
    function cellAt(x, y) {
      var element = document.elementFromPoint(x, y);
      if (element && element.tagName === "TD") element = element.querySelector("input");
      return element && element.type === "checkbox" && grid.contains(element) ? element : null;
    }
    grid.addEventListener("pointerdown", function (event) {
      var input = cellAt(event.clientX, event.clientY);
      if (!input || event.button !== 0) return;
      event.preventDefault();
      painting = !input.checked;
      input.checked = painting;
      focusCell.apply(null, position(input));
      if (grid.setPointerCapture) { try { grid.setPointerCapture(event.pointerId); } catch (e) { /* ignore */ } }
    });
    grid.addEventListener("pointermove", function (event) {
      if (painting === null) return;
      var input = cellAt(event.clientX, event.clientY);
      if (input) input.checked = painting;
    });
    function stop() { painting = null; }
    grid.addEventListener("pointerup", stop);
    grid.addEventListener("pointercancel", stop);
    grid.addEventListener("click", function (event) {
      if (event.target.type === "checkbox" && event.detail !== 0) event.preventDefault();
    });
  });
})();
