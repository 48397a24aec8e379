// Map selection logic (issue 12), pure: click with modifiers, box select, keyboard cycling.

/** Click: plain replaces, Ctrl/Cmd toggles, Shift adds. Returns the new selection, primary last. */
export function clickSelect(current: string[], id: string, mods: { ctrl: boolean; shift: boolean }): string[] {
  if (mods.ctrl) return current.includes(id) ? current.filter((x) => x !== id) : [...current, id];
  if (mods.shift) return [...current.filter((x) => x !== id), id];
  return [id];
}

export interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export function normRect(r: Rect): Rect {
  return { x0: Math.min(r.x0, r.x1), y0: Math.min(r.y0, r.y1), x1: Math.max(r.x0, r.x1), y1: Math.max(r.y0, r.y1) };
}

/** Nodes whose centre lies in the dragged rectangle (viewport coordinates). */
export function inRect(points: { id: string; x: number; y: number }[], r: Rect): string[] {
  const n = normRect(r);
  return points.filter((p) => p.x >= n.x0 && p.x <= n.x1 && p.y >= n.y0 && p.y <= n.y1).map((p) => p.id);
}

/** Next/previous node in reading order (top to bottom, then left to right), wrapping. */
export function cycle(points: { id: string; x: number; y: number }[], current: string | null, delta: 1 | -1): string | null {
  if (points.length === 0) return null;
  const order = [...points].sort((a, b) => Math.round(a.y / 24) - Math.round(b.y / 24) || a.x - b.x || a.id.localeCompare(b.id));
  const i = current ? order.findIndex((p) => p.id === current) : -1;
  if (i < 0) return order[delta === 1 ? 0 : order.length - 1].id;
  return order[(i + delta + order.length) % order.length].id;
}

/** Nearest node in an arrow's direction (within a 90° cone); null when there is none. */
export function nearestInDirection(points: { id: string; x: number; y: number }[], current: string, dir: "left" | "right" | "up" | "down"): string | null {
  const c = points.find((p) => p.id === current);
  if (!c) return null;
  let best: string | null = null;
  let bestD = Infinity;
  for (const p of points) {
    if (p.id === current) continue;
    const dx = p.x - c.x;
    const dy = p.y - c.y;
    const ok = dir === "right" ? dx > 0 && Math.abs(dy) <= dx : dir === "left" ? dx < 0 && Math.abs(dy) <= -dx : dir === "down" ? dy > 0 && Math.abs(dx) <= dy : dy < 0 && Math.abs(dx) <= -dy;
    if (!ok) continue;
    const d = dx * dx + dy * dy;
    if (d < bestD) {
      bestD = d;
      best = p.id;
    }
  }
  return best;
}
