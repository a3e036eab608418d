// Headless Chromium for the report tests: a screenshot decoded far enough to see what was painted, the DOM after
// parsing, and the console errors; reportRendersInBrowser checks a build directory's report with all three.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';
import { writeReport } from '../../compiler/report/index.js';

/** The Chromium command Debian installs. */
export const CHROMIUM = 'chromium';

interface Run {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs headless Chromium on a file with a throw-away profile; throws when it fails. */
function chromium(file: string, args: readonly string[]): Run {
  const profile = mkdtempSync(join(tmpdir(), 'serpent-chromium-'));
  try {
    const r = spawnSync(
      CHROMIUM,
      [
        '--headless',
        '--disable-gpu',
        '--no-sandbox',
        '--no-first-run',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        '--enable-logging=stderr',
        '--v=0',
        ...args,
        pathToFileURL(file).href,
      ],
      { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
    );
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`chromium exited ${r.status}: ${r.stderr.slice(-2000)}`);
    return { stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Console errors and uncaught exceptions Chromium logged for the page. */
export const consoleErrors = (stderr: string): string[] =>
  stderr.split('\n').filter((l) => l.includes('Uncaught') || l.includes('ERROR:CONSOLE'));

/** Writes a PNG of the page as Chromium renders it in a window of the given size; returns the console errors. */
export function screenshot(file: string, png: string, size: { width: number; height: number }): string[] {
  const r = chromium(file, [`--screenshot=${png}`, `--window-size=${size.width},${size.height}`]);
  return consoleErrors(r.stderr);
}

/** The DOM after Chromium parsed and rendered the page, and the console errors. */
export function dumpDom(file: string): { dom: string; errors: string[] } {
  const r = chromium(file, ['--dump-dom']);
  return { dom: r.stdout, errors: consoleErrors(r.stderr) };
}

export interface Image {
  readonly width: number;
  readonly height: number;
  /** RGB of pixel (x, y). */
  readonly rgb: (x: number, y: number) => [number, number, number];
}

/** Decodes an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium writes); throws on anything else. */
export function decodePng(buf: Buffer): Image {
  if (buf.length < 33 || buf.toString('latin1', 1, 4) !== 'PNG') throw new Error('not a PNG');
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [depth, colour, , , interlace] = [data[8], data[9], data[10], data[11], data[12]];
      if (depth !== 8 || (colour !== 2 && colour !== 6) || interlace !== 0)
        throw new Error(`unsupported PNG: depth ${depth}, colour type ${colour}, interlace ${interlace}`);
      channels = colour === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const px = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? px[y * stride + i - channels] : 0;
      const b = y > 0 ? px[(y - 1) * stride + i] : 0;
      const c = i >= channels && y > 0 ? px[(y - 1) * stride + i - channels] : 0;
      let v = line[i];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      px[y * stride + i] = v & 0xff;
    }
  }
  return {
    width,
    height,
    rgb: (x, y) => {
      const o = y * stride + x * channels;
      return [px[o], px[o + 1], px[o + 2]];
    },
  };
}

/** How many pixels have exactly this colour (`#rrggbb`). */
export function countColour(img: Image, hex: string): number {
  const want = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let n = 0;
  for (let y = 0; y < img.height; y++)
    for (let x = 0; x < img.width; x++) {
      const [r, g, b] = img.rgb(x, y);
      if (r === want[0] && g === want[1] && b === want[2]) n++;
    }
  return n;
}

/** Distinct colours, up to `limit`. */
export function colours(img: Image, limit = 1000): number {
  const seen = new Set<number>();
  for (let y = 0; y < img.height && seen.size < limit; y++)
    for (let x = 0; x < img.width; x++) {
      const [r, g, b] = img.rgb(x, y);
      seen.add((r << 16) | (g << 8) | b);
    }
  return seen.size;
}

/** Host and chroot bar colours in the report's CSS. */
export const HOST_COLOUR = '#4e79a7';
export const CHROOT_COLOUR = '#59a14f';

export interface Rendered {
  readonly steps: number;
  readonly bars: number;
  readonly width: number;
  readonly height: number;
  readonly colours: number;
  readonly hostPixels: number;
  readonly chrootPixels: number;
}

/**
 * Writes the report of `buildDir` (into a temporary file) and checks that Chromium renders it: one bar per step
 * of the latest build in the rendered DOM, each step's id among them, no console error, and a screenshot that
 * is a PNG of several colours with the bars' colours painted. Throws an Error saying what is wrong.
 */
export function reportRendersInBrowser(buildDir: string, planPath: string): Rendered {
  const dir = mkdtempSync(join(tmpdir(), 'serpent-report-'));
  try {
    const file = join(dir, 'report.html');
    const { model } = writeReport(buildDir, { out: file, plan: planPath });
    const b = model.build;
    if (b === null) throw new Error(`${buildDir}: the record holds no build`);
    const { dom, errors } = dumpDom(file);
    const found = [...dom.matchAll(/<rect\s[^>]*data-step="([^"]*)"/g)].map((m) => m[1]);
    const want = b.bars.map((r) => r.id);
    if (found.length !== want.length || want.some((id) => !found.includes(id)))
      throw new Error(`rendered DOM has ${found.length} step bars, the build has ${want.length} steps`);
    const png = join(dir, 'report.png');
    errors.push(...screenshot(file, png, { width: 1400, height: 1000 }));
    if (errors.length) throw new Error(`console errors:\n${errors.join('\n')}`);
    const img = decodePng(readFileSync(png));
    const rendered: Rendered = {
      steps: want.length,
      bars: found.length,
      width: img.width,
      height: img.height,
      colours: colours(img),
      hostPixels: countColour(img, HOST_COLOUR),
      chrootPixels: countColour(img, CHROOT_COLOUR),
    };
    if (img.width !== 1400 || img.height !== 1000) throw new Error(`screenshot is ${img.width}×${img.height}`);
    if (rendered.colours < 8) throw new Error(`screenshot has ${rendered.colours} colours: blank`);
    // a bar of 1% of the span is several pixels wide, so its inside has the exact colour (the legend's differs)
    const wide = (placement: string) =>
      b.bars.some((r) => r.placement === placement && !r.pass && r.end - r.start >= b.span / 100);
    const hosts = wide('host');
    const chroots = wide('chroot');
    if ((hosts && rendered.hostPixels === 0) || (chroots && rendered.chrootPixels === 0))
      throw new Error(`bars not painted: ${rendered.hostPixels} host, ${rendered.chrootPixels} chroot pixels`);
    return rendered;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Is Chromium installed? */
export function haveChromium(): boolean {
  try {
    execFileSync(CHROMIUM, ['--version'], { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}
