// Liandong: small helpers for the check screens. No framework, no build step; the pages work
// without script, the script only adds running clocks and one-tap timestamps.
(function () {
  "use strict";
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function clock(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    return pad(Math.floor(s / 60)) + ":" + pad(s % 60);
  }
  // Elapsed clocks: <span data-since="ms" data-limit="s">, turned "late" past the limit.
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var elapsed = (now - Number(el.getAttribute("data-since"))) / 1000;
      el.textContent = clock(elapsed);
      var limit = Number(el.getAttribute("data-limit") || "0");
      if (limit > 0) { el.classList.toggle("late", elapsed > limit); }
    });
  }
  setInterval(tick, 1000);
  tick();

  // The phone-check form: each attempt button stamps the time of the call.
  var form = document.getElementById("call-form");
  if (!form) { return; }
  var times = form.querySelector("input[name=attempt_times]");
  var answers = form.querySelector("input[name=attempt_answers]");
  var list = document.getElementById("attempts");
  function iso(d) {
    var t = new Date(d.getTime() + 8 * 3600 * 1000);
    return t.toISOString().slice(0, 23) + "+08:00"; // milliseconds: quick successive taps stay in order
  }
  form.querySelectorAll("button[data-answered]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var count = times.value ? times.value.split(",").length : 0;
      var max = Number(form.getAttribute("data-max-attempts"));
      if (count >= max || answers.value.split(",").indexOf("1") >= 0) { return; }
      var now = new Date();
      times.value = (times.value ? times.value + "," : "") + iso(now);
      var answered = button.getAttribute("data-answered");
      answers.value = (answers.value ? answers.value + "," : "") + answered;
      var item = document.createElement("li");
      item.textContent = "第" + (count + 1) + "次 " + iso(now).slice(11, 19) + " " + (answered === "1" ? "接通" : "未接通");
      list.appendChild(item);
    });
  });
})();

// The drill form's unit picker: the checkboxes work without script; the script shows a search
// box that hides the units not matching (by name or pinyin initials) and counts the ticked ones.
(function () {
  "use strict";
  var picker = document.querySelector("fieldset.picker");
  if (!picker) { return; }
  var bar = picker.querySelector(".picker-search");
  var search = document.getElementById("unit-search");
  var count = document.getElementById("unit-count");
  var items = Array.prototype.slice.call(picker.querySelectorAll("label.pick"));
  function counted() {
    count.textContent = "已选 " + picker.querySelectorAll("input[type=checkbox]:checked").length + " 个";
  }
  function filter() {
    var q = search.value.trim().toLowerCase();
    items.forEach(function (item) {
      var box = item.querySelector("input");
      var match = q === "" || item.getAttribute("data-search").toLowerCase().indexOf(q) >= 0;
      // A ticked unit stays in sight, so what will be summoned is never hidden.
      item.hidden = !(match || box.checked);
    });
  }
  bar.hidden = false;
  search.addEventListener("input", filter);
  // Enter in the search box filters; it does not send the form.
  search.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); } });
  picker.addEventListener("change", counted);
  counted();
})();

// A phone's menu is one row that scrolls sideways: the current entry is brought into view.
(function () {
  "use strict";
  var nav = document.querySelector("header.site nav");
  var active = nav && nav.querySelector("a.active");
  if (active && nav.scrollWidth > nav.clientWidth) {
    nav.scrollLeft = active.offsetLeft - (nav.clientWidth - active.offsetWidth) / 2;
  }
})();
