import { h } from './dom.ts';
import { type Range, scrollTopFor, visibleRange } from './popup-state.ts';

/**
 * A windowed listbox: rows have one fixed height, and only the rows the scroll position shows (plus a
 * few either side) are in the DOM, each absolutely positioned at `index × rowHeight` over a sizer as
 * tall as every row together. 10,000 results cost the same to render as 10. Each row is a
 * `role="option"` with `aria-setsize`/`aria-posinset`, so screen readers still hear "5 of 10,000".
 */
export interface VirtualListOptions<T> {
  /** The `role="listbox"` element; it scrolls (CSS gives it a height and `overflow-y: auto`). */
  element: HTMLElement;
  rowHeight: number;
  /** Used when the element has no layout height (happy-dom, or before the first layout). */
  fallbackViewportHeight: number;
  overscan?: number;
  /** Prefix of the option ids (`<prefix>-<index>`), the targets of aria-activedescendant. */
  idPrefix: string;
  /** The content of one row (the option element around it is the list's). */
  renderRow(item: T, index: number): Node;
  /** A row was clicked. */
  onPick?(index: number): void;
  /** After each render: the popup loads more results when the window nears the end of the loaded ones. */
  onRender?(range: Range): void;
}

export class VirtualList<T> {
  readonly #options: VirtualListOptions<T>;
  readonly #sizer: HTMLElement;
  readonly #rows = new Map<number, HTMLElement>();
  #items: readonly T[] = [];
  #active = -1;
  /** `aria-setsize`: -1 ("unknown", WAI-ARIA 1.2) while more results may follow. */
  #setSize = 0;

  constructor(options: VirtualListOptions<T>) {
    this.#options = options;
    const { element } = options;
    const doc = element.ownerDocument;
    this.#sizer = h(doc, 'div', { class: 'vlist-sizer', 'aria-hidden': 'true' });
    element.appendChild(this.#sizer);
    element.addEventListener('scroll', this.#onScroll, { passive: true });
    element.addEventListener('click', this.#onClick);
    // Clicking a row must not move focus off the combobox input (mousedown would blur it).
    element.addEventListener('mousedown', this.#onMouseDown);
  }

  get items(): readonly T[] {
    return this.#items;
  }

  get active(): number {
    return this.#active;
  }

  /** Rows one viewport holds: the Page Up/Down step. */
  get pageSize(): number {
    return Math.max(1, Math.floor(this.#viewportHeight() / this.#options.rowHeight));
  }

  optionId(index: number): string {
    return `${this.#options.idPrefix}-${index}`;
  }

  /** Shows `items` from the top, nothing active. `complete: false` when more may follow (`extend`). */
  setItems(items: readonly T[], active = -1, complete = true): void {
    this.#items = items;
    this.#active = active >= 0 && active < items.length ? active : -1;
    for (const row of this.#rows.values()) row.remove();
    this.#rows.clear();
    this.#setSize = complete ? items.length : -1;
    this.#sizer.style.height = `${items.length * this.#options.rowHeight}px`;
    this.#options.element.scrollTop = 0;
    this.render();
  }

  /**
   * More of the same list (`items` starts with the current ones): keeps the scroll position, the active
   * row and the rows already rendered.
   */
  extend(items: readonly T[], complete: boolean): void {
    this.#items = items;
    this.#setSize = complete ? items.length : -1;
    this.#sizer.style.height = `${items.length * this.#options.rowHeight}px`;
    for (const row of this.#rows.values()) row.setAttribute('aria-setsize', String(this.#setSize));
    this.render();
  }

  /** Makes row `index` the active one and scrolls it into view; -1 for none. */
  setActive(index: number): void {
    const previous = this.#active;
    this.#active = index >= 0 && index < this.#items.length ? index : -1;
    const { element, rowHeight } = this.#options;
    if (this.#active >= 0) {
      const top = scrollTopFor(this.#active, element.scrollTop, this.#viewportHeight(), rowHeight);
      if (top !== element.scrollTop) element.scrollTop = top;
    }
    this.#rows.get(previous)?.setAttribute('aria-selected', 'false');
    this.render();
  }

  /** Brings the DOM in line with the scroll position: adds rows scrolled into view, drops the others. */
  render(): void {
    const { element, rowHeight, overscan } = this.#options;
    const { start, end } = visibleRange(element.scrollTop, this.#viewportHeight(), rowHeight, this.#items.length, overscan);
    for (const [index, row] of this.#rows) {
      if (index < start || index >= end) {
        row.remove();
        this.#rows.delete(index);
      }
    }
    const doc = element.ownerDocument;
    for (let index = start; index < end; index++) {
      let row = this.#rows.get(index);
      if (!row) {
        row = h(doc, 'div', {
          role: 'option',
          id: this.optionId(index),
          class: 'vlist-row',
          'data-testid': 'result-row',
          'data-index': index,
          'aria-setsize': this.#setSize,
          'aria-posinset': index + 1,
        });
        row.style.top = `${index * rowHeight}px`;
        row.style.height = `${rowHeight}px`;
        row.appendChild(this.#options.renderRow(this.#items[index] as T, index));
        this.#rows.set(index, row);
        element.appendChild(row);
      }
      row.setAttribute('aria-selected', index === this.#active ? 'true' : 'false');
    }
    this.#options.onRender?.({ start, end });
  }

  /** The rendered row element of `index`, if it is in the DOM. */
  rowElement(index: number): HTMLElement | undefined {
    return this.#rows.get(index);
  }

  destroy(): void {
    const { element } = this.#options;
    element.removeEventListener('scroll', this.#onScroll);
    element.removeEventListener('click', this.#onClick);
    element.removeEventListener('mousedown', this.#onMouseDown);
  }

  #viewportHeight(): number {
    return this.#options.element.clientHeight || this.#options.fallbackViewportHeight;
  }

  readonly #onScroll = (): void => this.render();

  readonly #onMouseDown = (event: Event): void => event.preventDefault();

  readonly #onClick = (event: Event): void => {
    const row = (event.target as Element | null)?.closest?.('[role="option"]');
    const index = Number(row?.getAttribute('data-index'));
    if (row && Number.isInteger(index)) this.#options.onPick?.(index);
  };
}
