// /docs: start Swagger UI from our own files (no inline script: the page's CSP forbids it).
// No validator badge: its default sends the API description to validator.swagger.io.
// "Try it out" sends the session's CSRF token, as every state-changing request must.
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  var token = document.querySelector('meta[name="csrf-token"]').content;
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    requestInterceptor: function (request) {
      request.headers["X-CSRF-Token"] = token;
      return request;
    },
  });
});
