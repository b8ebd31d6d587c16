// Live Oswestry score on the intake form: 100 × sum / (5 × answered), valid from 9 answers
// (clinical spec 2.8). The server computes the stored score; this is only a preview.
(function () {
  "use strict";
  var output = document.getElementById("odi-score");
  var selects = document.querySelectorAll("select.odi-answer");
  if (!output || !selects.length) { return; }
  var bands = [[20, "minimal"], [40, "moderate"], [60, "severe"], [80, "crippled"], [100, "bed-bound"]];
  function update() {
    var sum = 0, answered = 0;
    selects.forEach(function (select) {
      if (select.value !== "") { sum += Number(select.value); answered += 1; }
    });
    if (answered < 9) {
      output.textContent = "ODI: answer at least 9 sections (" + answered + " so far)";
      return;
    }
    var percent = 100 * sum / (5 * answered);
    var band = bands.find(function (b) { return percent <= b[0]; })[1];
    output.textContent = "ODI: " + (Math.round(percent * 10) / 10).toFixed(1) + "% (" + band + ")";
  }
  selects.forEach(function (select) { select.addEventListener("change", update); });
  update();
})();
