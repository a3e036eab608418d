// Go to definition: a package, stage, template or template parameter name jumps to where it is declared, in
// whichever file of the recipe set that is. Field keys and unknown names have no definition (null).
import type { Location } from 'vscode-languageserver';
import type { Loc } from '../../grammar/syntax.js';
import type { Model } from '../resolve/model.js';
import type { Sym } from './locate.js';
import { rangeOf } from './positions.js';

/** The declarations `sym` refers to (several for a template's dependency, which any stage may satisfy). */
export function declarationsOf(sym: Sym, model: Model): Loc[] {
  switch (sym.kind) {
    case 'package': {
      const pkgs = [...model.packages.values()].filter(
        (p) => p.name === sym.name && (sym.stage === null || p.stage === sym.stage),
      );
      return pkgs.map((p) => p.decl.name.loc);
    }
    case 'stage': {
      const s = model.stages.get(sym.name);
      return s ? [s.decl.name.loc] : [];
    }
    case 'template': {
      const t = model.templates.get(sym.name);
      return t ? [t.decl.name.loc] : [];
    }
    case 'param': {
      const p = model.templates.get(sym.template)?.decl.params.find((q) => q.name.name === sym.name);
      return p ? [p.name.loc] : [];
    }
    case 'field':
    case 'block':
      return [];
  }
}

export function definition(sym: Sym | null, model: Model, uriOf: (file: string) => string | undefined): Location[] {
  if (sym === null) return [];
  return declarationsOf(sym, model).flatMap((loc) => {
    const uri = uriOf(loc.file);
    return uri === undefined ? [] : [{ uri, range: rangeOf(loc) }];
  });
}
