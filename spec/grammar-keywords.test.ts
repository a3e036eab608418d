// A keyword written where a name stands is reported as a keyword (grammar/messages.ts), naming what it would name.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from '../grammar/index.js';

/** The first syntax message of `text`, with its column. */
function first(text: string): string {
  const d = parse('t.recipe', text).diagnostics[0];
  return `${d.loc?.line}:${d.loc?.col} ${d.message}`;
}

/** The suggestion is a valid name of its kind: stage and parameter names are shell variable names (no `-`). */
const named = (kw: string, what: string) =>
  `\`${kw}\` is a keyword and cannot ${what === 'here' ? 'be a name here' : `name ${what}`}; choose another name (a longer one such as \`${['a stage', 'a parameter', 'an environment variable', 'here'].includes(what) ? `my_${kw}` : `my-${kw}`}\` is fine)`;
const field = (kw: string) => `\`${kw}\` is a keyword and cannot name a field (no declaration has a field \`${kw}\`)`;

test('keyword as the name of a declaration', () => {
  assert.is(first('package stage in stage3 { }'), `1:9 ${named('stage', 'a package')}`);
  assert.is(first('package pass in stage3 { }'), `1:9 ${named('pass', 'a package')}`);
  assert.is(first('package zlib in target { }'), `1:17 ${named('target', 'a stage')}`);
  assert.is(first('template package(a: string) { }'), `1:10 ${named('package', 'a template')}`);
  assert.is(first('stage target { }'), `1:7 ${named('target', 'a stage')}`);
  assert.is(first('target on { }'), `1:8 ${named('on', 'a target')}`);
  assert.is(first('pass use of zlib { }'), `1:6 ${named('use', 'a pass')}`);
  assert.is(first('pass zlib-2 of step { }'), `1:16 ${named('step', 'a package')}`);
  assert.is(first('template t(in: string) { }'), `1:12 ${named('in', 'a parameter')}`);
  assert.is(first('template t(a: string, of: int) { }'), `1:23 ${named('of', 'a parameter')}`);
  assert.is(first('package a in s { use t(on = 1) }'), `1:24 ${named('on', 'a parameter')}`);
  assert.is(first('package a in s { use template() }'), `1:22 ${named('template', 'a template')}`);
  // the layer keywords
  assert.is(first('package layer in stage1 { }'), `1:9 ${named('layer', 'a package')}`);
  assert.is(first('layer amend { }'), `1:7 ${named('amend', 'a layer')}`);
  assert.is(first('amend package replace in stage1 { }'), `1:15 ${named('replace', 'a package')}`);
  assert.is(first('amend stage layer { }'), `1:13 ${named('layer', 'a stage')}`);
});

test('keyword as a step name, a parameter type, a placement', () => {
  assert.is(first('package a in s {\n  step step """\n  """\n}'), `2:8 ${named('step', 'a step')}`);
  assert.is(first('package a in s {\n  step x after in """\n  """\n}'), `2:16 ${named('in', 'a step')}`);
  // no other name is suggested where the language has a fixed set
  assert.is(first('template t(a: in) { }'), '1:15 `in` is a keyword, not a parameter type');
  assert.is(first('template t(a: stage) { }'), '1:15 `stage` is a keyword, not a parameter type');
  const placement = (kw: string) => `\`${kw}\` is a keyword, not a placement: write \`on host\` or \`in chroot\``;
  assert.is(first('package a in s {\n  build on of """\n  """\n}'), `2:12 ${placement('of')}`);
  // `in` after a step is its placement, after a package's or a pass's name the stage
  assert.is(first('package a in s {\n  build in stage """\n  """\n}'), `2:12 ${placement('stage')}`);
  assert.is(first('package a in s {\n  step x in of """\n  """\n}'), `2:13 ${placement('of')}`);
  assert.is(first('pass a-2 of a in target { }'), `1:18 ${named('target', 'a stage')}`);
  assert.is(first('package a in s {\n  build """\n  """\n}\npackage b in of { }'), `5:14 ${named('of', 'a stage')}`);
});

test('keyword as a field', () => {
  assert.is(first('package a in s {\n  package = "x"\n}'), `2:3 ${field('package')}`);
  assert.is(first('package a in s {\n  stage += [x]\n}'), `2:3 ${field('stage')}`);
  assert.is(first('package a in s {\n  use = "x"\n}'), `2:7 ${field('use')}`);
  assert.is(first('package a in s {\n  step = "x"\n}'), `2:8 ${field('step')}`);
});

test('keyword as an environment variable, and as a value, named by its field', () => {
  assert.is(first('stage s { env { in = "x" } }'), `1:17 ${named('in', 'an environment variable')}`);
  assert.is(
    first('stage s {\n  env {\n    A = "x"\n    of += "y"\n  }\n}'),
    `4:5 ${named('of', 'an environment variable')}`,
  );
  // a block inside env's parent is still fields
  assert.is(first('stage s { chroot { mount "/x" { of = s } } }'), `1:33 ${field('of')}`);
  assert.is(first('stage s { after = stage }'), `1:19 ${named('stage', 'a stage')}`);
  assert.is(first('stage s { chroot { mount "/x" { from = pass } } }'), `1:40 ${named('pass', 'a stage')}`);
  assert.is(first('package a in s { depends = [stage] }'), `1:29 ${named('stage', 'a package')}`);
  assert.is(first('package a in s { depends += [b, of, c] }'), `1:33 ${named('of', 'a package')}`);
  assert.is(first('package a in s { depends = [b layer] }'), `1:31 ${named('layer', 'a package')}`);
  // a field whose value names nothing known to the grammar
  assert.is(first('package a in s { x = in }'), `1:22 ${named('in', 'here')}`);
  assert.is(first('package a in s { provides { commands = [b, use] } }'), `1:44 ${named('use', 'here')}`);
  // `true` and `false` are values, not keywords used as names
  assert.is(parse('t.recipe', 'package a in s { x = [true, false] }').diagnostics.length, 0);
});

test('a keyword used as one is not called a name', () => {
  // a missing name before a keyword that does its own job: no claim that the keyword is a name
  assert.is(first('package in stage3 { }'), "1:9 expected a name after 'package', found 'in'");
  assert.is(first('stage { }'), "1:7 expected a name after 'stage', found '{'");
  // a keyword starting the next declaration inside an unclosed body: the body's `{` is blamed, not the keyword
  assert.is(first('package a in s {\n  version = "1"\npackage b in s { }'), "1:16 this '{' is never closed");
});

test.run();
