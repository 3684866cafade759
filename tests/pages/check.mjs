// Checks pages of a running Kotae with the Nu HTML checker, axe-core (in Debian's chromium)
// and Lighthouse. Input (environment): KOTAE_BASE, KOTAE_SESSION (a session cookie value),
// KOTAE_PAGES ("path|signed-in-or-anonymous,..."), KOTAE_LIGHTHOUSE (paths), KOTAE_OUT (a dir).
// Exits 1 with a report when any check finds a problem.
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const base = process.env.KOTAE_BASE;
const out = process.env.KOTAE_OUT || mkdtempSync(join(tmpdir(), "kotae-pages-"));
const pages = (process.env.KOTAE_PAGES || "/|anonymous").split(",").map((p) => p.split("|"));
const lighthousePaths = (process.env.KOTAE_LIGHTHOUSE || "").split(",").filter(Boolean);
const chromeArgs = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
];
const problems = [];

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: chromeArgs });
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const saved = [];
for (const lang of ["en", "ja"]) {
  for (const [path, who] of pages) {
    // bypassCSP only so axe can be injected; the pages themselves run under the real CSP
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 390, height: 844 } });
    const cookies = [{ name: "kotae_lang", value: lang, url: base }];
    if (who === "signed-in") cookies.push({ name: "kotae_session", value: process.env.KOTAE_SESSION, url: base });
    await context.addCookies(cookies);
    const page = await context.newPage();
    const consoleErrors = [];
    page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
    const response = await page.goto(base + path, { waitUntil: "load" });
    const file = join(out, `${lang}${path.replace(/[^a-z0-9]+/gi, "_")}_${who}.html`);
    writeFileSync(file, await response.text());
    saved.push(file);
    await page.addScriptTag({ content: axeSource });
    const result = await page.evaluate(async () => await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
    }));
    for (const v of result.violations) {
      problems.push(`axe ${lang} ${path} (${who}): ${v.id} — ${v.help} [${v.nodes.map((n) => n.target.join(" ")).join("; ")}]`);
    }
    if (response.status() >= 500) problems.push(`status ${lang} ${path} (${who}): ${response.status()}`);
    // the browser reports a page's own error status; that is the page working as meant
    const expected = `status of ${response.status()}`;
    for (const e of consoleErrors.filter((e) => response.ok() || !e.includes(expected))) {
      problems.push(`console ${lang} ${path}: ${e}`);
    }
    await context.close();
  }
}
await browser.close();

// The Nu checker reads the saved files, so nothing leaves the machine.
const vnu = require.resolve("vnu-jar/build/dist/vnu.jar");
const report = execFileSync("java", ["-jar", vnu, "--format", "json", "--stdout", "--exit-zero-always", ...saved], {
  encoding: "utf8", maxBuffer: 64 * 1024 * 1024,
});
for (const m of JSON.parse(report).messages) {
  if (m.type === "error" || m.subType === "warning") problems.push(`vnu ${m.url.split("/").pop()}:${m.lastLine}: ${m.message}`);
}

if (lighthousePaths.length) {
  const { default: lighthouse } = await import("lighthouse");
  const { launch } = await import("chrome-launcher");
  const chrome = await launch({ chromePath: "/usr/bin/chromium", chromeFlags: chromeArgs, userDataDir: mkdtempSync(join(tmpdir(), "kotae-lh-")) });
  const audit = async (path) => {
    const result = await lighthouse(base + path, {
      port: chrome.port, output: "json", logLevel: "error",
      onlyCategories: ["performance", "accessibility", "best-practices", "seo"],
      formFactor: "mobile", screenEmulation: { mobile: true, width: 390, height: 844, deviceScaleFactor: 2 },
      throttlingMethod: "provided",
    });
    const scores = Object.fromEntries(Object.entries(result.lhr.categories).map(([k, c]) => [k, c.score]));
    return { scores, error: result.lhr.runtimeError };
  };
  for (const path of lighthousePaths) {
    // a loaded machine sometimes loses Lighthouse's trace (null scores, a runtime error);
    // that says nothing about the page, so such a run is repeated, twice at most
    let run = await audit(path);
    for (let retry = 0; retry < 2 && Object.values(run.scores).some((s) => s === null); retry++) {
      console.log(`lighthouse ${path}: incomplete run (${run.error ? run.error.code : "null scores"}), again`);
      run = await audit(path);
    }
    console.log(`lighthouse ${path}: ${JSON.stringify(run.scores)}`);
    for (const [name, score] of Object.entries(run.scores)) {
      if (score === null || score < 0.9) problems.push(`lighthouse ${path}: ${name} ${score}`);
    }
  }
  await chrome.kill();
}

if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`checked ${saved.length} pages: no problems (HTML saved in ${out})`);
