// The dashboard in a real browser (Debian's Chromium driven by playwright-core), as a user goes
// through it. Run by DashboardBrowserTests with: node dashboard.mjs <config.json>; exits non-zero
// with the failed step's message. Screenshots go to config.screenshots.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const require = createRequire(path.join(config.dashboardDir, "package.json"));
const { chromium } = require("playwright-core");

const browser = await chromium.launch({
  executablePath: config.chromium,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
const consoleErrors = [];
page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
page.on("pageerror", (e) => consoleErrors.push(e.message));
const external = [];
page.on("request", (r) => !r.url().startsWith(config.baseUrl) && !r.url().startsWith("data:") && external.push(r.url()));
const shot = (name) => page.screenshot({ path: path.join(config.screenshots, `${name}.png`), fullPage: true });
const step = (name) => console.log(`step: ${name}`);
const fail = (message) => { throw new Error(message); };
const result = {};

try {
  step("the runs page loads at /");
  await page.goto(config.baseUrl + "/");
  await page.waitForSelector("#runs-table");
  await page.waitForSelector("#live-state[data-state=live]");

  step("a new run: upload the dataset and see its arrays");
  await page.click("a[data-nav=new]");
  await page.waitForSelector("#graph-json");
  await page.setInputFiles("#dataset-file", config.datasetFile);
  await page.waitForFunction(() => document.querySelectorAll("#dataset-arrays li code").length === 4);
  result.arrays = await page.$$eval("#dataset-arrays li", (items) => items.map((li) => li.textContent.trim()));

  step("an invalid graph: the error shows next to the graph field, naming the node's field");
  await page.fill("#graph-json", config.invalidGraph);
  await page.fill("#compile-json", JSON.stringify(config.compile));
  await page.fill("#fit-epochs", String(config.epochs));
  await page.fill("#fit-batch-size", "8");
  await page.click("#submit-run");
  await page.waitForSelector('.field-errors[data-for="graph"] .field-error');
  result.graphErrors = await page.$$eval('.field-errors[data-for="graph"] .field-error', (e) => e.map((x) => ({ pointer: x.dataset.pointer, text: x.textContent })));
  if (!(await page.evaluate(() => location.hash)).startsWith("#/new")) fail("an invalid run request left the form");
  await shot("new-run-invalid-graph");

  step("the seed's multi-output model: submit and land on the live run page");
  await page.fill("#graph-json", config.graph);
  await page.click("#submit-run");
  await page.waitForFunction(() => location.hash.startsWith("#/runs/"));
  result.runId = (await page.evaluate(() => location.hash)).split("/")[2];

  step("three heads' charts grow epoch by epoch");
  const seen = { total: new Set(), age: new Set(), income: new Set(), gender: new Set() };
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const counts = await page.$$eval(".head-chart", (charts) => charts.map((c) => [c.dataset.head, Number(c.dataset.epochs)]));
    for (const [head, count] of counts) seen[head]?.add(count);
    const status = await page.textContent("#run-status");
    if (status === "succeeded" || status === "failed") break;
    await page.waitForTimeout(40);
  }
  result.status = await page.textContent("#run-status");
  for (const [head, counts] of Object.entries(seen)) result[`epochsSeen_${head}`] = [...counts].sort((a, b) => a - b);
  result.charts = await page.$$eval(".head-chart", (charts) => charts.map((c) => ({ head: c.dataset.head, epochs: Number(c.dataset.epochs),
    series: [...c.querySelectorAll(".u-legend .u-series th")].map((s) => s.textContent.trim()).filter((s) => s && s !== "epoch") })));
  await shot("run-live");

  step("the graph drawn on the run page");
  result.diagramNodes = await page.$$eval("#diagram svg g.node", (nodes) => nodes.map((n) => n.dataset.node));
  result.diagramEdges = await page.$$eval("#diagram svg polyline.edge", (edges) => edges.length);
  result.summaryHasTotal = (await page.textContent("#summary")).includes("Total params");

  step("the Inception example drawn as a diagram");
  await page.goto(config.baseUrl + "/#/new");
  await page.waitForSelector("#graph-example");
  await page.selectOption("#graph-example", { label: "inception.json" });
  await page.click("#check-graph");
  await page.waitForSelector("#new-diagram svg g.node");
  result.inceptionNodes = await page.$$eval("#new-diagram svg g.node", (nodes) => nodes.length);
  result.inceptionCheck = await page.textContent("#graph-check");
  await page.locator("#new-diagram").screenshot({ path: path.join(config.screenshots, "inception-diagram.png") });

  step("the runs table, live, and the comparison of two runs");
  await page.goto(config.baseUrl + "/#/");
  await page.waitForSelector(`#runs-table tr[data-run-id="${result.runId}"]`);
  result.runRow = await page.textContent(`#runs-table tr[data-run-id="${result.runId}"]`);
  await shot("runs");
  await page.goto(`${config.baseUrl}/#/compare?runs=${result.runId},${config.otherRunId}&metric=loss`);
  await page.waitForSelector(".compare-chart");
  result.compareSeries = Number(await page.getAttribute(".compare-chart", "data-series"));
  await shot("compare");

  step("as a new user: the seed's QA model from the examples, with examples/data/qa.npz, watched live");
  await page.goto(config.baseUrl + "/#/new");
  await page.waitForSelector("#graph-example");
  await page.selectOption("#graph-example", { label: "qa-two-input.json" });
  await page.setInputFiles("#dataset-file", config.qaDataset);
  await page.waitForFunction(() => document.querySelectorAll("#dataset-arrays li code").length === 3);
  await page.fill("#fit-epochs", "2");
  await page.click("#submit-run");
  await page.waitForFunction(() => location.hash.startsWith("#/runs/"));
  await page.waitForFunction(() => document.querySelector("#run-status")?.textContent === "succeeded", null, { timeout: 120_000 });
  await page.waitForFunction(() => document.querySelector('.head-chart[data-head="total"]')?.dataset.epochs === "2");
  result.qaCharts = await page.$$eval(".head-chart", (charts) => charts.map((c) => ({ head: c.dataset.head, epochs: Number(c.dataset.epochs),
    series: [...c.querySelectorAll(".u-legend .u-series th")].map((s) => s.textContent.trim()).filter((s) => s && s !== "epoch") })));
  await shot("qa-run");

  result.consoleErrors = consoleErrors;
  result.externalRequests = external;
  console.log("RESULT " + JSON.stringify(result));
} catch (error) {
  await shot("failure").catch(() => {});
  console.log("RESULT " + JSON.stringify(result));
  console.error(`FAILED: ${error.message}\nconsole errors: ${consoleErrors.join("\n")}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
