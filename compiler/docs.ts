// Renders docs/fields.md and docs/diagnostics.md from the schema table and the diagnostic catalogue, so the
// reference can never disagree with what the checker enforces. `npm run docs` writes them; a test compares.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ONCE_PER_NAME_CODES, summaries, WHOLE_SET_CODES } from './diagnostics/catalogue.js';
import { DOCS_DIR } from './paths.js';
import { BUILTIN_STEPS, PARAM_TYPES, SCHEMA, describeType, type DeclSpec } from './schema.js';

export function fieldsDoc(): string {
  const out = ['<!-- generated from compiler/schema.ts by `npm run docs` — do not edit -->', '# Fields reference', ''];
  const section = (title: string, spec: DeclSpec, depth: number) => {
    out.push(`${'#'.repeat(depth)} ${title}`, '', spec.doc, '');
    const fields = Object.entries(spec.fields);
    if (fields.length) {
      out.push('| field | type | required | default | meaning |', '|---|---|---|---|---|');
      for (const [k, f] of fields) {
        const def = f.default === undefined || f.default === null ? '' : `\`${JSON.stringify(f.default)}\``;
        out.push(`| \`${k}\` | ${describeType(f.type.name)} | ${f.required ? 'yes' : ''} | ${def} | ${f.doc} |`);
      }
      out.push('');
    }
    for (const [k, b] of Object.entries(spec.blocks)) {
      const head = `\`${k}${b.label ? ' "…"' : ''} { … }\`${b.repeat ? ' (repeatable)' : ''}`;
      if (b.spec === 'env') out.push(`${'#'.repeat(depth + 1)} ${head}`, '', b.doc, 'Items are `NAME = "value"`.', '');
      else section(head, { ...b.spec, doc: b.doc }, depth + 1);
    }
    if (spec.steps) out.push(`Steps: ${BUILTIN_STEPS.map((s) => `\`${s}\``).join(', ')} and custom \`step NAME\`.`, '');
    if (spec.use) out.push('Templates: `use NAME(param = value, …)`.', '');
  };
  section('`target NAME { … }`', SCHEMA.target, 2);
  section('`stage NAME { … }`', SCHEMA.stage, 2);
  section('`package NAME in STAGE { … }`', SCHEMA.package, 2);
  const params = Object.keys(PARAM_TYPES)
    .map((t) => `\`${t}\``)
    .join(', ');
  section(
    '`template NAME(params) { … }`',
    {
      ...SCHEMA.template,
      doc: `${SCHEMA.template.doc} Accepts every package field and block; none is required. Parameter types: ${params}.`,
      fields: {},
      blocks: {},
    },
    2,
  );
  section(
    '`pass NAME of PACKAGE { … }`',
    {
      ...SCHEMA.pass,
      doc: `${SCHEMA.pass.doc} Accepts every package field and block; \`=\` replaces, \`+=\` appends.`,
      fields: {},
      blocks: {},
    },
    2,
  );
  section('`layer NAME { … }`', SCHEMA.layer, 2);
  section(
    '`amend package NAME in STAGE { … }`',
    {
      ...SCHEMA['amend package'],
      doc: `${SCHEMA['amend package'].doc} Accepts every package field and block, and the two below.`,
      fields: {},
      blocks: { substitute: SCHEMA['amend package'].blocks.substitute, drop: SCHEMA['amend package'].blocks.drop },
    },
    2,
  );
  section(
    '`replace package NAME in STAGE { … }`',
    {
      ...SCHEMA['replace package'],
      doc: `${SCHEMA['replace package'].doc} The fields and blocks of a package, and \`drop\`.`,
      fields: {},
      blocks: {},
    },
    2,
  );
  section(
    '`amend stage NAME { … }`',
    {
      ...SCHEMA['amend stage'],
      doc: `${SCHEMA['amend stage'].doc} The fields and blocks of a stage.`,
      fields: {},
      blocks: {},
    },
    2,
  );
  return `${out.join('\n').trimEnd()}\n`;
}

export function diagnosticsDoc(): string {
  const out = [
    '<!-- generated from compiler/diagnostics/catalogue.ts by `npm run docs` — do not edit -->',
    '# Diagnostics',
    '',
    'Every diagnostic reads `path:line:col: error[code]: message`, then the source line with a caret, then notes.',
    'All errors of a run are reported together, sorted by file and line. Each code has a golden case under',
    '`spec/cases/diagnostics/<code>/` (or `<code>--<variant>/`, one per class of mistake).',
    '',
    '## One mistake, one error',
    '',
    'A mistake is reported once, where it is, not again through everything it breaks:',
    '',
    '- **Delimiters.** A `{`, `[` or `(` that is never closed is reported where it opens, with the line where the indentation shows it as a note; a stray `}` where it stands. A `"""` too many or too few (which turns code into shell body and back) is blamed, not the lines it garbled. An unterminated string or body is reported where it opens, with where the line or file ends.',
    '- **After a syntax error** the parser guesses; what it reports next, up to the next declaration keyword at the start of a line (`package`, `stage`, …), is not reported, and a file gets at most one syntax error per line and per run of lines that all fail.',
    '- **Damaged declarations.** The declarations from a syntax error to that keyword are damaged: nothing is reported about their contents, and while any file has damage, none of the errors that need every declaration complete is reported either: ' +
      [...WHOLE_SET_CODES].map((c) => `\`${c}\``).join(', ') +
      '.',
    '- **Repeats.** One undefined name used in several places, or one clash, is one error with the other places in a note (' +
      [...ONCE_PER_NAME_CODES].map((c) => `\`${c}\``).join(', ') +
      '); a missing command in a template body shared by many packages is one error naming them.',
    '- **Knock-on effects.** A misspelt field is not also a missing one; a package declared in an undefined stage, a `use` of an undefined template, a wrong template argument and a malformed sha256 are one error each, not also errors about what they would have provided.',
    '',
    '`node dist/bench/mutations.js` prints, for thousands of single slips in `stages/`, the share of failing runs that report exactly one error; `spec/mutations.test.ts` requires at least 80 % and no crash.',
    '',
    '## Codes',
    '',
    '| code | meaning |',
    '|---|---|',
  ];
  for (const [code, doc] of summaries()) out.push(`| \`${code}\` | ${doc} |`);
  return `${out.join('\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(join(DOCS_DIR, 'fields.md'), fieldsDoc());
  writeFileSync(join(DOCS_DIR, 'diagnostics.md'), diagnosticsDoc());
}
