// Node labels without overlap (issue 12): candidates by priority (selection, path, hubs first),
// each placed right of its disc (else left, above, below) only where its box touches no label
// or other disc already placed. The
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
  /** Drawn by sigma (the selected node's box), only kept clear here. */
  reserved?: boolean;
}

export function overlap(a: { x: number; y: number; w: number; h: number }, b: { x: number; y: number; w: number; h: number }): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

const CELL = 64;

/**
 * Greedy placement by priority over a flat spatial hash of the viewport (cells of 64 px, no
 * string keys: at 10k nodes this runs once per camera rest, not per frame). Boxes off the
 * viewport are skipped. `reserved` are labels drawn by someone else (sigma's box of the
 * selected node): nothing is placed over them and they are returned too, marked `reserved`.
 */
export function placeLabels(
  cands: LabelCand[],
  measure: (s: string) => number,
  fontSize: number,
  width: number,
  height: number,
  /** Node discs a label must not cover (other than its own). */
  discs: { id: string; x: number; y: number; size: number }[] = [],
  reserved: LabelBox[] = [],
): LabelBox[] {
  const sorted = [...cands].sort((a, b) => b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const cols = Math.max(1, Math.ceil(width / CELL) + 1);
  const rows = Math.max(1, Math.ceil(height / CELL) + 1);
  const grid: (LabelBox[] | undefined)[] = new Array(cols * rows);
  const col = (x: number) => Math.min(cols - 1, Math.max(0, Math.floor(x / CELL)));
  const row = (y: number) => Math.min(rows - 1, Math.max(0, Math.floor(y / CELL)));
  const insert = (b: { x: number; y: number; w: number; h: number }, box: LabelBox) => {
    const i1 = col(b.x + b.w), j1 = row(b.y + b.h);
    for (let i = col(b.x); i <= i1; i++)
      for (let j = row(b.y); j <= j1; j++) {
        const k = j * cols + i;
        const l = grid[k];
        if (l) l.push(box);
        else grid[k] = [box];
      }
  };
  const out: LabelBox[] = [];
  const pad = 2;
  for (const d of discs) {
    if (d.x < -d.size || d.y < -d.size || d.x > width + d.size || d.y > height + d.size) continue;
    const r = Math.max(2, d.size * 0.8);
    const b: LabelBox = { id: d.id, label: "", x: d.x - r, y: d.y - r, w: 2 * r, h: 2 * r };
    insert(b, b);
  }
  const taken = new Set<string>();
  for (const r of reserved) {
    const b: LabelBox = { ...r, reserved: true };
    out.push(b);
    taken.add(b.id);
    insert(b, b);
  }
  for (const c of sorted) {
    if (!c.label || taken.has(c.id)) continue;
    const w = measure(c.label);
    // to the right of the disc, else to its left, else above or below it (inside the viewport)
    let box: LabelBox | null = null;
    let padded = { x: 0, y: 0, w: 0, h: 0 };
    const h = fontSize + 2;
    for (let side = 0; side < 4 && !box; side++) {
      const x = side === 0 ? c.x + c.size + 3 : side === 1 ? c.x - c.size - 3 - w : c.x - w / 2;
      const y = side < 2 ? c.y - fontSize / 2 - 1 : side === 2 ? c.y - c.size - 2 - h : c.y + c.size + 2;
      const b: LabelBox = { id: c.id, label: c.label, x, y, w, h };
      if (b.x < 0 || b.x + b.w > width || b.y < 0 || b.y + b.h > height) continue;
      padded = { x: b.x - pad, y: b.y - pad, w: b.w + 2 * pad, h: b.h + 2 * pad };
      const i1 = col(padded.x + padded.w), j1 = row(padded.y + padded.h);
      let free = true;
      for (let i = col(padded.x); i <= i1 && free; i++)
        for (let j = row(padded.y); j <= j1 && free; j++) {
          const l = grid[j * cols + i];
          if (l) for (const o of l) if (o.id !== c.id && overlap(o.label ? padded : b, o)) { free = false; break; }
        }
      if (free) box = b;
    }
    if (!box) continue;
    out.push(box);
    insert(padded, box);
  }
  return out;
}
