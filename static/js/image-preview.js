// Preview of a newly chosen illustration on the exercise form (SVG is refused by the server).
(function () {
  "use strict";
  var input = document.getElementById("id_illustration");
  var preview = document.getElementById("illustration-preview");
  if (!input || !preview) { return; }
  input.addEventListener("change", function (event) {
    var file = event.target.files[0];
    if (file && file.type.indexOf("image/") === 0 && file.type !== "image/svg+xml") {
      preview.src = URL.createObjectURL(file);
      preview.classList.remove("d-none");
    }
  });
})();
