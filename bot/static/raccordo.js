// Raccordo: small enhancements only; every page works without JavaScript.
"use strict";

// 👍/👎: send the vote with fetch instead of leaving the page.
function enhanceVotes() {
  document.querySelectorAll("form.voto").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || !window.fetch) { return; }
      event.preventDefault();
      var status = form.querySelector(".esito-voto");
      var qid = parseInt(form.dataset.questionId || "", 10);
      var body = { vote: parseInt(button.value, 10) };
      if (!isNaN(qid)) { body.question_id = qid; }
      fetch("/api/feedback", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body)
      }).then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
        status.textContent = "Grazie: voto registrato.";
      }).catch(function () {
        status.textContent = "Voto non registrato: riprova più tardi.";
      });
    });
  });
}

// A citation mark [n] opens its source's <details>.
function openTargetedSource() {
  var id = decodeURIComponent(window.location.hash.slice(1));
  if (!id) { return; }
  var target = document.getElementById(id);
  if (target && target.tagName === "DETAILS") {
    target.open = true;
    var summary = target.querySelector("summary");
    if (summary) { summary.focus(); }
  } else if (target && target.classList.contains("passaggio-doc")) {
    target.focus({ preventScroll: false });
  }
}

document.addEventListener("DOMContentLoaded", function () {
  enhanceVotes();
  openTargetedSource();
  window.addEventListener("hashchange", openTargetedSource);
});

// "Copia" beside a formal citation: copies the citation text to the clipboard.
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("button.copia") : null;
  if (!button) { return; }
  var source = document.getElementById(button.getAttribute("data-copia"));
  if (!source || !navigator.clipboard) { return; }
  navigator.clipboard.writeText(source.textContent).then(function () {
    button.textContent = "Copiata";
  });
});
