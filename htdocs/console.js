/* mod_oauth_jwt_grant console: optional comforts. Everything works without
 * this file; it only adds copy buttons and shows the certificate field that
 * the chosen certificate type uses. No inline script anywhere (the console's
 * Content-Security-Policy forbids it). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function copyButtons() {
    document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
      var input = document.getElementById(button.getAttribute("data-copy"));
      if (!input) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        function done() {
          button.textContent = "Copied";
          setTimeout(function () { button.textContent = "Copy"; }, 1500);
        }
        input.select();
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(input.value).then(done, function () {
            if (document.execCommand("copy")) done();
          });
        } else if (document.execCommand("copy")) {
          done();
        }
      });
    });
  }

  function certificateType() {
    var radios = document.querySelectorAll("input[name=cert_type]");
    var jwks = document.querySelector(".cert-jwks"), pem = document.querySelector(".cert-pem");
    var discovery = document.querySelector(".cert-discovery");
    if (!radios.length || !jwks || !pem) return;
    function show() {
      var chosen = document.querySelector("input[name=cert_type]:checked");
      var value = chosen ? chosen.value : "pem";
      jwks.classList.toggle("cert-hidden", value !== "jwks");
      pem.classList.toggle("cert-hidden", value !== "pem");
      if (discovery) discovery.classList.toggle("cert-hidden", value !== "discovery");
    }
    radios.forEach(function (r) { r.addEventListener("change", show); });
    show();
  }

  function start() { copyButtons(); certificateType(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
