// Large generated files as UTF-8 bytes, built piece by piece: the pieces die young, and no string as large as the
// file (plan.json is 17.5 MB at 10,000 packages, lib/prereqs.txt 9.9 MB) is built only to be encoded once more.

/** 1 MiB: large enough that chunks are few, small enough that the last one wastes little. */
const CHUNK = 1 << 20;

/** Text encoded as UTF-8 as it is added, into chunks of CHUNK bytes; bytes() joins them. */
export class Utf8Chunks {
  private readonly chunks: Buffer[] = [];
  private current = Buffer.allocUnsafe(CHUNK);
  private used = 0;

  add(text: string): void {
    // a UTF-16 code unit takes at most 3 bytes: a text that may not fit goes into a new chunk (or is one)
    if (text.length * 3 > this.current.length - this.used) {
      if (this.used) this.chunks.push(this.current.subarray(0, this.used));
      this.current = Buffer.allocUnsafe(CHUNK);
      this.used = 0;
      if (text.length * 3 > CHUNK) {
        this.chunks.push(Buffer.from(text, 'utf8'));
        return;
      }
    }
    this.used += this.current.write(text, this.used, 'utf8');
  }

  bytes(): Buffer {
    return Buffer.concat([...this.chunks, this.current.subarray(0, this.used)]);
  }
}

/** `lines`, each ending in a newline, as UTF-8 bytes. */
export function linesBytes(lines: readonly string[]): Buffer {
  const out = new Utf8Chunks();
  for (const line of lines) out.add(`${line}\n`);
  return out.bytes();
}
