// The /docs page: lists the API from /openapi.json, served by this server (no CDN).
// Built with textContent only. 中文 first; the button switches every label to English.
"use strict";
(function () {
  var lang = "zh";
  var words = {
    zh: { auth: "认证", params: "参数", body: "请求体", responses: "响应", none: "无" },
    en: { auth: "Auth", params: "Parameters", body: "Body", responses: "Responses", none: "none" },
  };

  function el(tag, text) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function refName(schema) {
    if (!schema) return "";
    if (schema.$ref) return schema.$ref.split("/").pop();
    if (schema.type === "array") return refName(schema.items) + "[]";
    return schema.type || "";
  }

  function render(spec) {
    var main = document.getElementById("routes");
    main.textContent = "";
    var w = words[lang];
    Object.keys(spec.paths || {}).sort().forEach(function (path) {
      var ops = spec.paths[path];
      Object.keys(ops).forEach(function (method) {
        var op = ops[method];
        var section = el("section");
        var title = el("h2");
        title.appendChild(el("span", method.toUpperCase())).className = "method";
        title.appendChild(el("code", path));
        section.appendChild(title);
        if (op.summary) section.appendChild(el("p", op.summary));
        if (op.description) section.appendChild(el("pre", op.description));
        var params = (op.parameters || []).map(function (p) {
          return p.name + " (" + p["in"] + (p.required ? ", required" : "") + ")";
        });
        section.appendChild(el("p", w.params + ": " + (params.join(", ") || w.none)));
        var body = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
        if (body) section.appendChild(el("p", w.body + ": " + refName(body.schema)));
        var codes = Object.keys(op.responses || {}).map(function (code) {
          return code + " " + (op.responses[code].description || "");
        });
        section.appendChild(el("p", w.responses + ": " + codes.join("; ")));
        main.appendChild(section);
      });
    });
  }

  var spec = null;
  function applyLang() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-zh]").forEach(function (node) {
      node.textContent = node.getAttribute("data-" + lang);
    });
    if (spec) render(spec);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.getElementById("lang").addEventListener("click", function () {
      lang = lang === "zh" ? "en" : "zh";
      applyLang();
    });
    fetch("/openapi.json")
      .then(function (r) { return r.json(); })
      .then(function (s) { spec = s; render(s); });
  });
})();
