// What a visitor sees in an element, as text, for end-to-end tests: like innerText (rendered and
// visible text only, blocks apart; whitespace collapsed here), but over the flat tree, so text an
// element renders in its shadow root (a merge tag's value, a flag's) counts, and children a shadow
// root does not show (a baseline under a variant) do not. Self-contained: it runs in the page
// (`page.evaluate(shownText, selector)`); the same as shownText() of test/helpers/elements.ts.

/** @param {string} selector @returns {string | null} the first match's shown text, or null without a match */
export function shownText(selector) {
  const flat = (node, visibility) => {
    if (node.nodeType === 3) return visibility === 'visible' ? node.data : '';
    if (node.nodeType !== 1) return '';
    const style = node.ownerDocument.defaultView.getComputedStyle(node);
    if (style.display === 'none' || node.localName === 'script' || node.localName === 'style') return '';
    const assigned = node.localName === 'slot' ? node.assignedNodes() : [];
    const kids = assigned.length ? assigned : [...(node.shadowRoot ?? node).childNodes];
    const inner = kids.map((k) => flat(k, style.visibility)).join('');
    return node.localName === 'br' ? '\n' : /^(inline|contents)/.test(style.display) ? inner : `\n${inner}\n`;
  };
  const el = document.querySelector(selector);
  return el ? flat(el, '').replace(/\s+/g, ' ').trim() : null;
}
