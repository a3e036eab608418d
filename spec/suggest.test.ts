// Did-you-mean (compiler/diagnostics/suggest.ts): the distance, and which name a realistic typo gets.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { didYouMean, distance, limitFor, suggestion } from '../compiler/diagnostics/suggest.js';

const FIELDS = [
  'after',
  'arch',
  'cflags',
  'chroot',
  'commands',
  'commit',
  'cxxflags',
  'default',
  'depends',
  'description',
  'env',
  'files',
  'git',
  'insecure',
  'ldflags',
  'libraries',
  'llvm_backend',
  'mount',
  'patches',
  'path',
  'provides',
  'readonly',
  'root',
  'sha256',
  'shell',
  'source',
  'strip',
  'triplet',
  'version',
  'workdir',
];
const STEPS = ['extract', 'patch', 'configure', 'build', 'check', 'install'];
const PACKAGES = [
  'acl',
  'attr',
  'autoconf',
  'automake',
  'bash',
  'cmake',
  'compiler-rt',
  'coreutils',
  'dash',
  'dbus',
  'dbus-broker',
  'diffutils',
  'file',
  'findutils',
  'gawk',
  'grep',
  'gzip',
  'libarchive',
  'libcap',
  'libffi',
  'linux-headers',
  'linux-pam',
  'llvm',
  'm4',
  'make',
  'meson',
  'musl',
  'musl-headers',
  'ncurses',
  'ninja',
  'patch',
  'perl',
  'pkgconf',
  'python',
  'sed',
  'shadow',
  'systemd',
  'util-linux',
  'xz',
  'zlib',
];

test('distance: optimal string alignment, a transposition is one edit', () => {
  assert.is(distance('kitten', 'sitting'), 3);
  assert.is(distance('', 'abc'), 3);
  assert.is(distance('abc', ''), 3);
  assert.is(distance('same', 'same'), 0);
  assert.is(distance('zlbi', 'zlib'), 1);
  assert.is(distance('ab', 'ba'), 1);
  assert.is(distance('depnеds', 'depends'), 2); // a Cyrillic е substituted, then a letter missing
  assert.is(distance('ca', 'abc'), 3); // OSA edits no substring twice (full Damerau would say 2)
  assert.is(distance('vresion', 'version'), 1);
  assert.is(distance('verison', 'version'), 1);
  // symmetric
  for (const [a, b] of [
    ['patchs', 'patches'],
    ['confgiure', 'configure'],
    ['x', 'xz'],
  ]) {
    assert.is(distance(a, b), distance(b, a), `${a} ~ ${b}`);
  }
});

test('limit: a third of the word, at least one edit', () => {
  assert.is(limitFor('xz'), 1);
  assert.is(limitFor('zlib'), 1);
  assert.is(limitFor('depends'), 2);
  assert.is(limitFor('description'), 3);
});

test('did-you-mean: field typos get the field', () => {
  const pairs: Array<[string, string]> = [
    ['depnds', 'depends'],
    ['dpeends', 'depends'],
    ['depend', 'depends'],
    ['dependss', 'depends'],
    ['patchs', 'patches'],
    ['pacthes', 'patches'],
    ['patche', 'patches'],
    ['verison', 'version'],
    ['vresion', 'version'],
    ['versoin', 'version'],
    ['Version', 'version'],
    ['VERSION', 'version'],
    ['sha265', 'sha256'],
    ['sah256', 'sha256'],
    ['discription', 'description'],
    ['descripton', 'description'],
    ['insecur', 'insecure'],
    ['provide', 'provides'],
    ['provdies', 'provides'],
    ['libaries', 'libraries'],
    ['comands', 'commands'],
    ['comit', 'commit'],
    ['cflgas', 'cflags'],
    ['ldflag', 'ldflags'],
    ['tripplet', 'triplet'],
    ['workdri', 'workdir'],
    ['readolny', 'readonly'],
    ['fiels', 'files'],
  ];
  for (const [word, want] of pairs) {
    assert.is(didYouMean(word, FIELDS), want, `${word} → ${want}`);
  }
});

test('did-you-mean: step and package typos', () => {
  const steps: Array<[string, string]> = [
    ['confgiure', 'configure'],
    ['configrue', 'configure'],
    ['cofnigure', 'configure'],
    ['instal', 'install'],
    ['isntall', 'install'],
    ['biuld', 'build'],
    ['buidl', 'build'],
    ['exctract', 'extract'],
    ['chekc', 'check'],
    ['ptach', 'patch'],
  ];
  for (const [word, want] of steps) assert.is(didYouMean(word, STEPS), want, `${word} → ${want}`);
  const packages: Array<[string, string]> = [
    ['zlbi', 'zlib'],
    ['zlin', 'zlib'],
    ['lzib', 'zlib'],
    ['ncurse', 'ncurses'],
    ['nucrses', 'ncurses'],
    ['util-linx', 'util-linux'],
    ['utillinux', 'util-linux'],
    ['util_linux', 'util-linux'],
    ['linux-util', 'util-linux'], // the same words in another order
    ['headers-linux', 'linux-headers'],
    ['sytemd', 'systemd'],
    ['systmed', 'systemd'],
    ['coreutil', 'coreutils'],
    ['core-utils', 'coreutils'],
    ['pkg-conf', 'pkgconf'],
    ['pyhton', 'python'],
    ['pytohn', 'python'],
    ['autconf', 'autoconf'],
    ['automak', 'automake'],
    ['libfii', 'libffi'],
    ['mesno', 'meson'],
    ['nnija', 'ninja'],
    ['bahs', 'bash'],
    ['dbus-brokr', 'dbus-broker'],
    ['Zlib', 'zlib'],
    ['XZ', 'xz'],
    ['pam', 'linux-pam'], // the one name `pam` is a whole part of
  ];
  for (const [word, want] of packages) assert.is(didYouMean(word, PACKAGES), want, `${word} → ${want}`);
});

test('did-you-mean: ties between equally close names go to the likelier typo', () => {
  // `patchs` is one edit from both; it keeps `patch…s` of `patches` in place, only `patch` of `patch`
  assert.is(didYouMean('patchs', [...FIELDS, ...STEPS]), 'patches');
  assert.is(didYouMean('patchs', ['patch', 'patches']), 'patches');
  assert.is(didYouMean('patchs', ['patches', 'patch']), 'patches');
  // a plain `patc` is a dropped letter of `patch`, not a shortened `patches`
  assert.is(didYouMean('patc', ['patch', 'patches']), 'patch');
  // `mak` keeps all of `make` in place (a dropped letter), only `ma` of `ma` (an added one)
  assert.is(didYouMean('mak', ['make', 'ma']), 'make');
  // the same distance and ends kept: the name the word lacks letters of beats the one it has extra letters of
  assert.is(didYouMean('abcdef', ['aXcdf', 'aXbcdeYf']), 'aXbcdeYf');
  assert.is(didYouMean('abcdef', ['aXbcdeYf', 'aXcdf']), 'aXbcdeYf');
  // the closer name wins over a tie-break: `dbus-broke` is one edit from `dbus-broker`, three from `dbus`
  assert.is(didYouMean('dbus-broke', PACKAGES), 'dbus-broker');
  // the same sharing and the same direction: by name, whatever the candidates' order
  assert.is(didYouMean('bat', ['cat', 'bar']), 'bar');
  assert.is(didYouMean('bat', ['bar', 'cat']), 'bar');
  // a case-insensitive match beats a closer-looking one
  assert.is(didYouMean('Make', ['make', 'Mike']), 'make');
});

test('did-you-mean: nothing when nothing is close, never the word itself, never a guess', () => {
  assert.is(didYouMean('xyz', ['depends', 'patches']), null);
  assert.is(didYouMean('a', ['b', 'c']), null); // one letter shares nothing with another
  assert.is(didYouMean('', FIELDS), null);
  assert.is(didYouMean('zlib', []), null);
  assert.is(didYouMean('gcc', PACKAGES), null);
  assert.is(didYouMean('compiler', ['compiler-rt', 'compiler-tools']), null); // part of two names: no guess
  assert.is(didYouMean('headers', PACKAGES), null); // linux-headers and musl-headers
  assert.is(didYouMean('zlib', ['zlib', 'zlin']), 'zlin');
  assert.is(didYouMean('host', ['host', 'chroot']), null);
  assert.is(didYouMean('hots', ['host', 'chroot']), 'host');
  assert.is(didYouMean('chrot', ['host', 'chroot']), 'chroot');
  assert.is(didYouMean('inside', ['host', 'chroot']), null);
});

test('suggestion: a did-you-mean note, or none', () => {
  assert.equal(suggestion('zlbi', PACKAGES), [{ message: 'did you mean `zlib`?' }]);
  assert.equal(suggestion('qqqq', PACKAGES), []);
  // any iterable, as callers pass map keys
  assert.equal(suggestion('verison', new Map(FIELDS.map((f) => [f, 1])).keys()), [
    { message: 'did you mean `version`?' },
  ]);
});

test.run();
