/**
 * The small base class of the script-tag bundle's elements: the part of lit's ReactiveElement they
 * use — declared properties backed by attributes (`String`, `Boolean`, `Number`, optional
 * reflection), one batched `update(changed)` per microtask once connected, `updated()`,
 * `hasUpdated`, `updateComplete`, and properties set before the element was defined (a framework,
 * `createElement` before the script ran) taken over on upgrade — at a fifth of its bytes. The
 * elements render no templates, so nothing else of lit is needed; the preview panel, which renders
 * templates, keeps LitElement in its own chunk.
 */

export interface PropertyDeclaration {
  /** How an attribute's text becomes the property: `String` (default), `Boolean` (present), `Number`. */
  type?: typeof String | typeof Boolean | typeof Number;
  /** The attribute's name (default: the property name in lower case), or `false` for none. */
  attribute?: string | boolean;
  /** Write the property back to its attribute after each update. */
  reflect?: boolean;
}

export type PropertyValues = Map<PropertyKey, unknown>;

const fromAttribute = (type: PropertyDeclaration['type'], value: string | null): unknown =>
  type === Boolean ? value !== null : type === Number ? (value === null ? null : Number(value)) : value;

/** A constructable stylesheet from CSS text (for a shadow root's `adoptedStyleSheets`). */
export function sheet(css: string): CSSStyleSheet | undefined {
  try {
    const s = new CSSStyleSheet();
    s.replaceSync(css);
    return s;
  } catch { return undefined; /* no constructable stylesheets: the caller renders without */ }
}

export class BaseElement extends HTMLElement {
  static properties: Record<string, PropertyDeclaration> = {};
  /** attribute name → property name, per class. */
  static #attrs = new WeakMap<object, Map<string, string>>();

  static get observedAttributes(): string[] {
    return [...BaseElement.#finalize(this).keys()];
  }

  /** A class's declared properties, its parents' included. */
  static #declared(cls: typeof BaseElement): Record<string, PropertyDeclaration> {
    const parent = Object.getPrototypeOf(cls) as typeof BaseElement;
    return parent && parent !== BaseElement && 'properties' in parent ? { ...BaseElement.#declared(parent), ...cls.properties } : cls.properties;
  }

  /** Defines an accessor per declared property (once per class) and maps attributes to them. */
  static #finalize(cls: typeof BaseElement): Map<string, string> {
    let map = BaseElement.#attrs.get(cls);
    if (map) return map;
    map = new Map();
    BaseElement.#attrs.set(cls, map);
    for (const [name, decl] of Object.entries(BaseElement.#declared(cls))) {
      if (decl.attribute !== false) map.set(typeof decl.attribute === 'string' ? decl.attribute : name.toLowerCase(), name);
      if (Object.prototype.hasOwnProperty.call(cls.prototype, name)) continue;
      Object.defineProperty(cls.prototype, name, {
        get(this: BaseElement) { return this.#values.get(name); },
        set(this: BaseElement, value: unknown) {
          const old = this.#values.get(name);
          if (Object.is(old, value)) return;
          this.#values.set(name, value);
          this.requestUpdate(name, old);
        },
        configurable: true,
        enumerable: true,
      });
    }
    return map;
  }

  hasUpdated = false;
  #values = new Map<string, unknown>();
  #changed: PropertyValues = new Map();
  #pending = false;
  #connected = false;
  #reflecting = false;
  #done: Promise<boolean> = Promise.resolve(true);
  /** Properties set before the upgrade, applied again at the first update (after the upgrade's attribute callbacks). */
  #saved: Map<string, unknown> | undefined;

  constructor() {
    super();
    const cls = this.constructor as typeof BaseElement;
    BaseElement.#finalize(cls);
    // Properties set on the element before it was upgraded are own data properties that would hide
    // the accessors: take them over. They win over the attributes, as in lit.
    for (const name of Object.keys(BaseElement.#declared(cls))) {
      if (!Object.prototype.hasOwnProperty.call(this, name)) continue;
      const value = (this as unknown as Record<string, unknown>)[name];
      delete (this as unknown as Record<string, unknown>)[name];
      (this.#saved ??= new Map()).set(name, value);
    }
    this.requestUpdate();
  }

  /** Resolves after the pending update (true when no further one was requested meanwhile). */
  get updateComplete(): Promise<boolean> { return this.#done; }

  connectedCallback(): void {
    this.#connected = true;
    if (this.#pending) this.#schedule();
  }

  disconnectedCallback(): void {}

  attributeChangedCallback(attribute: string, old: string | null, value: string | null): void {
    if (this.#reflecting || old === value) return;
    const cls = this.constructor as typeof BaseElement;
    const name = BaseElement.#finalize(cls).get(attribute);
    if (name) (this as unknown as Record<string, unknown>)[name] = fromAttribute(BaseElement.#declared(cls)[name]!.type, value);
  }

  /** Asks for an update in a microtask; `name` and its old value go into the `changed` map. */
  requestUpdate(name?: PropertyKey, old?: unknown): void {
    if (name !== undefined && !this.#changed.has(name)) this.#changed.set(name, old);
    if (this.#pending && this.#scheduled) return;
    this.#pending = true;
    if (this.#connected) this.#schedule();
  }

  #scheduled = false;
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#done = Promise.resolve().then(() => {
      this.#scheduled = false;
      this.#pending = false;
      if (this.#saved) {
        for (const [name, value] of this.#saved) (this as unknown as Record<string, unknown>)[name] = value;
        this.#saved = undefined;
      }
      const changed = this.#changed;
      this.#changed = new Map();
      this.update(changed);
      this.hasUpdated = true;
      this.updated(changed);
      return !this.#pending;
    });
  }

  /** Reflects the properties declared with `reflect`; subclasses render after `super.update()`. */
  protected update(changed: PropertyValues): void {
    const cls = this.constructor as typeof BaseElement;
    const declared = BaseElement.#declared(cls);
    for (const [attribute, name] of BaseElement.#finalize(cls)) {
      if (!declared[name]!.reflect || !changed.has(name)) continue;
      const value = (this as unknown as Record<string, unknown>)[name];
      this.#reflecting = true;
      try {
        if (value === undefined || value === null || value === false) this.removeAttribute(attribute);
        else this.setAttribute(attribute, value === true ? '' : String(value));
      } finally { this.#reflecting = false; }
    }
  }

  protected updated(_changed: PropertyValues): void {}
}
