// The README "Walkthrough", replayed click by click on the bundled demo case (seed 000:
// Contoso's "Malicious SQL activity"). Detect → Assess (Judy) → Diagnose (Sam). Its
// screenshots are the ones copied to docs/screenshots/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { cb, clickNode, mapNodes, root, shot, startDriver, tmpdir, tool, waitFor } from "../lib/harness.mjs";

const dir = tmpdir("walk");
const casePath = path.join(dir, "demo.caseboard");
let driver;
let browser;
let sql;
const $ = (s) => browser.$(s);

before(async () => {
  cb(["demo", casePath, "--fixtures", path.join(root, "fixtures")], false);
  sql = cb(["alerts", casePath, "--json"]).alerts.find((a) => a.name === "Malicious SQL activity");
  driver = await startDriver({ CASEBOARD_CASE: casePath, CASEBOARD_CONFIG_DIR: path.join(dir, "config"), XDG_DATA_HOME: path.join(dir, "data"), CASEBOARD_ANALYST: "judy" });
  browser = await driver.session();
  await waitFor(browser, async () => (await browser.$$("#queue li.item")).length > 0, "queue");
});

after(async () => {
  await browser?.deleteSession().catch(() => {});
  driver?.stop();
});

test("Detect: Judy filters the queue to High and sees Malicious SQL activity and its kill-chain incident", async () => {
  assert.ok(sql, "the demo scenario's alert is in the case");
  await (await $("#sev-High")).click();
  await waitFor(browser, async () => (await $(`#queue li.item[data-id="${sql.id}"]`)).isExisting(), "alert listed");
  const names = await browser.execute(() => [...document.querySelectorAll("#queue li.item .name")].map((e) => e.textContent));
  assert.ok(names.includes("Malicious SQL activity"));
  assert.ok(names.some((n) => /Kill chain on host msticalertswin1/.test(n)), names.join(" | "));
  await shot(browser, "w1-detect");
});

test("Assess: the alert's attacked resource, description, and escalation to Sam (audited)", async () => {
  await (await $(`#queue li.item[data-id="${sql.id}"]`)).click();
  await waitFor(browser, async () => (await (await $("#pane-title")).getText()) === "Malicious SQL activity", "pane");
  assert.ok((await (await $("#description")).getText()).length > 20);
  await (await $("#investigate")).click();
  await waitFor(browser, async () => (await mapNodes(browser)).length > 1, "map");
  // the attacked resource: the host named in the alert
  const host = (await mapNodes(browser)).find((n) => n.startsWith("entity:") && cb(["show", casePath, n, "--json"]).fields.kind === "host");
  assert.ok(host, "the attacked host is on the map");
  await clickNode(browser, host);
  await waitFor(browser, async () => /msticalertswin1/i.test(await (await $("#pane-title")).getText()), "host in the pane");
  await shot(browser, "w2-attacked-resource");
  // not a false positive: escalate
  await (await $(`#queue li.item[data-id="${sql.id}"]`)).click();
  await (await $("#tab-triage")).click();
  await (await $("#triage-status")).selectByAttribute("value", "InProgress");
  await (await $("#triage-owner")).setValue("sam");
  await (await $("#triage-note")).setValue("Not a false positive: SQL injection from 131.107.147.209 on MSTICAlertsWin1. Escalating to Sam.");
  await (await $("#triage-apply")).click();
  await waitFor(browser, async () => (await (await $("#triage-now")).getAttribute("data-status")) === "InProgress", "escalated");
  await shot(browser, "w3-assess-escalate");
  const act = cb(["activity", casePath, sql.id, "--json"]).activity;
  assert.ok(act.some((e) => e.action === "owner" && e.detail.new === "sam" && e.actor === "judy"));
});

test("Diagnose: Sam reads the remediation steps and searches the raw events of the attacker's IP", async () => {
  await (await $("#tab-info")).click();
  const steps = await $("#remediation");
  await steps.waitForExist({ timeout: 10000 });
  assert.ok((await browser.$$("#remediation li")).length >= 2);
  await shot(browser, "w4-diagnose-remediation");
  const ip = (await mapNodes(browser)).find((n) => n.startsWith("entity:") && cb(["show", casePath, n, "--json"]).fields.kind === "ip");
  assert.ok(ip, "the attacker IP is on the map");
  await clickNode(browser, ip);
  await tool(browser, "#search-from");
  await waitFor(browser, async () => (await $("#search-total")).isExisting(), "results");
  const q = await (await $("#search-input")).getValue();
  assert.match(q, /^ip:"131\.107\.147\.209"$/);
  const want = cb(["search", casePath, q, "--json"]);
  assert.equal(Number(await (await $("#search-total")).getAttribute("data-total")), want.total);
  assert.ok(want.total > 0);
  await shot(browser, "w5-diagnose-search");
});
