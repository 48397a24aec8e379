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

/**
 * Fetches the pages of one paged list on demand (the pane's Timeline and group tables): each
 * page once, never two requests for the same page at a time, and nothing from before the
 * last `reset()` (a new filter, another node) lands in the list. `has(i)`: page `i` is there
 * (or cannot be asked yet); `fetch(i)`: read it; `put(i, items)`: keep it.
 */
export interface PageLoader {
  /** Forget pages in flight; returns the generation a first-page read should check. */
  reset(): number;
  /** Whether `gen` (from `reset`) is still the current one. */
  current(gen: number): boolean;
  /** Ask for page `i` unless it is there or on its way. */
  need(i: number): Promise<void>;
}

export function pageLoader<T>(opts: {
  has: (i: number) => boolean;
  fetch: (i: number) => Promise<T[]>;
  put: (i: number, items: T[]) => void;
  onError: (e: unknown) => void;
}): PageLoader {
  const inflight = new Set<number>();
  let gen = 0;
  return {
    reset() {
      inflight.clear();
      return ++gen;
    },
    current: (g) => g === gen,
    async need(i) {
      if (opts.has(i) || inflight.has(i)) return;
      inflight.add(i);
      const my = gen;
      try {
        const items = await opts.fetch(i);
        if (my === gen) opts.put(i, items);
      } catch (e) {
        if (my === gen) opts.onError(e);
      } finally {
        if (my === gen) inflight.delete(i);
      }
    },
  };
}
