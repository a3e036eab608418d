// The recipe grammar as a chevrotain CstParser: generic declarations and items, with error recovery; no semantics.
import type { TokenType } from 'chevrotain';
import { CstParser, tokenMatcher } from './chevrotain.js';
import * as T from './tokens.js';
import { messageProvider } from './messages.js';

// Item shapes (the schema in compiler/ gives them meaning):
//   key = value | key += value        Field
//   key [label] { items }             Block
//   name [on|in where] """…"""        Step (built-in)
//   step name [after x] [on|in where] """…"""   Step (custom)
//   use name(arg = value, …)          Use
// The rules are class properties made by this.RULE; cst.ts describes the CST node each builds. Class fields are
// initialised right after super(), so performSelfAnalysis() in the constructor comes after every rule, as it must.
export class RecipeParser extends CstParser {
  /**
   * `validate` runs chevrotain's grammar checks (ambiguities, left recursion, …), which throw on a faulty grammar:
   * they can only fail when this file changes, so a test runs them (grammar-constructs) and the one parser every
   * start builds skips them (~15 ms of the ~0.5 s generation budget).
   */
  constructor(validate = false) {
    super(T.allTokens, { recoveryEnabled: true, errorMessageProvider: messageProvider, skipValidations: !validate });
    this.performSelfAnalysis();
  }

  /**
   * Recovery prefers deleting one stray token over inserting the expected one when the token after it is the
   * expected one: `[a b]` then reads as `[a]` instead of `[a]` followed by an item named `b`.
   */
  protected override canTokenTypeBeInsertedInRecovery(tokType: TokenType): boolean {
    return !tokenMatcher(this.LA(2), tokType);
  }

  readonly file = this.RULE('file', () => {
    this.MANY(() => this.SUBRULE(this.decl));
  });

  readonly decl = this.RULE('decl', () => {
    this.OR({
      ERR_MSG: 'a declaration (target, stage, template, package, pass, layer, amend or replace)',
      DEF: [
        { ALT: () => this.SUBRULE(this.layerDecl) },
        { ALT: () => this.SUBRULE(this.changeDecl) },
        {
          ALT: () => {
            this.CONSUME(T.Target);
            this.CONSUME(T.Identifier);
            this.SUBRULE(this.body);
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Stage);
            this.CONSUME2(T.Identifier);
            this.SUBRULE2(this.body);
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Template);
            this.CONSUME3(T.Identifier);
            this.CONSUME(T.LParen);
            this.MANY(() => {
              this.SUBRULE(this.param);
              this.OPTION(() => this.CONSUME(T.Comma));
            });
            this.CONSUME(T.RParen);
            this.SUBRULE3(this.body);
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Package);
            this.CONSUME4(T.Identifier);
            this.CONSUME(T.In);
            this.CONSUME5(T.Identifier);
            this.SUBRULE4(this.body);
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Pass);
            this.CONSUME6(T.Identifier);
            this.CONSUME(T.Of);
            this.CONSUME7(T.Identifier);
            // `in STAGE` names the stage when the package's name exists in several stages
            this.OPTION2(() => {
              this.CONSUME2(T.In);
              this.CONSUME8(T.Identifier);
            });
            this.SUBRULE5(this.body);
          },
        },
      ],
    });
  });

  // `layer NAME { … }`: the directory holding it is a layer, built on top of the recipe directories before it.
  readonly layerDecl = this.RULE('layerDecl', () => {
    this.CONSUME(T.Layer);
    this.CONSUME(T.Identifier);
    this.SUBRULE(this.body);
  });

  // `amend package NAME in STAGE { … }`, `replace package NAME in STAGE { … }`, `amend stage NAME { … }`: a
  // layer's change to a declaration of the directories below it.
  readonly changeDecl = this.RULE('changeDecl', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Amend) }, { ALT: () => this.CONSUME(T.Replace) }]);
    this.OR2([
      {
        ALT: () => {
          this.CONSUME(T.Package);
          this.CONSUME(T.Identifier);
          this.CONSUME(T.In);
          this.CONSUME2(T.Identifier);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Stage);
          this.CONSUME3(T.Identifier);
        },
      },
    ]);
    this.SUBRULE(this.body);
  });

  readonly param = this.RULE('param', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.CONSUME2(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.value);
    });
  });

  readonly body = this.RULE('body', () => {
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.item));
    this.CONSUME(T.RCurly);
  });

  readonly item = this.RULE('item', () => {
    this.OR({
      ERR_MSG: 'an item (a field, block, step or use)',
      DEF: [
        { ALT: () => this.SUBRULE(this.stepItem) },
        { ALT: () => this.SUBRULE(this.useItem) },
        { ALT: () => this.SUBRULE(this.keyedItem) },
      ],
    });
  });

  // Everything that starts with a name; one token after the name decides which item it is.
  readonly keyedItem = this.RULE('keyedItem', () => {
    this.CONSUME(T.Identifier);
    this.OR({
      ERR_MSG: "'=', '+=', 'on', 'in', a shell body, a value or '{'",
      DEF: [
        {
          ALT: () => {
            this.OR2([{ ALT: () => this.CONSUME(T.Equals) }, { ALT: () => this.CONSUME(T.PlusEquals) }]);
            this.SUBRULE(this.value);
          },
        },
        {
          ALT: () => {
            this.SUBRULE(this.placement);
            this.CONSUME(T.Shell);
          },
        },
        {
          // a step body, or (followed by `{`) a block labelled with a shell body
          ALT: () => {
            this.CONSUME2(T.Shell);
            this.OPTION(() => this.SUBRULE(this.body));
          },
        },
        {
          // a labelled block; without the `{` (`version "1.3"`, a forgotten `=`) ast.ts reports it, so
          // recovery does not invent a `{` and misread the rest of the declaration as the block
          ALT: () => {
            this.SUBRULE(this.label);
            this.OPTION2(() => this.SUBRULE2(this.body));
          },
        },
        { ALT: () => this.SUBRULE3(this.body) },
      ],
    });
  });

  // `after` is no keyword (a stage has a field named after), so it is an identifier checked by image. Two
  // names in a row are taken too, so a misspelt `after` is one error (reported by ast.ts), not a cascade.
  readonly stepItem = this.RULE('stepItem', () => {
    this.CONSUME(T.Step);
    this.CONSUME(T.Identifier);
    this.OPTION({
      GATE: () => this.LA(1).image === 'after' || tokenMatcher(this.LA(2), T.Identifier),
      DEF: () => {
        this.CONSUME2(T.Identifier); // `after`
        this.CONSUME3(T.Identifier);
      },
    });
    this.OPTION2(() => this.SUBRULE(this.placement));
    this.CONSUME(T.Shell);
  });

  readonly useItem = this.RULE('useItem', () => {
    this.CONSUME(T.Use);
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.MANY(() => {
        this.SUBRULE(this.arg);
        this.OPTION2(() => this.CONSUME(T.Comma));
      });
      this.CONSUME(T.RParen);
    });
  });

  // Parameters, arguments and list items may each be followed by a comma (so a trailing comma is fine).
  // A missing comma between two of them parses too and is reported by ast.ts, so the rest stays intact.
  readonly arg = this.RULE('arg', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.value);
  });

  readonly placement = this.RULE('placement', () => {
    this.OR([{ ALT: () => this.CONSUME(T.On) }, { ALT: () => this.CONSUME(T.In) }]);
    this.CONSUME(T.Identifier);
  });

  readonly value = this.RULE('value', () => {
    this.OR({
      ERR_MSG: 'a value',
      DEF: [
        { ALT: () => this.CONSUME(T.StringLit) },
        { ALT: () => this.CONSUME(T.Integer) },
        { ALT: () => this.CONSUME(T.True) },
        { ALT: () => this.CONSUME(T.False) },
        { ALT: () => this.CONSUME(T.Identifier) },
        { ALT: () => this.SUBRULE(this.list) },
        { ALT: () => this.CONSUME(T.Shell) },
      ],
    });
  });

  // A block label: any value but a shell body (that case is keyedItem's third alternative).
  readonly label = this.RULE('label', () => {
    this.OR({
      ERR_MSG: 'a block label',
      DEF: [
        { ALT: () => this.CONSUME(T.StringLit) },
        { ALT: () => this.CONSUME(T.Integer) },
        { ALT: () => this.CONSUME(T.True) },
        { ALT: () => this.CONSUME(T.False) },
        { ALT: () => this.CONSUME(T.Identifier) },
        { ALT: () => this.SUBRULE(this.list) },
      ],
    });
  });

  readonly list = this.RULE('list', () => {
    this.CONSUME(T.LBracket);
    this.MANY(() => {
      this.SUBRULE(this.value);
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RBracket);
  });
}

/** The one parser instance: reused for every file by assigning `input`. */
export const parser = new RecipeParser();
