// The writing thread of a large generation (write.ts's Output with `thread`): writes each file the main thread
// renders, in the order received, with the same FileWriter as the main thread, while the main thread renders the
// next. Stops writing at the first file-system failure; answers what it changed (or what failed) at the end.
import { parentPort, workerData } from 'node:worker_threads';
import { OUT_FILES } from './layout.js';
import { planFromText } from './view/plan.js';
import { FileWriter, type ThreadBatch, type ThreadPlan, type ThreadReport } from './write.js';

const port = parentPort;
if (port === null) throw new Error('write-thread.js runs as a worker thread (write.ts), not on its own');
const writer = new FileWriter((workerData as { outDir: string }).outDir, false);
let failure: ThreadReport['failure'] = null;
let bug: string | null = null;

port.on('message', (message: ThreadBatch | ThreadPlan | null) => {
  if (message === null) {
    const report: ThreadReport = { changed: writer.changed, identities: writer.identities, failure, bug };
    port.postMessage(report);
    return;
  }
  if ('planFrom' in message) {
    if (failure !== null || bug !== null) return;
    try {
      failure = writer.tryWrite(OUT_FILES.plan, planFromText(message.planFrom));
    } catch (e) {
      bug = e instanceof Error ? (e.stack ?? e.message) : String(e);
    }
    return;
  }
  const { rels, ends, bytes } = message;
  for (let i = 0; i < rels.length && failure === null && bug === null; i++) {
    try {
      failure = writer.tryWrite(rels[i], bytes.subarray(i === 0 ? 0 : ends[i - 1], ends[i]));
    } catch (e) {
      bug = e instanceof Error ? (e.stack ?? e.message) : String(e);
    }
  }
});
