// A minimal LSP client for tests and bench/lsp.ts: runs the real `serpentc lsp` as a child process and speaks
// JSON-RPC with Content-Length framing by hand (the framing is part of what is tested). Every wait has a timeout,
// so a server that hangs fails the test instead of hanging it.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { CLI_BIN } from './paths.js';

export interface Message {
  readonly jsonrpc: '2.0';
  readonly id?: number | string | null;
  readonly method?: string;
  readonly params?: unknown;
  readonly result?: unknown;
  readonly error?: { readonly code: number; readonly message: string };
}

export interface PublishDiagnostics {
  readonly uri: string;
  readonly version?: number;
  readonly diagnostics: ReadonlyArray<{
    readonly range: { start: { line: number; character: number }; end: { line: number; character: number } };
    readonly code?: string;
    readonly source?: string;
    readonly message: string;
    readonly severity?: number;
    readonly relatedInformation?: ReadonlyArray<{
      readonly location: { uri: string; range: { start: { line: number; character: number } } };
      readonly message: string;
    }>;
  }>;
}

interface Waiter {
  readonly test: (m: Message) => boolean;
  readonly resolve: (m: Message) => void;
}

export class LspClient {
  /** Every notification received, in order, with the time it arrived (performance.now()). */
  readonly notifications: Array<{ readonly message: Message; readonly at: number }> = [];
  stderr = '';
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private waiters: Waiter[] = [];
  private readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  static start(args: readonly string[] = ['lsp'], cwd?: string): LspClient {
    return new LspClient(spawn(process.execPath, [CLI_BIN, ...args], { cwd, stdio: 'pipe' }));
  }

  /** Content-Length framed messages out of the byte stream (lengths count bytes, not characters). */
  private drain(): void {
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const header = this.buffer.subarray(0, headerEnd).toString('ascii');
      const m = /Content-Length: *(\d+)/i.exec(header);
      if (!m) throw new Error(`LSP header without Content-Length: ${header}`);
      const length = Number(m[1]);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const body = this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8');
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      this.receive(JSON.parse(body) as Message);
    }
  }

  private receive(m: Message): void {
    if (m.method !== undefined && m.id !== undefined) {
      // a request from the server (registerCapability, workDoneProgress/create): accept it
      this.send({ jsonrpc: '2.0', id: m.id, result: null });
      return;
    }
    if (m.method !== undefined) this.notifications.push({ message: m, at: performance.now() });
    const waiter = this.waiters.find((w) => w.test(m));
    if (waiter) {
      this.waiters = this.waiters.filter((w) => w !== waiter);
      waiter.resolve(m);
    }
  }

  private send(m: Message): void {
    const body = Buffer.from(JSON.stringify(m), 'utf8');
    this.child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.child.stdin.write(body);
  }

  /** Waits for the first message (from now on) that passes `test`. */
  private wait(test: (m: Message) => boolean, what: string, ms: number): Promise<Message> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}; server stderr:\n${this.stderr}`));
      }, ms);
      const done = (m: Message) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.waiters.push({ test, resolve: done });
    });
  }

  async request<R = unknown>(method: string, params: unknown, ms = 20_000): Promise<R> {
    const id = this.nextId++;
    const reply = this.wait((m) => m.id === id && m.method === undefined, `the reply to ${method}`, ms);
    this.send({ jsonrpc: '2.0', id, method, params });
    const m = await reply;
    if (m.error) throw new Error(`${method} failed: ${m.error.message}`);
    return m.result as R;
  }

  notify(method: string, params: unknown): void {
    this.send({ jsonrpc: '2.0', method, params });
  }

  /** The next publishDiagnostics for `uri` (with `version`, when given) arriving from now on. */
  diagnostics(uri: string, version?: number, ms = 20_000): Promise<PublishDiagnostics> {
    return this.wait(
      (m) => {
        if (m.method !== 'textDocument/publishDiagnostics') return false;
        const p = m.params as PublishDiagnostics;
        return p.uri === uri && (version === undefined || p.version === version);
      },
      `diagnostics of ${uri}${version === undefined ? '' : ` version ${version}`}`,
      ms,
    ).then((m) => m.params as PublishDiagnostics);
  }

  /** shutdown, exit; the process's exit code. */
  async close(ms = 10_000): Promise<number | null> {
    await this.request('shutdown', null, ms);
    this.notify('exit', null);
    return this.exitCode(ms);
  }

  exitCode(ms = 10_000): Promise<number | null> {
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`the server did not exit within ${ms} ms`)), ms).unref(),
    );
    return Promise.race([this.exited, timeout]);
  }

  kill(): void {
    this.child.kill();
  }
}
