// Evidence is text: a SYNTHETIC hostile SecurityAlert (fixtures/hostile/) whose name, entities,
// command line, remediation and extended properties carry HTML/JS payloads must render as
// literal text, and nothing may execute (every payload would set window.__pwned).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { cb, clickNode, mapNodes, openNodeMenu, root, shot, startDriver, tmpdir, waitFor } from "../lib/harness.mjs";

const dir = tmpdir("hostile");
const casePath = path.join(dir, "hostile.caseboard");
let driver;
let browser;

before(async () => {
  cb(["import", casePath, path.join(root, "fixtures/hostile/hostile_alerts.jsonl")], false);
  driver = await startDriver({ CASEBOARD_CASE: casePath, CASEBOARD_CONFIG_DIR: path.join(dir, "config"), XDG_DATA_HOME: path.join(dir, "data") });
  browser = await driver.session();
});

after(async () => {
  await browser?.deleteSession().catch(() => {});
  driver?.stop();
});

async function assertInert() {
  const r = await browser.execute(() => ({
    pwned: window.__pwned ?? null,
    csp: window.__cspViolations ?? ["no CSP listener"],
    imgs: document.querySelectorAll("#app img, #app script, #app iframe, #app svg[onload], #app a[href^='javascript']").length,
  }));
  assert.deepEqual(r, { pwned: null, csp: [], imgs: 0 });
}

test("payloads in the queue, details and map are literal text; nothing runs", async () => {
  const alerts = cb(["alerts", casePath, "--json"]);
  const a = (Array.isArray(alerts) ? alerts : alerts.alerts)[0];
  assert.match(a.name, /<img src=x onerror=/);
  const item = await browser.$(`#queue li.item[data-id="${a.id}"]`);
  await item.waitForExist({ timeout: 15000 });
  // the row shows the name as typed, markup and all
  assert.equal(await (await item.$(".name")).getProperty("textContent"), a.name);
  assert.equal(await (await item.$(".attacked")).getProperty("textContent"), a.compromised_entity);
  await item.click();
  const steps = await browser.$("#remediation");
  await steps.waitForExist({ timeout: 10000 });
  assert.match(await steps.getText(), /<img src=x onerror=/);
  assert.match(await (await browser.$("#description")).getText(), /<a href="javascript:/);
  assert.match(await (await browser.$("#extended")).getText(), /<script>k<\/script>/);
  await assertInert();
  await shot(browser, "07-hostile-details");

  await (await browser.$("#investigate")).click();
  await waitFor(browser, async () => (await mapNodes(browser)).length >= 1, "map");
  await openNodeMenu(browser, a.id);
  const q = await browser.execute(() => [...document.querySelectorAll("#explore-menu button[data-query]")].find((b) => !b.disabled)?.dataset.query);
  await (await browser.$(`#explore-menu button[data-query="${q}"]`)).click();
  await waitFor(browser, async () => (await mapNodes(browser)).length > 1, "entities on the map");
  await browser.pause(300);
  // entity pane: names/command lines as text
  for (const n of (await mapNodes(browser)).filter((x) => x.startsWith("entity:"))) {
    await clickNode(browser, n);
    await (await browser.$("#summary")).waitForExist();
    await (await browser.$("#tab-raw")).click();
    await (await browser.$("#raw")).waitForExist();
    await (await browser.$("#tab-info")).click();
    await assertInert();
  }
  const title = await browser.$$("#pane-title");
  assert.ok(title.length === 1);
  const allText = await browser.execute(() => document.body.innerText);
  assert.ok(!allText.includes("undefined"), "no undefined rendered");
  await shot(browser, "08-hostile-map");
  await assertInert();
});
