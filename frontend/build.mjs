// Builds Lantern's static assets into lantern/static/lantern/: `node frontend/build.mjs`.
//
// Compiles frontend/lantern.scss (GOV.UK Frontend and MOJ Frontend set in Arial) to lantern.css, copies the
// GOV.UK, MOJ, htmx and axe-core scripts, the images the stylesheet refers to, the script entry and the icon.
// Files are replaced only when their content changes, and files this build no longer produces are removed,
// so running it twice gives the same directory. Prints one line; exits non-zero on any error.
import { createHash } from "node:crypto";
import {
  existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const started = performance.now();
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "node_modules");
const out = join(root, "lantern", "static", "lantern");

// Scripts served beside lantern.css, by the name the templates and lantern.js use.
const SCRIPTS = {
  "govuk-frontend.min.js": "govuk-frontend/dist/govuk/govuk-frontend.min.js",
  "govuk-frontend.min.js.map": "govuk-frontend/dist/govuk/govuk-frontend.min.js.map",
  "moj-frontend.min.js": "@ministryofjustice/frontend/moj/moj-frontend.min.js",
  "moj-frontend.min.js.map": "@ministryofjustice/frontend/moj/moj-frontend.min.js.map",
  "htmx.min.js": "htmx.org/dist/htmx.min.js",
  // Only the browser tests use axe-core; shipping it costs nothing and lets a tester run it by hand.
  "axe.min.js": "axe-core/axe.min.js",
  // Cytoscape.js for the network view on entity pages (frontend/network.js starts it).
  "cytoscape.min.js": "cytoscape/dist/cytoscape.min.js",
  // Leaflet for the hotspot map, with its stylesheet and the images that stylesheet names (served locally).
  "leaflet/leaflet.js": "leaflet/dist/leaflet.js",
  "leaflet/leaflet.css": "leaflet/dist/leaflet.css",
  "leaflet/images/layers.png": "leaflet/dist/images/layers.png",
  "leaflet/images/layers-2x.png": "leaflet/dist/images/layers-2x.png",
  "leaflet/images/marker-icon.png": "leaflet/dist/images/marker-icon.png",
  "leaflet/images/marker-icon-2x.png": "leaflet/dist/images/marker-icon-2x.png",
  "leaflet/images/marker-shadow.png": "leaflet/dist/images/marker-shadow.png",
};

// Where images named in the stylesheet are looked for, in order. GOV.UK's own images are all crown or crest
// artwork, so in practice every image comes from MOJ Frontend's icons.
const IMAGE_DIRS = [
  "@ministryofjustice/frontend/moj/assets/images",
  "govuk-frontend/dist/govuk/assets/images",
];

const written = new Set();
let changed = 0;

/** Write `content` to `name` under the output directory, atomically, and only if it differs. */
function emit(name, content) {
  const target = join(out, name);
  written.add(target);
  if (existsSync(target) && sha256(readFileSync(target)) === sha256(content)) return;
  mkdirSync(dirname(target), { recursive: true });
  const temporary = `${target}.tmp-${process.pid}`;
  writeFileSync(temporary, content);
  renameSync(temporary, target);
  changed += 1;
}

function sha256(data) {
  return createHash("sha256").update(data).digest("hex");
}

function fromModules(path) {
  const source = join(modules, path);
  if (!existsSync(source)) throw new Error(`${relative(root, source)} is missing; run \`npm ci\` first.`);
  return readFileSync(source);
}

/** Compile the stylesheet; dependencies' deprecation warnings are counted, Lantern's own are printed. */
function compileStylesheet() {
  let silenced = 0;
  const logger = {
    warn(message, { span, stack = "" }) {
      const frames = stack.split("\n").filter((line) => line && !line.includes("root stylesheet"));
      const inFrontend = (text) => text.includes("frontend/") && !text.includes("node_modules");
      const ours = (span?.url && inFrontend(span.url.toString())) || frames.some(inFrontend);
      if (ours) console.warn(`warning: ${message}\n${stack}`);
      else silenced += 1;
    },
    debug(message, { span }) {
      console.warn(`${relative(root, fileURLToPath(span.url))}:${span.start.line + 1} debug: ${message}`);
    },
  };
  const result = sass.compile(join(root, "frontend", "lantern.scss"), {
    loadPaths: [root, modules], // MOJ Frontend forwards "node_modules/govuk-frontend/…" from the project root
    style: "compressed",
    logger,
  });
  return { css: result.css, silenced };
}

/** Fail the build if the stylesheet would load GDS Transport or show the crown or crest. */
function checkStylesheet(css) {
  if (/@font-face/i.test(css)) throw new Error("lantern.css declares an @font-face; use Arial only.");
  if (/gds[ -]?transport/i.test(css)) throw new Error("lantern.css mentions GDS Transport; use Arial only.");
  if (/data:image\/svg/i.test(css)) throw new Error("lantern.css inlines an SVG image; is it the crown?");
  const urls = [...css.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/g)].map((match) => match[1]);
  const crown = urls.filter((url) => /crown|crest|logotype/i.test(url));
  if (crown.length) throw new Error(`lantern.css refers to crown or crest artwork: ${crown.join(", ")}`);
  const strays = urls.filter((url) => !url.startsWith("images/"));
  if (strays.length) throw new Error(`lantern.css refers to files outside images/: ${strays.join(", ")}`);
  return urls.map((url) => url.slice("images/".length));
}

function copyImage(name) {
  for (const dir of IMAGE_DIRS) {
    const source = join(modules, dir, name);
    if (existsSync(source)) return emit(join("images", name), readFileSync(source));
  }
  throw new Error(`lantern.css refers to images/${name}, which no front-end package provides.`);
}

/** Remove files a previous build wrote that this one no longer produces (the directory is build output). */
function prune(dir) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      prune(path);
      if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
    } else if (!written.has(path)) {
      rmSync(path);
      changed += 1;
    }
  }
}

try {
  mkdirSync(out, { recursive: true });
  const { css, silenced } = compileStylesheet();
  const images = checkStylesheet(css);
  for (const [name, path] of Object.entries(SCRIPTS)) emit(name, fromModules(path));
  for (const name of new Set(images)) copyImage(name);
  for (const name of ["lantern.js", "body-classes.js", "favicon.svg", "hotspot-map.js", "network.js"]) {
    emit(name, readFileSync(join(root, "frontend", name)));
  }
  emit("lantern.css", css);
  // Make compares modification times, so the target it names is touched even when its content is unchanged.
  const now = new Date();
  utimesSync(join(out, "lantern.css"), now, now);
  prune(out);
  const kilobytes = Math.round(Buffer.byteLength(css) / 1024);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const notes = silenced ? `; ${silenced} deprecation warning(s) from dependencies silenced` : "";
  console.log(
    `frontend: ${relative(root, out)}/ up to date (lantern.css ${kilobytes} kB, ` +
      `${new Set(images).size} images, ${changed} file(s) changed) in ${seconds} s${notes}`,
  );
} catch (error) {
  console.error(`frontend: build failed: ${error.message ?? error}`);
  process.exit(1);
}
