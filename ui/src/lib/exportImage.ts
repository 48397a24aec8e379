// The PNG a report can use (issue 12): the map picture (already rendered at `scale`×) framed by a
// header (title, case, time range) and a legend, drawn on one canvas. Text is canvas text,
// never markup.

export interface ExportMeta {
  title: string;
  subtitle: string;
  legend: { label: string; color: string }[];
  scale: number;
  bg: string;
  fg: string;
  muted: string;
}

const FONT = "DejaVu Sans, sans-serif";

/** Legend entries laid out in rows that fit `width` (pure: testable without a canvas). */
export function legendRows(items: { label: string; w: number }[], width: number, gap: number): number[][] {
  const rows: number[][] = [];
  let row: number[] = [];
  let x = 0;
  items.forEach((it, i) => {
    if (row.length && x + it.w > width) {
      rows.push(row);
      row = [];
      x = 0;
    }
    row.push(i);
    x += it.w + gap;
  });
  if (row.length) rows.push(row);
  return rows;
}

export function composeExport(map: HTMLCanvasElement, m: ExportMeta): HTMLCanvasElement {
  const s = m.scale;
  const pad = 14 * s;
  const measure = document.createElement("canvas").getContext("2d")!;
  measure.font = `${12 * s}px ${FONT}`;
  const items = m.legend.map((l) => ({ label: l.label, w: 14 * s + measure.measureText(l.label).width }));
  const rows = legendRows(items, map.width - 2 * pad, 16 * s);
  const head = 56 * s;
  const foot = (rows.length * 20 + 14) * s;
  const out = document.createElement("canvas");
  out.width = map.width;
  out.height = head + map.height + foot;
  const ctx = out.getContext("2d")!;
  ctx.fillStyle = m.bg;
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.textBaseline = "alphabetic";
  ctx.fillStyle = m.fg;
  ctx.font = `bold ${17 * s}px ${FONT}`;
  ctx.fillText(m.title, pad, 24 * s, out.width - 2 * pad);
  ctx.fillStyle = m.muted;
  ctx.font = `${12 * s}px ${FONT}`;
  ctx.fillText(m.subtitle, pad, 44 * s, out.width - 2 * pad);
  ctx.drawImage(map, 0, head);
  ctx.strokeStyle = m.muted;
  ctx.globalAlpha = 0.4;
  ctx.strokeRect(0.5, head + 0.5, map.width - 1, map.height - 1);
  ctx.globalAlpha = 1;
  ctx.font = `${12 * s}px ${FONT}`;
  rows.forEach((row, r) => {
    let x = pad;
    const y = head + map.height + (18 + r * 20) * s;
    for (const i of row) {
      ctx.fillStyle = m.legend[i].color;
      ctx.beginPath();
      ctx.arc(x + 5 * s, y - 4 * s, 5 * s, 0, Math.PI * 2);
      ctx.fill();
      ctx.fillStyle = m.fg;
      ctx.fillText(m.legend[i].label, x + 14 * s, y);
      x += items[i].w + 16 * s;
    }
  });
  return out;
}
