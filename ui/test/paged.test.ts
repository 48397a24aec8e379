// The pane's paged lists (issue 12): which rows are drawn, which pages they need, and the page
// loader shared by the Timeline and the group tables.
import { describe, expect, it } from "vitest";
import { pageLoader, pagesOf, rowsOf, visibleRange } from "../src/lib/paged";

/** A promise resolved from outside. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
}

describe("visible rows and pages", () => {
  it("covers the rows on screen with a margin, inside the list", () => {
    expect(visibleRange(0, 220, 1000, 22)).toEqual({ first: 0, last: 15 });
    expect(visibleRange(2200, 220, 1000, 22)).toEqual({ first: 95, last: 115 });
    expect(visibleRange(0, 220, 3, 22)).toEqual({ first: 0, last: 3 });
  });
  it("names every page the rows fall in", () => {
    expect(pagesOf(0, 15, 200)).toEqual([0]);
    expect(pagesOf(195, 215, 200)).toEqual([0, 1]);
    expect(pagesOf(400, 400, 200)).toEqual([2]);
  });
  it("draws loaded rows and placeholders", () => {
    const rows = rowsOf(198, 202, { 0: Array.from({ length: 200 }, (_, i) => `r${i}`) }, 200);
    expect(rows.map((r) => r.item)).toEqual(["r198", "r199", null, null]);
  });
});

describe("pageLoader", () => {
  function setup() {
    const pages: Record<number, string[]> = {};
    const asked: number[] = [];
    const waits = new Map<number, ReturnType<typeof deferred<string[]>>>();
    const errors: unknown[] = [];
    const loader = pageLoader<string>({
      has: (i) => !!pages[i],
      fetch: (i) => {
        asked.push(i);
        const d = deferred<string[]>();
        waits.set(i, d);
        return d.promise;
      },
      put: (i, items) => (pages[i] = items),
      onError: (e) => errors.push(e),
    });
    return { pages, asked, waits, errors, loader };
  }

  it("asks for a page once while it is on its way and once it is there", async () => {
    const t = setup();
    const a = t.loader.need(1);
    const b = t.loader.need(1);
    expect(t.asked).toEqual([1]);
    t.waits.get(1)!.resolve(["x"]);
    await Promise.all([a, b]);
    expect(t.pages[1]).toEqual(["x"]);
    await t.loader.need(1);
    expect(t.asked).toEqual([1]);
  });

  it("drops what arrives after a reset, and asks again", async () => {
    const t = setup();
    const old = t.loader.need(2);
    const g = t.loader.reset();
    expect(t.loader.current(g)).toBe(true);
    const fresh = t.loader.need(2);
    expect(t.asked).toEqual([2, 2]);
    t.waits.get(2)!.resolve(["new"]); // the second request's deferred replaced the first
    await fresh;
    expect(t.pages[2]).toEqual(["new"]);
    expect(t.loader.current(g - 1)).toBe(false);
    void old;
  });

  it("an old page that lands late does not overwrite the new list", async () => {
    const t = setup();
    const old = t.loader.need(0);
    const first = t.waits.get(0)!;
    t.loader.reset();
    first.resolve(["stale"]);
    await old;
    expect(t.pages[0]).toBeUndefined();
  });

  it("reports a failed page and lets it be asked again", async () => {
    const t = setup();
    const p = t.loader.need(3);
    t.waits.get(3)!.reject(new Error("gone"));
    await p;
    expect(t.errors).toHaveLength(1);
    const again = t.loader.need(3);
    expect(t.asked).toEqual([3, 3]);
    t.waits.get(3)!.resolve(["ok"]);
    await again;
    expect(t.pages[3]).toEqual(["ok"]);
  });
});
