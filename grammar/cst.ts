// The shapes of the CST nodes parser.ts builds, one per rule, for the CST → AST pass. Every child is optional:
// error recovery may leave any of them out. Written after chevrotain's generateCstDts for this grammar; keep them
// in step with the rules (a key is the consumed token type's name or the sub-rule's name).
import type { CstNode, IToken } from 'chevrotain';

// Children are mutable arrays only because they extend chevrotain's CstNode (whose children are `CstElement[]`);
// the AST builder never changes them.

export interface FileCst extends CstNode {
  readonly name: 'file';
  readonly children: { decl?: DeclCst[] };
}

export interface DeclCst extends CstNode {
  readonly name: 'decl';
  readonly children: {
    layerDecl?: LayerDeclCst[];
    changeDecl?: ChangeDeclCst[];
    Target?: IToken[];
    Stage?: IToken[];
    Template?: IToken[];
    Package?: IToken[];
    Pass?: IToken[];
    /** The name; then `package NAME in STAGE`, `pass NAME of OTHER [in STAGE]`. */
    Identifier?: IToken[];
    In?: IToken[];
    Of?: IToken[];
    LParen?: IToken[];
    param?: ParamCst[];
    Comma?: IToken[];
    RParen?: IToken[];
    body?: BodyCst[];
  };
}

export interface LayerDeclCst extends CstNode {
  readonly name: 'layerDecl';
  readonly children: { Layer?: IToken[]; Identifier?: IToken[]; body?: BodyCst[] };
}

export interface ChangeDeclCst extends CstNode {
  readonly name: 'changeDecl';
  /** `amend|replace package NAME in STAGE` (Identifier: NAME, STAGE) or `amend|replace stage NAME`. */
  readonly children: {
    Amend?: IToken[];
    Replace?: IToken[];
    Package?: IToken[];
    Stage?: IToken[];
    Identifier?: IToken[];
    In?: IToken[];
    body?: BodyCst[];
  };
}

export interface ParamCst extends CstNode {
  readonly name: 'param';
  /** `NAME : TYPE [= value]` */
  readonly children: { Identifier?: IToken[]; Colon?: IToken[]; Equals?: IToken[]; value?: ValueCst[] };
}

export interface BodyCst extends CstNode {
  readonly name: 'body';
  readonly children: { LCurly?: IToken[]; item?: ItemCst[]; RCurly?: IToken[] };
}

export interface ItemCst extends CstNode {
  readonly name: 'item';
  readonly children: { stepItem?: StepItemCst[]; useItem?: UseItemCst[]; keyedItem?: KeyedItemCst[] };
}

export interface KeyedItemCst extends CstNode {
  readonly name: 'keyedItem';
  readonly children: {
    Identifier?: IToken[];
    Equals?: IToken[];
    PlusEquals?: IToken[];
    value?: ValueCst[];
    placement?: PlacementCst[];
    Shell?: IToken[];
    label?: LabelCst[];
    body?: BodyCst[];
  };
}

export interface StepItemCst extends CstNode {
  readonly name: 'stepItem';
  /** `step NAME [after X] [placement] """…"""`: Identifier holds NAME, then `after` and X when present. */
  readonly children: { Step?: IToken[]; Identifier?: IToken[]; placement?: PlacementCst[]; Shell?: IToken[] };
}

export interface UseItemCst extends CstNode {
  readonly name: 'useItem';
  readonly children: {
    Use?: IToken[];
    Identifier?: IToken[];
    LParen?: IToken[];
    arg?: ArgCst[];
    Comma?: IToken[];
    RParen?: IToken[];
  };
}

export interface ArgCst extends CstNode {
  readonly name: 'arg';
  readonly children: { Identifier?: IToken[]; Equals?: IToken[]; value?: ValueCst[] };
}

export interface PlacementCst extends CstNode {
  readonly name: 'placement';
  readonly children: { On?: IToken[]; In?: IToken[]; Identifier?: IToken[] };
}

/** A `value` node; a `label` has the same children but never a Shell. */
export interface ValueCst extends CstNode {
  readonly name: 'value' | 'label';
  readonly children: {
    StringLit?: IToken[];
    Integer?: IToken[];
    True?: IToken[];
    False?: IToken[];
    Identifier?: IToken[];
    list?: ListCst[];
    Shell?: IToken[];
  };
}

export type LabelCst = ValueCst;

export interface ListCst extends CstNode {
  readonly name: 'list';
  readonly children: { LBracket?: IToken[]; value?: ValueCst[]; Comma?: IToken[]; RBracket?: IToken[] };
}
