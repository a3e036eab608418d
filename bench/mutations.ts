// Prints the figures of the mutation corpus (spec/helpers/mutate.ts) over the real stages/: of the runs a
// mutation made fail, the share that report exactly one error, and how many threw (an exit 3), per operator
// so a regression points at its class of mistake. Run after `npm run build`:
//   node dist/bench/mutations.js [runs] [seed]      (MUTATIONS_VERBOSE=1 lists each multi-error run)
import { join } from 'node:path';
import { REPO_ROOT } from '../spec/helpers/paths.js';
import { formatCorpus, runCorpus } from '../spec/helpers/mutate.js';

const runs = Number(process.argv[2] ?? 2000);
const seed = Number(process.argv[3] ?? 20261201);
const result = await runCorpus(join(REPO_ROOT, 'stages'), runs, seed);
if (process.env.MUTATIONS_VERBOSE) for (const line of result.report) console.log(line);
console.log(formatCorpus(result, seed));
