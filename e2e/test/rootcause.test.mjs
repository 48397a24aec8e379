// Issue 11 in the real window, on real data: OTRF `empire_wmic_add_user_backdoor` (WMI lateral
// movement WORKSTATION5 → WORKSTATION6, imported with the bundled Sigma rules) and the
// Sentinel notebooks' 22,979 process creations of one host (MSTICAlertsWin1).
// Trace on an alert draws the path and lists the sentences (checked against the CLI's trace);
// the process tree of a host with ≥ 1,000 processes opens without a freeze (time printed, only
// the rows in view drawn); the Story tab; the PDF export read back with pdftotext.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { cb, cli, root, shot, startDriver, tmpdir, typeInto, waitFor } from "../lib/harness.mjs";

const dir = tmpdir("rootcause");
const casePath = path.join(dir, "rc.caseboard");
const OTRF = path.join(root, "fixtures/otrf-security-datasets/datasets/atomic/windows/defense_evasion/host/empire_wmic_add_user_backdoor.zip");
const BIG = path.join(root, "fixtures/azure-sentinel-notebooks/src/data/processes_on_host.jsonl.gz");
let driver;
let browser;
let alerts;
let incidents;
const $ = (s) => browser.$(s);
/** The CLI's JSON when it is large (22,000 entities, a 22,000-row tree). */
const cbBig = (args) => JSON.parse(execFileSync(cli, args, { cwd: root, encoding: "utf8", maxBuffer: 1 << 30 }));

before(async () => {
  cb(["import", casePath, OTRF, "--detect"], false);
  cb(["import", casePath, BIG], false);
  const a = cb(["alerts", casePath, "--json"]);
  alerts = Array.isArray(a) ? a : a.alerts;
  const i = cb(["incidents", casePath, "--json"]);
  incidents = Array.isArray(i) ? i : i.incidents;
  driver = await startDriver({ CASEBOARD_CASE: casePath, CASEBOARD_CONFIG_DIR: path.join(dir, "config"), XDG_DATA_HOME: path.join(dir, "data") });
  browser = await driver.session();
  await browser.setWindowSize(1280, 800);
  await waitFor(browser, async () => (await browser.$$("#queue li.item")).length > 0, "queue rows");
});

after(async () => {
  await browser?.deleteSession().catch(() => {});
  driver?.stop();
});

async function selectInQueue(id) {
  const item = await $(`#queue li.item[data-id="${id}"]`);
  await item.scrollIntoView();
  await item.click();
  await waitFor(browser, async () => (await $("#pane-title")).isExisting(), "pane");
  await browser.pause(200);
}

test("Trace on an alert adds the path to the map, highlights it and lists the CLI's sentences", async () => {
  const alert = alerts.find((a) => /New User Created/i.test(a.name)) ?? alerts[0];
  assert.ok(alert, "an alert raised by the bundled rules");
  const want = cb(["trace", casePath, alert.id, "--json"]);
  assert.ok(want.steps.length >= 6, `trace of ${alert.id}: ${want.steps.length} steps`);
  await selectInQueue(alert.id);
  await (await $("#pane-trace")).click();
  await waitFor(browser, async () => Number(await (await $("#trace-panel")).getAttribute("data-steps")) > 0, "the trace panel", 60000);
  const texts = await browser.execute(() => [...document.querySelectorAll("#trace-steps li .txt")].map((e) => e.textContent.trim()));
  assert.deepEqual(texts, want.steps.map((s) => s.text), "the window lists the trace's sentences");
  // every step's node is on the map
  await waitFor(browser, async () => {
    const on = new Set(await browser.execute(() => window.__cbMap.nodes()));
    return want.steps.every((s) => on.has(s.node.id));
  }, "the trace's nodes on the map", 20000);
  // inferred steps say so with their confidence
  const inferred = want.steps.filter((s) => s.inferred);
  const marks = await browser.execute(() => [...document.querySelectorAll("#trace-steps li .tag.inf")].map((e) => e.textContent));
  assert.equal(marks.length, inferred.length);
  for (const [k, s] of inferred.entries()) assert.ok(marks[k].includes(s.confidence), marks[k]);
  // the trace crosses to the source host (WORKSTATION5), where the remote call came from
  assert.ok(want.steps.some((s) => s.node.kind === "host" && /WORKSTATION5/i.test(s.node.label)), "crosses to WORKSTATION5");
  // blast radius counts per kind
  await waitFor(browser, async () => (await browser.$$("#blast-radius tr[data-kind]")).length > 0, "blast radius counts", 30000);
  await shot(browser, "rc-01-trace-1280");
  // clicking a sentence selects its node
  const root = want.steps.at(-1).node;
  await (await $(`#trace-steps button[data-node="${root.id}"]`)).click();
  await waitFor(browser, async () => (await browser.execute(() => window.__cbMap.selection())).includes(root.id), "root selected on the map");
  await waitFor(browser, async () => (await (await $("#pane-title")).getText()).length > 0, "pane of the root");
  await browser.setWindowSize(1024, 700);
  await browser.pause(500);
  await shot(browser, "rc-02-trace-1024");
  await browser.setWindowSize(1280, 800);
  // the trace was one undoable op: undo takes its nodes off again
  const before = await browser.execute(() => window.__cbMap.nodes().length);
  await (await $("#map-undo")).click();
  await waitFor(browser, async () => (await browser.execute(() => window.__cbMap.nodes().length)) < before, "undo of the trace");
  await (await $("#map-redo")).click();
  await waitFor(browser, async () => (await browser.execute(() => window.__cbMap.nodes().length)) === before, "redo of the trace");
  await (await $("#trace-close")).click();
});

test("the process tree of a host with 22,000 processes opens without a freeze and draws only what is in view", async () => {
  const hosts = cbBig(["entities", casePath, "--json"]).entities.filter((e) => e.kind === "host");
  const big = hosts.find((h) => /MSTICAlertsWin1/i.test(h.label));
  assert.ok(big, "the notebooks' host");
  const want = cbBig(["tree", casePath, big.id, "--json"]);
  assert.ok(want.rows.length >= 1000, `${want.rows.length} processes`);
  // find the host through search, select it, open its tree from the pane
  await typeInto(browser, "#search-input", big.label);
  await browser.keys(["Enter"]);
  await waitFor(browser, async () => (await $(`#search-results button.ent[title="${big.label}"]`)).isExisting(), "search hit naming the host", 30000);
  await (await $(`#search-results button.ent[title="${big.label}"]`)).click();
  await waitFor(browser, async () => (await (await $("#pane-title")).getText()) === big.label && (await $("#pane-tree")).isExisting(), "the host in the pane, with its Tree button");
  const t0 = Date.now();
  await (await $("#pane-tree")).click();
  // the window keeps answering while the tree loads (no freeze): a script round-trip is quick
  const pings = [];
  while (!(await browser.execute(() => document.querySelector("#process-tree")?.dataset.ms ?? ""))) {
    const p0 = Date.now();
    await browser.execute(() => 1);
    pings.push(Date.now() - p0);
    if (Date.now() - t0 > 120000) throw new Error("tree did not open in 2 minutes");
    await browser.pause(50);
  }
  const wall = Date.now() - t0;
  const st = await browser.execute(() => ({ ...document.querySelector("#process-tree").dataset }));
  console.log(`# process tree: ${st.rows} processes, opened in ${st.ms} ms (window) / ${wall} ms (driver); ${st.drawn} rows drawn; slowest script round-trip while loading ${Math.max(0, ...pings)} ms`);
  assert.equal(Number(st.rows), want.rows.length);
  assert.ok(Number(st.drawn) < 200, `virtualised: ${st.drawn} rows in the DOM`);
  assert.ok(Math.max(0, ...pings) < 1000, "the window answered while loading");
  // the rows drawn are the CLI's first rows, in order, with their whole command lines
  const drawn = await browser.execute(() => [...document.querySelectorAll("#process-tree .row")].sort((a, b) => a.offsetTop - b.offsetTop).map((r) => ({ id: r.dataset.id, cmd: r.querySelector(".cmd")?.textContent ?? "", cut: r.querySelector(".cmd") ? r.querySelector(".cmd").scrollWidth > r.querySelector(".cmd").clientWidth + 1 : false })));
  assert.deepEqual(drawn.slice(0, 10).map((d) => d.id), want.rows.slice(0, 10).map((r) => r.id));
  for (const d of drawn) {
    const r = want.rows.find((x) => x.id === d.id);
    assert.equal(d.cmd, r.command_line, "command line shown whole");
    assert.ok(!d.cut, `command line of ${d.id} wraps, never cut`);
  }
  await shot(browser, "rc-03-tree-1280");
  // scroll to the end: the last process is drawn, rows never overlap
  const s0 = Date.now();
  await browser.execute(() => {
    const el = document.querySelector("#process-tree .rows");
    el.scrollTop = el.scrollHeight;
  });
  await waitFor(browser, async () => (await browser.execute(() => [...document.querySelectorAll("#process-tree .row")].map((r) => r.dataset.id))).includes(want.rows.at(-1).id), "last row drawn");
  console.log(`# process tree: scrolled to the end in ${Date.now() - s0} ms`);
  const overlaps = await browser.execute(() => {
    const rs = [...document.querySelectorAll("#process-tree .row")].map((r) => r.getBoundingClientRect()).sort((a, b) => a.top - b.top);
    let n = 0;
    for (let i = 1; i < rs.length; i++) if (rs[i].top < rs[i - 1].bottom - 1) n++;
    return n;
  });
  assert.equal(overlaps, 0, "rows do not overlap");
  // the filter: matches and their ancestors
  const q = "powershell";
  const matches = want.rows.filter((r) => `${r.image} ${r.pid} ${r.user ?? ""} ${r.command_line} ${r.path}`.toLowerCase().includes(q)).length;
  await typeInto(browser, "#tree-filter", q);
  await waitFor(browser, async () => (await $("#tree-matches")).isExisting(), "filter count");
  assert.equal(await (await $("#tree-matches")).getText(), `${matches.toLocaleString("en-US")} match${matches === 1 ? "" : "es"}`);
  const vis = Number(await (await $("#process-tree")).getAttribute("data-visible"));
  assert.ok(vis >= matches && vis < want.rows.length, `${vis} rows shown for ${matches} matches`);
  await shot(browser, "rc-04-tree-filter");
  // collapse all: only the roots are left
  await typeInto(browser, "#tree-filter", "");
  await (await $("#tree-collapse-all")).click();
  const roots = want.rows.filter((r) => r.depth === 0).length;
  await waitFor(browser, async () => Number(await (await $("#process-tree")).getAttribute("data-visible")) === roots, "roots only");
  await (await $("#tree-expand-all")).click();
  await browser.setWindowSize(1024, 700);
  await browser.pause(500);
  await shot(browser, "rc-05-tree-1024");
  await browser.setWindowSize(1280, 800);
  await (await $("#tree-close")).click();
});

test("the Story tab tells the incident in kill-chain order and exports a text PDF", async () => {
  const inc = incidents[0];
  assert.ok(inc, "correlation derived an incident");
  const want = cb(["story", casePath, inc.id, "--json"]);
  await selectInQueue(inc.id);
  await (await $("#tab-story")).click();
  await waitFor(browser, async () => (await $("#story-summary")).isExisting(), "story", 30000);
  assert.equal(await (await $("#story-summary")).getText(), want.summary);
  const heads = await browser.execute(() => [...document.querySelectorAll("#story h3.ph")].map((h) => h.textContent.trim()));
  assert.deepEqual(heads, want.paragraphs.map((p) => p.heading));
  // lessons learned: written in the Story tab, stored as an audited note, printed in the report
  const lesson = "Block WMI calls between workstations";
  await typeInto(browser, "#lesson-input", lesson);
  await (await $("#lesson-save")).click();
  await waitFor(browser, async () => (await (await $("#lessons")).getText()).includes(lesson), "the lesson listed");
  const audit = cb(["activity", casePath, inc.id, "--json"]);
  assert.ok(JSON.stringify(audit).includes(lesson), "the lesson is in the audit log");
  await shot(browser, "rc-06-story-1280");
  // the PDF through the save flow, read back with pdftotext
  const base = path.join(dir, "report");
  await browser.execute((b) => (window.__cbSaveAs = b), base);
  await (await $("#story-pdf")).click();
  await waitFor(browser, async () => fs.existsSync(`${base}.pdf`) && fs.statSync(`${base}.pdf`).size > 1000, "PDF written", 30000);
  await browser.execute(() => (window.__cbSaveAs = undefined));
  let text;
  try {
    text = execFileSync("pdftotext", [`${base}.pdf`, "-"], { encoding: "utf8" });
  } catch (e) {
    if (e.code === "ENOENT") {
      console.log("# SKIPPED pdftotext check: pdftotext missing (scripts/setup.sh installs poppler-utils)");
      return;
    }
    throw e;
  }
  const squash = (s) => s.replace(/→/g, "->").replace(/\s+/g, "");
  const got = squash(text);
  for (const h of want.hosts) assert.ok(text.includes(h), `host ${h} in the PDF`);
  let n = 0;
  for (const p of want.paragraphs) for (const s of p.sentences) {
    assert.ok(got.includes(squash(s.text)), `sentence in the PDF: ${s.text}`);
    n++;
  }
  for (const h of ["Findings", "Actions taken", "Lessons learned", "Evidence sources"]) assert.ok(text.includes(h), `${h} in the PDF`);
  assert.ok(got.includes(squash(lesson)), "the lesson in the PDF");
  console.log(`# pdf: ${fs.statSync(`${base}.pdf`).size} bytes, ${n} story sentences found by pdftotext`);
  await browser.setWindowSize(1024, 700);
  await browser.pause(500);
  await shot(browser, "rc-07-story-1024");
  await browser.setWindowSize(1280, 800);
});
