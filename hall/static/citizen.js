// What the citizen's pages (on the phone: the ticket page, phone.js, and the case page,
// case.js; at the counter: the window evaluator, rate.js) share: small DOM helpers, the
// rating's level and reason buttons (the levels' English names are here) and the 中文/English switch of the page's
// fixed texts (data-zh / data-en). Loaded before the page's own script; textContent only.
"use strict";

window.citizen = (function () {
  const $ = (id) => document.getElementById(id);

  const LEVEL_EN = {
    very_satisfied: "Very satisfied", satisfied: "Satisfied", basic: "Fair",
    dissatisfied: "Dissatisfied", very_dissatisfied: "Very dissatisfied",
  };

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // One button per rating level (`levels`: [{level, name}] of the page state), in `lang`;
  // `chosen` is marked, a tap calls `onChoose(level)`.
  function levelButtons(levels, lang, chosen, onChoose) {
    return levels.map((lv) => {
      const b = el("button", "level", lang === "zh" ? lv.name : LEVEL_EN[lv.level]);
      b.type = "button";
      b.dataset.level = lv.level;
      if (lv.level === chosen) b.classList.add("chosen");
      b.addEventListener("click", () => onChoose(lv.level));
      return b;
    });
  }

  // One toggle button per reason (`chosen`: the Set of those picked); `onChange()` after a tap.
  function reasonButtons(reasons, chosen, onChange) {
    return reasons.map((reason) => {
      const b = el("button", chosen.has(reason) ? "reason chosen" : "reason", reason);
      b.type = "button";
      b.dataset.reason = reason;
      b.addEventListener("click", () => {
        if (chosen.has(reason)) chosen.delete(reason);
        else chosen.add(reason);
        onChange();
      });
      return b;
    });
  }

  function showResult(text) {
    const box = $("rate-result");
    box.textContent = text;
    box.hidden = false;
  }

  // Show the page's fixed texts in `lang` ("zh" or "en"); the button offers the other one.
  function setLang(lang) {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-zh]").forEach((node) => {
      node.textContent = node.dataset[lang];
    });
    $("lang").textContent = lang === "zh" ? "English" : "中文";
  }

  return { $, LEVEL_EN, el, levelButtons, reasonButtons, showResult, setLang };
})();
