// Hover text: a field or block key shows its schema entry (the type, required or default, and meaning that
// docs/fields.md is generated from); a package, stage, template or parameter name shows what it declares.
import type { Hover } from 'vscode-languageserver';
import type { Loc, Param, TemplateDecl } from '../../grammar/syntax.js';
import type { Model } from '../resolve/model.js';
import { describeType, type BlockSpec, type FieldSpec } from '../schema.js';
import type { Sym } from './locate.js';
import { rangeOf } from './positions.js';

/** A field's schema entry in markdown: the columns of docs/fields.md. */
export function fieldDoc(key: string, f: FieldSpec): string {
  const def = f.default === undefined || f.default === null ? '' : `, default \`${JSON.stringify(f.default)}\``;
  return `\`${key}\` — ${describeType(f.type.name)}${f.required ? ', required' : ''}${def}\n\n${f.doc}`;
}

/** A block's schema entry in markdown, with the fields it takes. */
export function blockDoc(key: string, b: BlockSpec): string {
  const head = `\`${key}${b.label ? ' "…"' : ''} { … }\`${b.repeat ? ' (repeatable)' : ''}\n\n${b.doc}`;
  if (b.spec === 'env') return `${head}\n\nItems are \`NAME = "value"\`.`;
  const fields = Object.entries(b.spec.fields).map(([k, f]) => `- ${fieldDoc(k, f).replace('\n\n', ': ')}`);
  return fields.length ? `${head}\n\n${fields.join('\n')}` : head;
}

/** `file:line` of a declaration, relative to the stages root. */
const where = (loc: Loc) => `${loc.file}:${loc.line}`;

/** A parameter as declared: `name: type = default` (the default as written). */
function paramText(p: Param, text: string | undefined): string {
  const def =
    p.default && text !== undefined ? ` = ${text.slice(p.default.loc.offset, p.default.loc.endOffset + 1)}` : '';
  return `${p.name.name}: ${p.type.name}${def}`;
}

function templateHead(decl: TemplateDecl, texts: ReadonlyMap<string, string>): string {
  const text = texts.get(decl.loc.file);
  return `template \`${decl.name.name}(${decl.params.map((p) => paramText(p, text)).join(', ')})\``;
}

/** The hover markdown for `sym`, or null when there is nothing to say. */
export function hoverText(sym: Sym, model: Model, texts: ReadonlyMap<string, string>): string | null {
  switch (sym.kind) {
    case 'field':
      return fieldDoc(sym.key, sym.spec);
    case 'block':
      return blockDoc(sym.key, sym.spec);
    case 'package': {
      const pkgs = [...model.packages.values()].filter(
        (p) => p.name === sym.name && (sym.stage === null || p.stage === sym.stage),
      );
      if (pkgs.length === 0) return null;
      return pkgs
        .map((p) => {
          const head = p.passOf === null ? `package \`${p.name}\`` : `pass \`${p.name}\` of \`${p.passOf}\``;
          const version = p.version ? ` — version \`${p.version.value}\`` : '';
          return `${head} in \`${p.stage}\`${version}\n\ndeclared at ${where(p.decl.name.loc)}`;
        })
        .join('\n\n---\n\n');
    }
    case 'stage': {
      const s = model.stages.get(sym.name);
      if (!s) return null;
      const after = s.after ? ` — after \`${s.after.name}\`` : '';
      const chroot = s.chroot ? ' — steps run in a chroot' : '';
      const description = s.description ? `\n\n${s.description}` : '';
      return `stage \`${s.name}\`${after}${chroot}${description}\n\ndeclared at ${where(s.decl.name.loc)}`;
    }
    case 'template': {
      const t = model.templates.get(sym.name);
      return t ? `${templateHead(t.decl, texts)}\n\ndeclared at ${where(t.decl.name.loc)}` : null;
    }
    case 'param': {
      const t = model.templates.get(sym.template);
      const p = t?.decl.params.find((q) => q.name.name === sym.name);
      if (!t || !p) return null;
      return `parameter \`${paramText(p, texts.get(p.loc.file))}\` of template \`${t.name}\`\n\ndeclared at ${where(p.name.loc)}`;
    }
  }
}

export function hover(sym: Sym | null, model: Model, texts: ReadonlyMap<string, string>): Hover | null {
  if (sym === null) return null;
  const value = hoverText(sym, model, texts);
  return value === null ? null : { contents: { kind: 'markdown', value }, range: rangeOf(sym.loc) };
}
