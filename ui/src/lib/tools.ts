// Pure helpers behind the work tools (search, import, map tools); unit-tested in ui/test.

/** The query a node's "Search from here" pre-fills, from its kind and label. */
export function queryForNode(kind: string, label: string, id: string): string {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const field: Record<string, string> = {
    host: "host", account: "user", mailbox: "user", ip: "ip", process: "process", file: "file",
    filehash: "hash", url: "url", dns: "dns",
  };
  const f = field[kind.toLowerCase()];
  if (f) {
    // accounts: the bare user name also matches DOMAIN\\user and user@domain forms
    const acct = kind === "account" || kind === "mailbox";
    const name = acct ? (label.includes("\\") ? label.split("\\").pop()! : label.split("@")[0]) || label : label;
    return `${f}:${q(name)}`;
  }
  if (kind === "alert" || kind === "incident") return q(label);
  return q(label || id);
}

/** Split a query around a syntax error position (characters) for the underline. */
export function splitAt(query: string, position: number): [string, string, string] {
  const chars = [...query];
  const p = Math.max(0, Math.min(position, chars.length));
  const bad = chars[p] ?? " ";
  return [chars.slice(0, p).join(""), bad === " " ? "\u00a0" : bad, chars.slice(p + 1).join("")];
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

export function fmtSecs(s: number | null | undefined): string {
  if (s === null || s === undefined || !isFinite(s)) return "—";
  if (s < 1) return "<1 s";
  if (s < 90) return `${Math.round(s)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** Sorted distinct times of the map's dated nodes (the playback steps). */
export function timeSteps(nodes: { time: string | null }[]): string[] {
  return [...new Set(nodes.map((n) => n.time).filter((t): t is string => !!t))].sort();
}

/**
 * Nodes hidden while playing back up to `to`: dated nodes after it, and undated nodes whose
 * dated neighbours are all after it (an entity appears with its first alert or event).
 */
export function hiddenAtTime(
  nodes: { id: string; time: string | null }[],
  neighbours: (id: string) => string[],
  to: string,
): Set<string> {
  const time = new Map(nodes.map((n) => [n.id, n.time]));
  const out = new Set<string>();
  for (const n of nodes) if (n.time && n.time > to) out.add(n.id);
  for (const n of nodes) {
    if (n.time) continue;
    const dated = neighbours(n.id).filter((m) => time.get(m));
    if (dated.length > 0 && dated.every((m) => out.has(m))) out.add(n.id);
  }
  return out;
}

/** "Group by type": one column per kind, nodes of a kind stacked, in graph coordinates. */
export function groupPositions(nodes: { id: string; kind: string; label: string }[], gap = 60): { node: string; x: number; y: number }[] {
  const kinds = [...new Set(nodes.map((n) => n.kind))].sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  const out: { node: string; x: number; y: number }[] = [];
  kinds.forEach((k, col) => {
    const of = nodes.filter((n) => n.kind === k).sort((a, b) => a.label.localeCompare(b.label));
    of.forEach((n, row) => out.push({ node: n.id, x: col * gap * 3, y: (row - (of.length - 1) / 2) * gap }));
  });
  return out;
}
function order(kind: string): number {
  return ["incident", "alert", "host", "account", "ip", "process", "file", "event"].indexOf(kind) >>> 0;
}

export interface SvgNode { id: string; x: number; y: number; r: number; color: string; label: string }
export interface SvgEdge { from: string; to: string; color: string; width: number }

/** Characters XML 1.0 forbids (C0 controls but tab/newline/return, lone surrogates, U+FFFE/U+FFFF): dropped. */
const XML_ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** The map as a standalone SVG document. Labels are escaped (never markup) and XML-illegal characters dropped. */
export function buildSvg(
  width: number,
  height: number,
  bg: string,
  fg: string,
  nodes: SvgNode[],
  edges: SvgEdge[],
  meta: { title: string; subtitle: string; legend: { label: string; color: string }[] } | null = null,
): string {
  const esc = (s: string) => s.replace(XML_ILLEGAL, "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
  const n = (v: number) => (Math.round(v * 10) / 10).toString();
  const at = new Map(nodes.map((x) => [x.id, x]));
  const head = meta ? 56 : 0;
  const foot = meta ? 34 : 0;
  const parts = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n(width)}" height="${n(height + head + foot)}" viewBox="0 0 ${n(width)} ${n(height + head + foot)}">`,
    `<rect width="100%" height="100%" fill="${esc(bg)}"/>`,
  ];
  if (meta) {
    parts.push(`<text x="14" y="24" font-family="DejaVu Sans, sans-serif" font-size="17" font-weight="bold" fill="${esc(fg)}">${esc(meta.title)}</text>`);
    parts.push(`<text x="14" y="44" font-family="DejaVu Sans, sans-serif" font-size="12" fill="${esc(fg)}" opacity="0.75">${esc(meta.subtitle)}</text>`);
    let x = 14;
    parts.push(`<g font-family="DejaVu Sans, sans-serif" font-size="12" fill="${esc(fg)}">`);
    for (const l of meta.legend) {
      parts.push(`<circle cx="${n(x + 5)}" cy="${n(head + height + 18)}" r="5" fill="${esc(l.color)}"/><text x="${n(x + 14)}" y="${n(head + height + 22)}">${esc(l.label)}</text>`);
      x += 30 + l.label.length * 7;
    }
    parts.push(`</g>`);
  }
  parts.push(`<g transform="translate(0 ${head})">`, `<g stroke-linecap="round">`);
  for (const e of edges) {
    const a = at.get(e.from);
    const b = at.get(e.to);
    if (!a || !b) continue;
    parts.push(`<line x1="${n(a.x)}" y1="${n(a.y)}" x2="${n(b.x)}" y2="${n(b.y)}" stroke="${esc(e.color)}" stroke-width="${n(e.width)}"/>`);
  }
  parts.push(`</g><g font-family="DejaVu Sans, sans-serif" font-size="12" fill="${esc(fg)}">`);
  for (const x of nodes) {
    parts.push(`<circle cx="${n(x.x)}" cy="${n(x.y)}" r="${n(x.r)}" fill="${esc(x.color)}"/>`);
    if (x.label) parts.push(`<text x="${n(x.x + x.r + 3)}" y="${n(x.y + 4)}">${esc(x.label)}</text>`);
  }
  parts.push(`</g></g></svg>`);
  return parts.join("\n");
}
