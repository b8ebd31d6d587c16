// Hold timer and rep counter on the patient's Today page. Tap "Start a rep", hold while the
// countdown runs, relax; the counter goes up. When the target is reached, the page offers the log.
(function () {
  "use strict";
  var box = document.getElementById("hold-timer");
  if (!box) { return; }
  var target = Number(box.dataset.reps), hold = Number(box.dataset.hold);
  var button = box.querySelector("[data-role=start]");
  var count = box.querySelector("[data-role=count]");
  var clock = box.querySelector("[data-role=clock]");
  var done = box.querySelector("[data-role=done]");
  var reps = 0, timer = null;

  function finishRep() {
    reps += 1;
    count.textContent = reps + " / " + target;
    clock.textContent = "Relax";
    button.disabled = false;
    if (reps >= target) {
      button.hidden = true;
      done.hidden = false;
    }
  }

  button.addEventListener("click", function () {
    if (timer) { return; }
    button.disabled = true;
    var left = hold;
    if (left <= 0) { finishRep(); return; }
    clock.textContent = "Hold " + left;
    timer = window.setInterval(function () {
      left -= 1;
      if (left > 0) {
        clock.textContent = "Hold " + left;
      } else {
        window.clearInterval(timer);
        timer = null;
        finishRep();
      }
    }, 1000);
  });
})();
