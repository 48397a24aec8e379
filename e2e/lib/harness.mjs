// Shared harness: starts tauri-driver (→ WebKitWebDriver → the real caseboard-app), opens
// WebDriver sessions, builds cases with the `caseboard` CLI, saves screenshots.
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { remote } from "webdriverio";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const application = process.env.TAURI_APP ?? path.join(root, "target/debug/caseboard-app");
export const cli = process.env.CASEBOARD_CLI ?? path.join(root, "target/debug/caseboard");
export const shots = process.env.E2E_SHOTS ?? path.join(root, "logs/screenshots");
fs.mkdirSync(shots, { recursive: true });

const made = [];
// Temporary cases and generated files go when the test process ends (E2E_KEEP=1 keeps them).
process.on("exit", () => {
  if (process.env.E2E_KEEP) return;
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

export function tmpdir(name) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `caseboard-e2e-${name}-`));
  made.push(d);
  return d;
}

/** Run the caseboard CLI; parse JSON when asked. */
export function cb(args, json = true) {
  const out = execFileSync(cli, args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 512 * 1024 * 1024 });
  return json ? JSON.parse(out) : out;
}

function waitForPort(port, timeoutMs = 20000) {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tryOnce = () => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve();
      });
      s.once("error", () => {
        s.destroy();
        if (Date.now() - t0 > timeoutMs) reject(new Error(`port ${port} not open`));
        else setTimeout(tryOnce, 100);
      });
    };
    tryOnce();
  });
}

/** A free loopback port (so several e2e runs can share a machine). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** A tauri-driver whose app sees `env` (the app inherits the driver's environment). */
export async function startDriver(env) {
  const port = await freePort(); // tauri-driver's own port
  let native = await freePort(); // WebKitWebDriver's
  while (native === port) native = await freePort();
  const driver = spawn(process.env.TAURI_DRIVER ?? "tauri-driver", ["--port", String(port), "--native-port", String(native)], {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, ...env },
    // its own process group: stop() ends tauri-driver, WebKitWebDriver and every app they
    // started, so no orphaned app keeps our stdout open (node would never exit)
    detached: true,
  });
  await waitForPort(port);
  return {
    port,
    async session() {
      const browser = await remote({
        hostname: "127.0.0.1",
        port,
        logLevel: "warn",
        connectionRetryTimeout: 60000,
        capabilities: {
          browserName: "wry",
          "tauri:options": { application },
          "wdio:enforceWebDriverClassic": true,
        },
      });
      await browser.setWindowSize(1280, 800).catch(() => {});
      return browser;
    },
    stop() {
      // SIGTERM (not SIGKILL) so tauri-driver also stops WebKitWebDriver; the group signal
      // reaches an app that outlived its session too; a SIGKILL backstop follows
      const group = -driver.pid;
      try {
        process.kill(group, "SIGTERM");
      } catch {
        driver.kill("SIGTERM");
      }
      setTimeout(() => {
        try {
          process.kill(group, "SIGKILL");
        } catch {
          /* already gone */
        }
      }, 3000).unref();
    },
  };
}

export async function shot(browser, name) {
  await browser.pause(400); // let the last frame reach the X server
  const file = path.join(shots, `${name}.png`);
  await browser.saveScreenshot(file);
  console.log(`# screenshot: ${file}`);
  return file;
}

export async function waitFor(browser, fn, what, timeout = 15000) {
  await browser.waitUntil(fn, { timeout, interval: 100, timeoutMsg: `timed out waiting for ${what}` });
}

/** Real mouse actions (WebDriver pointer source), released afterwards. */
export async function pointer(browser, actions) {
  await browser.performActions([{ type: "pointer", id: "mouse", parameters: { pointerType: "mouse" }, actions }]);
  await browser.releaseActions();
}

/** Move to a point and press/release a button there (0 = left, 2 = right). */
export function press(p, button = 0) {
  return [
    { type: "pointerMove", duration: 0, origin: "viewport", x: p.x, y: p.y },
    { type: "pointerDown", button },
    { type: "pause", duration: 60 },
    { type: "pointerUp", button },
  ];
}

/** Where the node is drawn, once it stays put (the map settles its size and camera first). */
async function nodeAt(browser, id) {
  let p = null;
  for (let i = 0; i < 20; i++) {
    const q = await browser.execute((n) => window.__cbMap?.screenPos(n) ?? null, id);
    if (!q) throw new Error(`node ${id} is not on the map`);
    if (p && p.x === q.x && p.y === q.y) return q;
    p = q;
    await browser.pause(120);
  }
  return p;
}

/** Click a map node where sigma draws it (real pointer events on the canvas). */
export async function clickNode(browser, id) {
  await pointer(browser, press(await nodeAt(browser, id)));
  await browser.pause(350); // so the next click is not taken for a double click
}

export async function mapNodes(browser) {
  return (await browser.execute(() => window.__cbMap?.nodes() ?? [])).sort();
}

export async function nodeCount(browser) {
  return Number(await (await browser.$("#map-node-count")).getText());
}

/** Open a node's context menu with a real right-click on its disc (the menu counts first). */
export async function openNodeMenu(browser, id) {
  const p = await nodeAt(browser, id);
  // a bar or the legend drawn over the node would take the click
  const onMap = await browser.execute((q) => document.elementFromPoint(q.x, q.y)?.closest("#map") !== null, p);
  if (!onMap) throw new Error(`node ${id} is covered at ${p.x},${p.y}`);
  const shown = async () => (await browser.$$("#explore-menu button[data-query], #menu-open-group, #menu-unfold")).length > 0 || (await browser.execute(() => document.querySelector("#explore-menu")?.textContent.includes("Nothing to explore") ?? false));
  await pointer(browser, press(p, 2));
  // the first right-click on a freshly opened map is sometimes lost under WebKitWebDriver
  // (its synthetic events; not reproduced by hand): one more try before failing
  const first = await browser.waitUntil(shown, { timeout: 4000, interval: 100 }).then(() => true, () => false);
  if (!first) {
    console.log(`# right-click on ${id} showed no menu; retrying once`);
    await browser.pause(600);
    await pointer(browser, press(p, 2));
  }
  await waitFor(browser, shown, `menu of ${id}`).catch(async (e) => {
    const why = await browser.execute(() => JSON.stringify({ menu: document.querySelector("#explore-menu")?.outerHTML?.slice(0, 200) ?? null, err: document.querySelector("#error-banner")?.textContent ?? null, sel: window.__cbMap?.selection(), title: document.querySelector("#pane-title")?.textContent }));
    throw new Error(`${e.message}: ${why}`);
  });
  await browser.pause(150);
}

/** Click a control of the map's Tools panel (the toolbar's overflow), opening it first. */
export async function tool(browser, selector) {
  const panel = await browser.$("#map-tools-panel");
  if (!(await panel.isDisplayed())) await (await browser.$("#map-more-toggle")).click();
  await (await browser.$(selector)).click();
}

/** Type into a bound input as a user would (WebKitWebDriver's setValue drops Shift: `"` → `'`). */
export async function typeInto(browser, selector, value) {
  await browser.execute(
    (s, v) => {
      const el = document.querySelector(s);
      el.focus();
      el.value = v;
      el.dispatchEvent(new Event("input", { bubbles: true }));
    },
    selector,
    value,
  );
}

/** The window's number format (thousands separators). */
export const fmt = (n) => n.toLocaleString("en-US");

/** Real pointer clicks on map nodes with Ctrl held (a key source ticking alongside the mouse). */
export async function ctrlClick(browser, ids) {
  const pts = [];
  for (const id of ids) pts.push(await browser.execute((n) => window.__cbMap.screenPos(n), id));
  const mouse = [{ type: "pause", duration: 0 }];
  for (const p of pts) mouse.push({ type: "pointerMove", duration: 0, origin: "viewport", x: p.x, y: p.y }, { type: "pointerDown", button: 0 }, { type: "pause", duration: 50 }, { type: "pointerUp", button: 0 }, { type: "pause", duration: 380 });
  mouse.push({ type: "pause", duration: 0 });
  const keys = [{ type: "keyDown", value: "\uE009" }, ...mouse.slice(1, -1).map(() => ({ type: "pause", duration: 0 })), { type: "keyUp", value: "\uE009" }];
  await browser.performActions([
    { type: "key", id: "kb", actions: keys },
    { type: "pointer", id: "mouse", parameters: { pointerType: "mouse" }, actions: mouse },
  ]);
  await browser.releaseActions();
  await browser.pause(200);
}

/** The first pair of label boxes (as the renderer drew them) that overlap, or null. */
export function labelOverlap(boxes) {
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i];
      const b = boxes[j];
      if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) return `${a.label} / ${b.label}`;
    }
  return null;
}

/** From the search box (Ctrl+K), Tab until the map has focus; false if it never does. */
export async function tabToMap(browser) {
  await browser.keys(["Control", "k"]);
  await browser.keys(["Control"]);
  for (let i = 0; i < 200; i++) {
    await browser.keys(["Tab"]);
    if (await browser.execute(() => document.activeElement?.id === "map")) return true;
  }
  return false;
}

/** Export the map as PNG through the Tools panel into `base`.png and read it back: its size,
 *  the colours of the title band (text there) and of the whole image (not blank). */
export async function exportPng(browser, base) {
  await browser.execute((b) => (window.__cbSaveAs = b), base);
  const m = await browser.execute(() => {
    const r = document.querySelector("#map").getBoundingClientRect();
    return { w: r.width, h: r.height };
  });
  await tool(browser, "#export-png");
  await waitFor(browser, async () => fs.existsSync(`${base}.png`) && fs.statSync(`${base}.png`).size > 0, "PNG written");
  await browser.execute(() => (window.__cbSaveAs = undefined));
  await (await browser.$("#map-more-toggle")).click();
  const file = JSON.stringify(`${base}.png`);
  const [w, h] = execFileSync("identify", ["-format", "%w %h", `${base}.png`], { encoding: "utf8" }).trim().split(" ").map(Number);
  const head = Number(execFileSync("convert", [`${base}.png`, "-crop", `${w}x100+0+0`, "-format", "%k", "info:"], { encoding: "utf8" }).trim());
  const all = Number(execFileSync("convert", [`${base}.png`, "-format", "%k", "info:"], { encoding: "utf8" }).trim());
  console.log(`# png export ${file}: ${w}×${h} (${fs.statSync(`${base}.png`).size} bytes) for a ${Math.round(m.w)}×${Math.round(m.h)} map; ${head} colours in the title band, ${all} in all`);
  return { w, h, head, all, mapW: Math.round(m.w), mapH: Math.round(m.h) };
}
