// Lantern's script entry (copied beside the bundles by frontend/build.mjs): starts GOV.UK and MOJ components.
import { initAll as initGovukFrontend } from "./govuk-frontend.min.js";
import { initAll as initMojFrontend } from "./moj-frontend.min.js";

initGovukFrontend();
initMojFrontend();

// Components inside content that htmx swaps in need starting too; the page itself was started above.
document.addEventListener("htmx:load", (event) => {
  const scope = event.detail.elt;
  if (scope instanceof Element && scope !== document.body) {
    initGovukFrontend({ scope });
    initMojFrontend({ scope });
  }
});
