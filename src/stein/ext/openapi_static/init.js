// Starts Swagger UI on the spec URL given by the page (kept out of the HTML so a strict
// Content-Security-Policy without 'unsafe-inline' still works).
(function () {
  var el = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: el.getAttribute("data-spec-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
  });
})();
