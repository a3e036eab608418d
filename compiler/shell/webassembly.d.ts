// The part of the WebAssembly JS API that the shell parser loader uses. Node 20 has all of it, but @types/node 20
// does not declare it, and lib "DOM" would bring in every browser global; drop this file if either changes.

declare namespace WebAssembly {
  interface Module {}
  var Module: {
    prototype: Module;
    new (bytes: ArrayBufferView | ArrayBuffer): Module;
    exports(moduleObject: Module): { name: string; kind: 'function' | 'global' | 'memory' | 'table' }[];
  };

  interface Memory {
    readonly buffer: ArrayBuffer;
  }
  var Memory: {
    prototype: Memory;
    new (descriptor: { initial: number; maximum?: number }): Memory;
  };

  /** What an instance exports, by name; values are checked before use. */
  type Exports = Record<string, unknown>;
  type Imports = Record<string, Record<string, unknown>>;

  interface Instance {
    readonly exports: Exports;
  }
  var Instance: {
    prototype: Instance;
    new (module: Module, importObject?: Imports): Instance;
  };

  function compile(bytes: ArrayBufferView | ArrayBuffer): Promise<Module>;
  function instantiate(moduleObject: Module, importObject?: Imports): Promise<Instance>;
}
