// The one way a value enters the report's HTML: `html` escapes every interpolated value (text and attribute
// alike) unless it is markup that `html` itself produced, so no step name or log line can become markup.

/** Markup built by `html`: inserted as is. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type Value = Html | string | number | boolean | null | undefined | readonly Value[];

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text as HTML text or attribute value: `& < > " '` as entities. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

function render(v: Value): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return (v as readonly Value[]).map(render).join('');
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(String(v));
}

/** Tagged template: the literal parts are markup, every `${value}` is escaped (arrays joined, null omitted). */
export function html(parts: TemplateStringsArray, ...values: readonly Value[]): Html {
  let out = parts[0];
  values.forEach((v, i) => (out += render(v) + parts[i + 1]));
  return new Html(out);
}
