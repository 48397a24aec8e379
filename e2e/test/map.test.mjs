// Issue 12 in the real window at laptop size (1024×700, then 1280×800): the map keeps ≥ 60 %
// of the width with one toolbar row, the node menu stays inside the window, multi-select (Ctrl+
// click, Shift-drag box) and one Hide for all of them, drag + Pin, three layouts with label
// boxes that never overlap (read back from the renderer), keyboard-only expansion, no state
// carried from one investigation to the next, and redaction that leaves no entity name of the
// case in the document; PNG export at 2× with a title band.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { cb, clickNode, exportPng, tabToMap, ctrlClick as ctrlClickOn, labelOverlap, mapNodes, nodeCount, openNodeMenu, pointer, root, shot, startDriver, tmpdir, typeInto, waitFor } from "../lib/harness.mjs";

const dir = tmpdir("map12");
const casePath = path.join(dir, "map.caseboard");
let driver;
let browser;
let alerts;
const $ = (s) => browser.$(s);

before(async () => {
  cb(["demo", casePath, "--fixtures", path.join(root, "fixtures")], false);
  cb(["incidents", casePath, "--json"]);
  const j = cb(["alerts", casePath, "--json"]);
  alerts = Array.isArray(j) ? j : j.alerts;
  driver = await startDriver({ CASEBOARD_CASE: casePath, CASEBOARD_CONFIG_DIR: path.join(dir, "config"), XDG_DATA_HOME: path.join(dir, "data") });
  browser = await driver.session();
  await browser.setWindowSize(1024, 700);
  await waitFor(browser, async () => (await browser.$$("#queue li.item")).length > 0, "queue rows");
});

after(async () => {
  await browser?.deleteSession().catch(() => {});
  driver?.stop();
});

const rect = (sel) => browser.execute((s) => {
  const r = document.querySelector(s)?.getBoundingClientRect();
  return r ? { x: r.x, y: r.y, w: r.width, h: r.height, bottom: r.bottom, right: r.right } : null;
}, sel);
const win = () => browser.execute(() => ({ w: window.innerWidth, h: window.innerHeight }));
const selection = () => browser.execute(() => window.__cbMap.selection());

async function investigate(id) {
  const item = await $(`#queue li.item[data-id="${id}"]`);
  await item.scrollIntoView();
  await item.click();
  await (await $("#investigate")).click();
  await waitFor(browser, async () => (await browser.execute((a) => window.__cbMap?.nodes().includes(a) ?? false, id)), "map of the alert");
  await browser.pause(400);
}

/** Expand the node's biggest query from its context menu. */
async function expandBiggest(id) {
  try {
    await openNodeMenu(browser, id);
  } catch (e) {
    if (/covered/.test(e.message)) return false;
    throw e;
  }
  const q = await browser.execute(() => {
    const bs = [...document.querySelectorAll("#explore-menu button[data-query]")].filter((b) => !b.disabled);
    return bs.sort((x, y) => Number(y.dataset.count) - Number(x.dataset.count))[0]?.dataset.query ?? null;
  });
  if (!q) {
    await browser.keys(["Escape"]);
    return false;
  }
  const before = await nodeCount(browser);
  await (await $(`#explore-menu button[data-query="${q}"]`)).click();
  await waitFor(browser, async () => !(await $("#explore-menu").isExisting()) && (await nodeCount(browser)) >= before, "expansion");
  await browser.pause(300);
  return true;
}

const ctrlClick = (ids) => ctrlClickOn(browser, ids);
const noOverlap = labelOverlap;

let first;
let second;

test("1024×700: the map gets ≥ 60 % of the width and the tools fit one row", async () => {
  const byEntities = [...alerts].sort((x, y) => (y.entities?.length ?? 0) - (x.entities?.length ?? 0));
  first = byEntities[0];
  second = byEntities.find((a) => a.id !== first.id);
  await investigate(first.id);
  const w = await win();
  const m = await rect("#map");
  const bar = await rect("#map-toolbar");
  const close = await rect("#map-close");
  console.log(`# 1024×700: window ${w.w}×${w.h}, map ${Math.round(m.w)}×${Math.round(m.h)} (${Math.round((100 * m.w) / w.w)} %), toolbar ${Math.round(bar.h)} px high`);
  assert.ok(m.w / w.w >= 0.6, `map is ${m.w} of ${w.w} px`);
  assert.ok(bar.h <= 40, `toolbar is one row (${bar.h} px)`);
  assert.ok(close.right <= bar.right + 0.5 && close.bottom <= bar.bottom + 0.5, "the last toolbar button is inside the toolbar");
  await shot(browser, "m01-1024-map");
  // folding the queue and the pane gives the map the width
  await (await $("#queue-toggle")).click();
  await (await $("#pane-toggle")).click();
  await browser.pause(300);
  const wide = await rect("#map");
  assert.ok(wide.w / w.w > 0.9, `folded: map ${wide.w} of ${w.w}`);
  await shot(browser, "m02-1024-folded");
  await (await $("#queue-toggle")).click();
  await (await $("#pane-toggle")).click();
  await browser.pause(300);
});

test("the node menu stays inside the window and the grouping setting is reachable", async () => {
  while ((await nodeCount(browser)) < 14) {
    const nodes = await mapNodes(browser);
    let grew = false;
    for (const n of nodes.slice(0, 6)) if (await expandBiggest(n)) if ((await nodeCount(browser)) > nodes.length) { grew = true; break; }
    if (!grew) break;
  }
  await (await $("#map-fit")).click();
  await browser.pause(400);
  // the node drawn lowest: its menu would run off the bottom if it opened below the pointer
  const low = await browser.execute(() => window.__cbMap.nodes().map((id) => ({ id, y: window.__cbMap.screenPos(id).y })).sort((a, b) => b.y - a.y)[0].id);
  await openNodeMenu(browser, low);
  const w = await win();
  const r = await rect("#explore-menu");
  assert.ok(r.y >= 0 && r.bottom <= w.h && r.x >= 0 && r.right <= w.w, `menu ${JSON.stringify(r)} inside ${w.w}×${w.h}`);
  // aggregation is on by default: the menu's setting is the group threshold (the page size
  // shows when grouping is switched off)
  const ps = await $("#group-threshold");
  await ps.scrollIntoView();
  assert.ok(await ps.isDisplayed({ withinViewport: true }), "group threshold reachable");
  await shot(browser, "m03-1024-menu");
  await browser.keys(["Escape"]);
});

test("Ctrl+click and Shift-drag select several nodes; one Hide hides all ten (one undo)", async () => {
  await browser.keys(["Escape"]);
  const all = await mapNodes(browser);
  assert.ok(all.length >= 12, `map has ${all.length} nodes`);
  // Ctrl+click three nodes
  const three = all.filter((n) => n !== first.id).slice(0, 3);
  await clickNode(browser, three[0]);
  await ctrlClick(three.slice(1));
  assert.deepEqual((await selection()).sort(), [...three].sort());
  // Shift-drag a box over the whole map: every visible node
  const m = await rect("#map");
  await browser.performActions([
    { type: "key", id: "kb", actions: [{ type: "keyDown", value: "\uE008" }, { type: "pause", duration: 0 }, { type: "pause", duration: 0 }, { type: "pause", duration: 0 }, { type: "pause", duration: 0 }, { type: "keyUp", value: "\uE008" }] },
    {
      type: "pointer",
      id: "mouse",
      parameters: { pointerType: "mouse" },
      actions: [
        { type: "pause", duration: 0 },
        { type: "pointerMove", duration: 0, origin: "viewport", x: Math.round(m.x + 2), y: Math.round(m.y + 2) },
        { type: "pointerDown", button: 0 },
        { type: "pointerMove", duration: 300, origin: "viewport", x: Math.round(m.right - 2), y: Math.round(m.bottom - 2) },
        { type: "pointerUp", button: 0 },
        { type: "pause", duration: 0 },
      ],
    },
  ]);
  await browser.releaseActions();
  await browser.pause(300);
  const boxed = await selection();
  const inView = await browser.execute((r) => window.__cbMap.nodes().filter((id) => { const p = window.__cbMap.screenPos(id); return p.x >= r.x && p.x <= r.right && p.y >= r.y && p.y <= r.bottom; }), m);
  assert.deepEqual([...boxed].sort(), [...inView].sort());
  // keep ten: Ctrl+click the others away
  const drop = boxed.slice(10);
  if (drop.length) await ctrlClick(drop);
  const ten = await selection();
  assert.equal(ten.length, 10);
  await shot(browser, "m04-ten-selected");
  const before = await mapNodes(browser);
  await openNodeMenu(browser, ten[0]);
  assert.equal(await (await $("#explore-menu")).getAttribute("data-targets"), "10");
  await (await $("#menu-hide")).click();
  await waitFor(browser, async () => (await mapNodes(browser)).length === before.length - 10, "ten hidden");
  const after = await mapNodes(browser);
  assert.ok(ten.every((id) => !after.includes(id)));
  // one action: one undo brings all ten back
  await (await $("#map-undo")).click();
  await waitFor(browser, async () => (await mapNodes(browser)).length === before.length, "undo brings them back");
});

test("drag moves a node (saved, undoable); a pinned node keeps its spot through a layout", async () => {
  await browser.keys(["Escape"]);
  const n = (await mapNodes(browser)).find((x) => x !== first.id);
  const p = await browser.execute((id) => window.__cbMap.screenPos(id), n);
  const g0 = await browser.execute((id) => window.__cbMap.position(id), n);
  await pointer(browser, [
    { type: "pointerMove", duration: 0, origin: "viewport", x: p.x, y: p.y },
    { type: "pointerDown", button: 0 },
    { type: "pointerMove", duration: 200, origin: "viewport", x: p.x + 50, y: p.y + 30 },
    { type: "pointerUp", button: 0 },
  ]);
  await browser.pause(500);
  const p1 = await browser.execute((id) => window.__cbMap.screenPos(id), n);
  assert.ok(Math.abs(p1.x - (p.x + 50)) <= 3 && Math.abs(p1.y - (p.y + 30)) <= 3, `dropped at ${JSON.stringify(p1)}, wanted ${p.x + 50},${p.y + 30}`);
  await clickNode(browser, n);
  await (await $("#map-pin")).click();
  await waitFor(browser, async () => (await (await $("#map-pin")).getText()) === "Unpin", "pinned");
  const pinned = await browser.execute((id) => window.__cbMap.position(id), n);
  assert.notDeepEqual(pinned, g0);
  await (await $("#map-layout")).selectByAttribute("value", "force");
  await waitFor(browser, async () => (await (await $("#map-layout")).isEnabled()) && (await (await $("#map")).getAttribute("data-layout")) === "force", "force layout", 30000);
  await browser.pause(500);
  const afterLayout = await browser.execute((id) => window.__cbMap.position(id), n);
  assert.ok(Math.abs(afterLayout.x - pinned.x) < 1 && Math.abs(afterLayout.y - pinned.y) < 1, `pinned node moved: ${JSON.stringify(pinned)} → ${JSON.stringify(afterLayout)}`);
});

test("layouts: force, left to right and radial; label boxes never overlap", async () => {
  await browser.keys(["Escape"]);
  for (const kind of ["force", "hierarchy", "radial"]) {
    await (await $("#map-layout")).selectByAttribute("value", kind);
    await waitFor(browser, async () => (await (await $("#map-layout")).isEnabled()) && (await (await $("#map")).getAttribute("data-layout")) === kind, `${kind} layout`, 30000);
    await browser.pause(700);
    const boxes = await browser.execute(() => window.__cbMap.labelBoxes());
    const nodes = (await mapNodes(browser)).length;
    console.log(`# layout ${kind}: ${nodes} nodes, ${boxes.length} labels drawn`);
    assert.ok(boxes.length >= Math.min(6, nodes), `${boxes.length} labels drawn`);
    assert.equal(noOverlap(boxes), null);
    await shot(browser, `m05-layout-${kind}`);
  }
});

test("keyboard only: Tab to the map, move, Enter opens the menu, Enter expands", async () => {
  await browser.keys(["Escape"]);
  // start from the search box (Ctrl+K), then Tab until the map has focus
  assert.ok(await tabToMap(browser), "Tab reaches the map");
  await waitFor(browser, async () => (await selection()).length === 1, "focus selects a node");
  const s0 = (await selection())[0];
  await browser.keys(["Tab"]);
  const s1 = (await selection())[0];
  assert.notEqual(s1, s0, "Tab moves to the next node");
  // the node with something to expand: walk with the arrows until its menu has a query
  const before = await nodeCount(browser);
  let expanded = false;
  for (let i = 0; i < 12 && !expanded; i++) {
    await browser.keys(["Enter"]);
    await waitFor(browser, async () => (await $("#explore-menu")).isExisting(), "menu by keyboard");
    await browser.pause(400);
    const hasQuery = await browser.execute(() => [...document.querySelectorAll("#explore-menu button[data-query]")].some((b) => !b.disabled && Number(b.dataset.count) > 0));
    if (hasQuery) {
      // the first menu item has focus; Enter runs it
      assert.equal(await browser.execute(() => document.activeElement?.getAttribute("role")), "menuitem");
      await browser.keys(["Enter"]);
      await waitFor(browser, async () => (await $("#last-expansion")).isExisting(), "expanded by keyboard");
      expanded = true;
    } else {
      await browser.keys(["Escape"]);
      await browser.keys(["ArrowRight"]);
    }
  }
  assert.ok(expanded, "a node was expanded with the keyboard");
  assert.ok((await nodeCount(browser)) >= before);
  await browser.keys(["Shift", "/"]); // "?" (WebKitWebDriver sends "?" as a bare "/")
  await browser.keys(["Shift"]);
  await (await $("#help")).waitForExist();
  await shot(browser, "m06-keyboard-help");
  await browser.keys(["Escape"]);
});

test("a second investigation starts clean: no stale 'N more', path or selection", async () => {
  // leave state behind on this map: a path start and the last expansion bar
  let opened = false;
  for (const n of await mapNodes(browser)) {
    opened = await openNodeMenu(browser, n).then(() => true, (e) => (/covered/.test(e.message) ? false : Promise.reject(e)));
    if (opened) break;
  }
  assert.ok(opened, "some node's menu opens");
  await (await $("#menu-path-from")).click();
  await (await $("#tools-note")).waitForExist();
  assert.ok(await (await $("#last-expansion")).isExisting(), "the keyboard expansion left its bar");
  await investigate(second.id);
  assert.equal(await (await $("#last-expansion")).isExisting(), false, "no last expansion from the other map");
  assert.equal(await (await $("#tools-note")).isExisting(), false, "no path from the other map");
  assert.deepEqual(await selection(), []);
  assert.ok((await mapNodes(browser)).includes(second.id));
  const crumb = await (await $("#breadcrumb")).getText();
  assert.ok(crumb.length > 0);
  await shot(browser, "m07-second-investigation");
});

test("Redact: no entity name of the case anywhere in the document; PNG export 2× with a title band", async () => {
  const ents = cb(["entities", casePath, "--json"]).entities;
  const kinds = new Set(ents.map((e) => e.kind.toLowerCase()));
  const names = [...new Set(ents.map((e) => e.label).filter((l) => l && l.length >= 4 && !kinds.has(l.toLowerCase()) && !/^\d+$/.test(l)))];
  await (await $("#redact")).click();
  await browser.pause(1500); // names of every alert are learnt
  // the views an analyst shares: queue, pane (alert and entity), map and breadcrumb, search
  const a = second;
  await (await $(`#queue li.item[data-id="${a.id}"]`)).click();
  await (await $("#pane-title")).waitForExist();
  const ent = (await mapNodes(browser)).find((x) => x.startsWith("entity:"));
  if (ent) await clickNode(browser, ent);
  await (await $("#tab-raw")).click();
  await browser.pause(300);
  const host = ents.find((e) => e.kind === "host");
  await typeInto(browser, "#search-input", `host:"${host.label}"`);
  await browser.keys(["Enter"]);
  await waitFor(browser, async () => (await $("#search-total")).isExisting(), "results");
  await browser.pause(500);
  const textNow = (await browser.execute(() => document.body.innerText)).toLowerCase();
  const leaks = names.filter((nm) => textNow.includes(nm.toLowerCase()));
  console.log(`# redaction: ${names.length} entity names of the case checked, ${leaks.length} found in the document`);
  assert.deepEqual(leaks, []);
  assert.match(textNow, /\b(host|entity|account|ip)-\d+/);
  await shot(browser, "m08-redacted");
  // PNG at 2× with the title band, while redacted
  const png = await exportPng(browser, path.join(dir, "report-map"));
  assert.equal(png.w, png.mapW * 2);
  assert.ok(png.h > png.mapH * 2, "title and legend bands around the map");
  assert.ok(png.head > 4, "the title band has text");
  assert.ok(png.all > 10, "not blank");
  await (await $("#redact")).click();
  await (await $("#drawer-close")).click();
});

test("1280×800: screenshots of the main views", async () => {
  await browser.setWindowSize(1280, 800);
  await browser.pause(500);
  await (await $("#map-fit")).click();
  await browser.pause(400);
  const w = await win();
  const m = await rect("#map");
  console.log(`# 1280×800: map ${Math.round(m.w)} px of ${w.w} (${Math.round((100 * m.w) / w.w)} %)`);
  assert.ok(m.w / w.w >= 0.6);
  await shot(browser, "m09-1280-map");
  const ent = (await mapNodes(browser)).find((x) => x.startsWith("entity:"));
  await clickNode(browser, ent);
  await (await $("#tab-info")).click();
  await browser.pause(300);
  await shot(browser, "m10-1280-pane");
  await typeInto(browser, "#search-input", "EventID:4688");
  await browser.keys(["Enter"]);
  await waitFor(browser, async () => (await $("#search-total")).isExisting(), "results");
  await browser.pause(300);
  await shot(browser, "m11-1280-search");
  await (await $("#drawer-close")).click();
  // dark theme
  await (await $("#theme")).click();
  await browser.pause(300);
  await shot(browser, "m12-1280-dark");
  await (await $("#theme")).click();
  assert.deepEqual(await browser.execute(() => window.__cspViolations ?? []), []);
});
