// A virtualised list over pages fetched on demand (the pane's Timeline and group tables,
// issue 12): which rows are on screen, which pages they need, and the rows to draw.

/** Rows in view (with a few either side) of a list of `total` rows `row` px high. */
export function visibleRange(scrollTop: number, viewH: number, total: number, row: number, pad = 5): { first: number; last: number } {
  return { first: Math.max(0, Math.floor(scrollTop / row) - pad), last: Math.min(total, Math.ceil((scrollTop + viewH) / row) + pad) };
}

/** The page numbers rows `first..last` fall in. */
export function pagesOf(first: number, last: number, page: number): number[] {
  const out: number[] = [];
  for (let i = Math.floor(first / page); i <= Math.floor(Math.max(first, last - 1) / page); i++) out.push(i);
  return out;
}

/** Rows `first..last` with their item, or null while its page is loading. */
export function rowsOf<T>(first: number, last: number, pages: Record<number, T[]>, page: number): { i: number; item: T | null }[] {
  const out: { i: number; item: T | null }[] = [];
  for (let i = first; i < last; i++) out.push({ i, item: pages[Math.floor(i / page)]?.[i % page] ?? null });
  return out;
}
