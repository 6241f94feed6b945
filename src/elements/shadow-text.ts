/**
 * What `<ctfl-flag>` and `<ctfl-merge-tag>` render, in their own shadow root: either their children
 * (a `<slot>`) or one text node. Text only, never HTML; the text inherits the element's styles. The
 * children are never touched, so a framework that renders them (and hydrates them from server HTML)
 * finds them as it left them.
 */
const roots = new WeakMap<HTMLElement, { slot: HTMLSlotElement; text: Text }>();

/** Shows the element's children (`null`) or `text` instead (`''`: nothing). */
export function renderShadow(host: HTMLElement, text: string | null): void {
  let r = roots.get(host);
  if (!r) {
    const doc = host.ownerDocument;
    r = { slot: doc.createElement('slot'), text: doc.createTextNode('') };
    roots.set(host, r);
    (host.shadowRoot ?? host.attachShadow({ mode: 'open' })).append(r.slot);
  }
  const root = host.shadowRoot!;
  const node = text === null ? r.slot : r.text;
  if (text !== null && r.text.data !== text) r.text.data = text;
  if (root.firstChild !== node || root.childNodes.length !== 1) root.replaceChildren(node);
}

/** Children worth showing: an element, or text that is not only whitespace (markup indentation). */
export const hasContent = (host: Element): boolean =>
  [...host.childNodes].some((n) => n.nodeType === 1 || (n.nodeType === 3 && (n as Text).data.trim() !== ''));
