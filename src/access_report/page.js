(function () {
  "use strict";
  var input = document.getElementById("filter");
  var count = document.getElementById("shown");
  var rows = document.querySelectorAll("tr[data-team]");
  function parse(text) {
    var query = text.trim().toLowerCase();
    var m = /^(team|subject|namespace):(.*)$/.exec(query);
    return m ? { field: m[1], text: m[2].trim() } : { field: null, text: query };
  }
  function fields(row, field) {
    var all = { team: row.dataset.team, namespace: row.dataset.namespace, subject: row.dataset.subjects };
    return field ? [all[field]] : [all.team, all.namespace, all.subject];
  }
  function apply(text) {
    var q = parse(text);
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      var hit = q.text === "" || fields(row, q.field).some(function (f) {
        return f.toLowerCase().split("\n").some(function (v) { return v.indexOf(q.text) >= 0; });
      });
      row.hidden = !hit;
      if (hit) { shown++; }
    }
    count.textContent = q.text === "" ? "" : shown + " of " + rows.length + " rows match";
    document.body.setAttribute("data-filter", q.text);
  }
  function fromLocation() {
    var m = /(?:^#|[?&#])filter=([^&#]*)/.exec(location.hash) || /(?:^\?|&)filter=([^&#]*)/.exec(location.search);
    if (!m) { return ""; }
    try { return decodeURIComponent(m[1].replace(/\+/g, " ")); } catch (e) { return ""; }
  }
  input.value = fromLocation();
  apply(input.value);
  input.addEventListener("input", function () {
    apply(input.value);
    try { history.replaceState(null, "", input.value ? "#filter=" + encodeURIComponent(input.value) : location.pathname + location.search); } catch (e) { }
  });
  window.addEventListener("hashchange", function () { input.value = fromLocation(); apply(input.value); });
})();
