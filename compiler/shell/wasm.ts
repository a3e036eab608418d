// The one loader of mvdan/sh: sh-syntax's main.wasm is read and compiled once per process, for the validator
// and for emit's formatter alike.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';

let modulePromise: Promise<WebAssembly.Module> | null = null;

/**
 * The compiled parser module (mvdan/sh built with TinyGo). The first call starts compiling it; V8 compiles on
 * background threads, so this overlaps later synchronous work. Every caller shares the one compilation.
 */
export function shellModule(): Promise<WebAssembly.Module> {
  if (!modulePromise) {
    // Baseline (Liftoff) code only. Otherwise V8 recompiles the parser's hot functions with TurboFan on
    // background threads: measured ~1.1 s of CPU during a generation of stages/ whose main thread needs ~0.7 s,
    // competing with it for a 2-core machine's second core, and never earned back by a run this short
    // (validating 2,000 distinct bodies took no longer without it). V8 reads these when it compiles a module,
    // so they are set before the first (and only) one; they change nothing else serpentc runs.
    setFlagsFromString('--no-wasm-dynamic-tiering');
    setFlagsFromString('--no-wasm-tier-up');
    modulePromise = WebAssembly.compile(readFileSync(createRequire(import.meta.url).resolve('sh-syntax/main.wasm')));
  }
  return modulePromise;
}

/**
 * Call early (before parsing recipes): the parser module then compiles while the main thread does other work.
 * Failures surface later, from analyzeShell, which falls back to the public API.
 */
export function prepareShell(): void {
  shellModule().catch(() => {});
}

/** A fresh instance of the parser module (each Go run of sh-syntax's processor needs its own). */
export async function shellInstance(imports: WebAssembly.Imports): Promise<WebAssembly.Instance> {
  return WebAssembly.instantiate(await shellModule(), imports);
}
