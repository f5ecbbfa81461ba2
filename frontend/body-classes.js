// Marks the page as having JavaScript, and GOV.UK Frontend as supported where the browser runs modules, before
// anything is drawn (GOV.UK Frontend's own snippet). A file rather than an inline script, so the
// Content-Security-Policy can allow scripts from Lantern's origin alone (decision 0021). base.html loads it
// synchronously as the first thing in <body>.
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
