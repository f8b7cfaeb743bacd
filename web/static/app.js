// Staffroom's one script: small comforts only; every page works without it.
// Served from /static under a strict CSP (no inline script anywhere).
(function () {
  "use strict";
  // Upload progress for forms marked data-progress (the material form).
  document.querySelectorAll("form[data-progress]").forEach(function (form) {
    var bar = form.querySelector("progress");
    if (!bar || !window.XMLHttpRequest || !window.FormData) { return; }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      bar.hidden = false;
      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { bar.value = Math.round((e.loaded / e.total) * 100); }
      });
      request.addEventListener("load", function () {
        // Redirected to the new page: go there. A refusal: send the form the plain
        // way, so the server's own error page shows.
        if (request.status < 400 && request.responseURL) { window.location.assign(request.responseURL); }
        else { form.submit(); }
      });
      request.send(new FormData(form));
    });
  });
  // Ask before destructive actions (forms marked data-confirm).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
