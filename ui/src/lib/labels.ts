// Node labels without overlap (issue 12): candidates by priority (selection, path, hubs first),
// each placed to the right of its disc only if its box touches no label already placed. The
// map draws exactly the boxes returned, so a test can read them back from the renderer.

export interface LabelCand {
  id: string;
  /** Viewport position of the node centre and its rendered radius (CSS px). */
  x: number;
  y: number;
  size: number;
  label: string;
  priority: number;
}

export interface LabelBox {
  id: string;
  label: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

export function overlap(a: { x: number; y: number; w: number; h: number }, b: { x: number; y: number; w: number; h: number }): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

const CELL = 64;

/** Greedy placement by priority with a spatial hash; boxes off the viewport are skipped. */
export function placeLabels(
  cands: LabelCand[],
  measure: (s: string) => number,
  fontSize: number,
  width: number,
  height: number,
  /** Node discs a label must not cover (other than its own). */
  discs: { id: string; x: number; y: number; size: number }[] = [],
): LabelBox[] {
  const sorted = [...cands].sort((a, b) => b.priority - a.priority || a.id.localeCompare(b.id));
  const grid = new Map<string, LabelBox[]>();
  const out: LabelBox[] = [];
  const pad = 2;
  for (const d of discs) {
    const r = Math.max(2, d.size * 0.8);
    const b: LabelBox = { id: d.id, label: "", x: d.x - r, y: d.y - r, w: 2 * r, h: 2 * r };
    for (let i = Math.floor(b.x / CELL); i <= Math.floor((b.x + b.w) / CELL); i++)
      for (let j = Math.floor(b.y / CELL); j <= Math.floor((b.y + b.h) / CELL); j++) {
        const k = `${i},${j}`;
        const l = grid.get(k);
        if (l) l.push(b);
        else grid.set(k, [b]);
      }
  }
  for (const c of sorted) {
    if (!c.label) continue;
    const w = measure(c.label);
    // to the right of the disc, else to its left (both inside the viewport)
    const sides = [c.x + c.size + 3, c.x - c.size - 3 - w];
    let box: LabelBox | null = null;
    let x0 = 0, x1 = 0, y0 = 0, y1 = 0;
    for (const x of sides) {
      const b: LabelBox = { id: c.id, label: c.label, x, y: c.y - fontSize / 2 - 1, w, h: fontSize + 2 };
      if (b.x < 0 || b.x + b.w > width || b.y < 0 || b.y + b.h > height) continue;
      const padded = { x: b.x - pad, y: b.y - pad, w: b.w + 2 * pad, h: b.h + 2 * pad };
      x0 = Math.floor(padded.x / CELL);
      x1 = Math.floor((padded.x + padded.w) / CELL);
      y0 = Math.floor(padded.y / CELL);
      y1 = Math.floor((padded.y + padded.h) / CELL);
      let free = true;
      for (let i = x0; i <= x1 && free; i++) for (let j = y0; j <= y1 && free; j++) for (const o of grid.get(`${i},${j}`) ?? []) if (o.id !== c.id && overlap(o.label ? padded : b, o)) { free = false; break; }
      if (free) {
        box = b;
        break;
      }
    }
    if (!box) continue;
    out.push(box);
    for (let i = x0; i <= x1; i++) for (let j = y0; j <= y1; j++) {
      const k = `${i},${j}`;
      const l = grid.get(k);
      if (l) l.push(box);
      else grid.set(k, [box]);
    }
  }
  return out;
}
