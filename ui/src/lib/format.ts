// Number formatting shared by every view: thousands separators everywhere (issue 12).
const NF = new Intl.NumberFormat("en-US");

export function fmtInt(n: number | null | undefined): string {
  return n === null || n === undefined || !isFinite(n) ? "—" : NF.format(Math.round(n));
}

/** "1 alert" / "2 alerts" / "1,950 IPs" with the separator. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${fmtInt(n)} ${n === 1 ? one : many}`;
}
