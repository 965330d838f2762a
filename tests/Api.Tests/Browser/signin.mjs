// Signing in to the dashboard with an API key (Debian's Chromium, playwright-core). Run by
// DashboardBrowserTests: node signin.mjs <config.json>. The key must reach every call but never a
// page URL, and requests may carry it in the URL only on the hub's path (browsers' WebSockets).
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const { chromium } = createRequire(path.join(config.dashboardDir, "package.json"))("playwright-core");
const browser = await chromium.launch({
  executablePath: config.chromium,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
const urls = [];
page.on("request", (r) => urls.push(r.url()));
const result = {};
try {
  await page.goto(config.baseUrl + "/");
  await page.waitForSelector("#sign-in");
  result.signInShown = true;
  await page.fill("#api-key", config.key);
  await page.click("#sign-in button[type=submit]");
  await page.waitForSelector(`#runs-table tr[data-run-id="${config.runId}"]`);
  await page.waitForSelector("#live-state[data-state=live]");
  result.rows = await page.$$eval("#runs-table tbody tr", (rows) => rows.length);
  await page.click(`#runs-table tr[data-run-id="${config.runId}"] a`);
  await page.waitForSelector(".head-chart");
  result.location = await page.evaluate(() => location.href);
  result.stored = await page.evaluate(() => sessionStorage.getItem("trainservice.apiKey") !== null);
  await page.screenshot({ path: path.join(config.screenshots, "signed-in-run.png"), fullPage: true });
  result.urlsWithKey = urls.filter((u) => u.includes(config.key)).map((u) => new URL(u).pathname);
  console.log("RESULT " + JSON.stringify(result));
} catch (error) {
  console.log("RESULT " + JSON.stringify(result));
  console.error("FAILED: " + error.message);
  process.exitCode = 1;
} finally {
  await browser.close();
}
