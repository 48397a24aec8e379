// Issue 12, similar entities fold into one counted node (Defender-style), in the real window:
// the busiest host of the OTRF WMI lab (the host most raw records name, counted here from the
// zip's JSON lines) with every related entity on the map; "Fold similar" must give exactly the
// folds computed here from the map's nodes and edges (same kind, same neighbours, ≥ 3); a fold
// opens in the pane with its members; Unfold from the pane and from the node menu; undo.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { cb, clickNode, nodeCount, openNodeMenu, pointer, root, shot, startDriver, tmpdir, waitFor } from "../lib/harness.mjs";

const dir = tmpdir("fold");
const casePath = path.join(dir, "fold.caseboard");
const ZIP = path.join(root, "fixtures/otrf-security-datasets/datasets/atomic/windows/defense_evasion/host/empire_wmic_add_user_backdoor.zip");
let driver;
let browser;
let map;
const $ = (s) => browser.$(s);

/** The folds the map should get: (kind, sorted members) of ≥ 3 visible entities sharing their neighbour set. */
function expectedFolds(state) {
  const nb = new Map();
  for (const e of state.edges) {
    if (!nb.has(e.from)) nb.set(e.from, new Set());
    if (!nb.has(e.to)) nb.set(e.to, new Set());
    nb.get(e.from).add(e.to);
    nb.get(e.to).add(e.from);
  }
  const by = new Map();
  for (const n of state.nodes) {
    const id = n.view.id;
    if (!n.visible || n.pinned || !id.startsWith("entity:") || state.breadcrumb.includes(id) || !nb.has(id)) continue;
    const key = `${n.view.kind}|${[...nb.get(id)].sort().join(",")}`;
    by.set(key, [...(by.get(key) ?? []), id]);
  }
  return [...by.entries()].filter(([, v]) => v.length >= 3).map(([k, v]) => `${k.split("|")[0]}:${v.sort().join(",")}`).sort();
}

before(async () => {
  cb(["import", casePath, ZIP, "--json"]);
  // the busiest host, from the raw records (unzip -p: every JSON line of the lab)
  const lines = execFileSync("unzip", ["-p", ZIP], { encoding: "utf8", maxBuffer: 512 * 1024 * 1024 }).split("\n").filter((l) => l.trim().startsWith("{"));
  const per = new Map();
  for (const l of lines) {
    const h = JSON.parse(l).Hostname;
    if (typeof h === "string" && h) per.set(h.toLowerCase(), (per.get(h.toLowerCase()) ?? 0) + 1);
  }
  const name = [...per.entries()].sort((a, b) => b[1] - a[1])[0][0];
  const host = cb(["entities", casePath, "--json"]).entities.find((e) => e.kind === "host" && e.label.toLowerCase() === name);
  assert.ok(host, `host ${name}`);
  const m = cb(["investigation", casePath, "new", "fold", host.id]);
  cb(["investigation", casePath, "op", String(m.id), JSON.stringify({ op: "group", node: host.id, query: "related", threshold: 10000 })], false);
  map = m.id;
  driver = await startDriver({ CASEBOARD_CASE: casePath, CASEBOARD_CONFIG_DIR: path.join(dir, "config"), XDG_DATA_HOME: path.join(dir, "data") });
  browser = await driver.session();
  await waitFor(browser, async () => (await $("#switcher-toggle")).isExisting(), "the window", 30000);
});

after(async () => {
  await browser?.deleteSession().catch(() => {});
  driver?.stop();
});

const foldIds = () => browser.execute(() => window.__cbMap.nodes().filter((id) => id.startsWith("fold:")));

test("Fold similar folds what the map's edges say is similar; the pane and the menu unfold it", async () => {
  if (!(await $("#switcher").isExisting())) await (await $("#switcher-toggle")).click();
  await (await $("#switcher")).waitForExist();
  await browser.pause(300);
  await (await $(`#switcher tr[data-inv="${map}"] .inv-open`)).click();
  const state = cb(["investigation", casePath, "show", String(map)]);
  const visible = state.nodes.filter((n) => n.visible).length + state.groups.filter((g) => g.visible).length;
  await waitFor(browser, async () => (await browser.execute(() => window.__cbMap?.nodes().length ?? 0)) === visible, "the map drawn", 30000).catch(async (e) => {
    await shot(browser, "fx-fold-fail");
    throw new Error(`${e.message}: ${await browser.execute(() => window.__cbMap?.nodes().length ?? null)} drawn of ${visible}`);
  });
  const want = expectedFolds(state);
  assert.ok(want.length > 0, "the lab has similar entities");
  const before = await nodeCount(browser);
  await shot(browser, "f01-1280-before-fold");

  if (!(await $("#map-fold").isDisplayed())) await (await $("#map-more-toggle")).click();
  await (await $("#map-fold")).click();
  await waitFor(browser, async () => (await foldIds()).length === want.length, "folds drawn", 20000);
  const after1 = cb(["investigation", casePath, "show", String(map)]);
  const got = after1.folds.map((f) => `${f.kind}:${[...f.members].sort().join(",")}`).sort();
  assert.deepEqual(got, want);
  const members = want.reduce((s, f) => s + f.split(":").slice(1).join(":").split(",").length, 0);
  await waitFor(browser, async () => (await nodeCount(browser)) === before - members + want.length, "members folded away");
  console.log(`# fold: ${before} visible nodes → ${await nodeCount(browser)} (${want.length} folds of ${members} entities: ${after1.folds.map((f) => f.label).join("; ")})`);
  await (await $("#map-more-toggle")).click().catch(() => {});
  await shot(browser, "f02-1280-folded");

  // lay the folded map out afresh (its far-off nodes made the folds tiny), then the biggest
  // fold in the pane: its members listed, Unfold brings them back
  await (await $("#map-layout")).selectByAttribute("value", "hierarchy");
  await waitFor(browser, async () => (await (await $("#map-layout")).isEnabled()) && (await (await $("#map")).getAttribute("data-layout")) === "hierarchy", "left-to-right layout", 30000);
  await (await $("#map-fit")).click();
  await browser.pause(600);
  const big = [...after1.folds].sort((a, b) => b.members.length - a.members.length)[0];
  // a dragged fold keeps its spot: saved with the map (the CLI reads it back)
  const saved = () => cb(["investigation", casePath, "show", String(map)]).folds.find((f) => f.id === big.id);
  const was = saved();
  const sp = await browser.execute((id) => window.__cbMap.screenPos(id), `fold:${big.id}`);
  await pointer(browser, [
    { type: "pointerMove", duration: 0, origin: "viewport", x: Math.round(sp.x), y: Math.round(sp.y) },
    { type: "pointerDown", button: 0 },
    { type: "pointerMove", duration: 200, origin: "viewport", x: Math.round(sp.x) + 60, y: Math.round(sp.y) + 40 },
    { type: "pointerUp", button: 0 },
  ]);
  await waitFor(browser, async () => { const f = saved(); return f.x !== was.x || f.y !== was.y; }, "the fold's new spot saved", 10000);
  const gp = await browser.execute((id) => window.__cbMap.position(id), `fold:${big.id}`);
  const now = saved();
  assert.ok(Math.abs(now.x - Math.round(gp.x)) <= 1 && Math.abs(now.y + Math.round(gp.y)) <= 1, `saved ${JSON.stringify(now)} vs drawn ${JSON.stringify(gp)}`);
  console.log(`# fold ${big.id} dragged: saved (${was.x}, ${was.y}) → (${now.x}, ${now.y})`);
  await clickNode(browser, `fold:${big.id}`);
  await waitFor(browser, async () => (await $("#fold-panel")).isExisting(), "the fold's pane").catch(async (e) => {
    await shot(browser, "fx-fold-pane");
    throw new Error(`${e.message}: selection ${JSON.stringify(await browser.execute(() => window.__cbMap.selection()))}, fold at ${JSON.stringify(await browser.execute((id) => window.__cbMap.screenPos(id), `fold:${big.id}`))}`);
  });
  assert.equal(Number(await (await $("#fold-panel")).getAttribute("data-members")), big.members.length);
  assert.equal((await browser.$$("#fold-members li")).length, big.members.length);
  assert.match(await (await $("#pane-title")).getText(), new RegExp(`^${big.members.length} similar `));
  await shot(browser, "f03-1280-fold-pane");
  await (await $("#fold-unfold")).click();
  await waitFor(browser, async () => !(await foldIds()).includes(`fold:${big.id}`), "unfolded from the pane");
  assert.equal(await nodeCount(browser), before - members + want.length + big.members.length - 1);
  // undo folds it again; the node menu unfolds it too
  await (await $("#map-undo")).click();
  await waitFor(browser, async () => (await foldIds()).includes(`fold:${big.id}`), "undo refolds");
  await openNodeMenu(browser, `fold:${big.id}`);
  await (await $("#menu-unfold")).click();
  await waitFor(browser, async () => !(await foldIds()).includes(`fold:${big.id}`), "unfolded from the menu");
  await shot(browser, "f04-1280-unfolded");
});
