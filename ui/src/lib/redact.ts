// Redaction for screenshots and shared exports (issue 12): every entity name the window knows
// gets one pseudonym ("host-1", "account-2"), the same wherever it shows (queue, pane,
// breadcrumb, search, map, exports); free text (alert names, descriptions, summaries, raw
// JSON) has every known name replaced by its pseudonym.

const PARTS_OF = new Set(["account", "host", "mailbox", "dns"]);

function norm(s: string): string {
  return s.trim().toLowerCase();
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export class Pseudonyms {
  private byName = new Map<string, string>();
  private counters = new Map<string, number>();
  private re: RegExp | null = null;

  /** The pseudonym of an entity name (registering it on first sight). */
  name(label: string, kind = "entity"): string {
    const k = norm(label);
    if (!k) return label;
    const known = this.byName.get(k);
    if (known) return known;
    const prefix = kind.toLowerCase().replace(/[^a-z0-9-]/g, "") || "entity";
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    const p = `${prefix}-${n}`;
    this.byName.set(k, p);
    if (PARTS_OF.has(prefix)) {
      // the user of DOMAIN\\user or user@domain, the host of host.domain (never the domain)
      const parts = [label.includes("\\") ? label.split("\\").pop()! : "", label.includes("@") ? label.split("@")[0] : "", prefix === "account" || prefix === "mailbox" ? "" : label.split(".")[0]];
      for (const part of parts) {
        const pk = norm(part);
        if (pk.length >= 4 && pk !== k && !this.byName.has(pk)) this.byName.set(pk, p);
      }
    }
    this.re = null;
    return p;
  }

  /** Free text with every known name (3+ characters) replaced, longest first. */
  scrub(text: string): string {
    if (!text || this.byName.size === 0) return text;
    if (!this.re) {
      const names = [...this.byName.keys()].filter((n) => n.length >= 3).sort((a, b) => b.length - a.length);
      if (names.length === 0) return text;
      this.re = new RegExp(`(?<![\\p{L}\\p{N}])(?:${names.map(escapeRe).join("|")})(?![\\p{L}\\p{N}])`, "giu");
    }
    return text.replace(this.re, (m) => this.byName.get(m.toLowerCase()) ?? m);
  }

  size(): number {
    return this.byName.size;
  }
}

/** A map node's label when redacted: entities by pseudonym, other kinds (alerts, events) scrubbed. */
export function redactNodeLabel(p: Pseudonyms, kind: string, label: string): string {
  if (kind === "alert" || kind === "incident" || kind === "event" || kind === "group") return p.scrub(label);
  return p.name(label, kind);
}
