import type { PrecisionChoice } from '../../native/runtime';
import { serve } from '../../serve/serve';
import { chooseToken } from '../../serve/token-source';
import { parse, positionals, wholeNumber, type Command } from '../args';
import { printOut, printWarnings } from '../output';

const usage = `Usage: wbc serve <model-dir> <image-dir | cases-dir> [--port 8080] [--host 127.0.0.1] [--db FILE] [--token-file FILE]
                 [--tls-cert FILE --tls-key FILE] [--scheme nine|grouped|FILE]

Starts the review app: classifies the folder in the background and serves a page where a technologist
checks and corrects the cells, watches the differential with its 95% intervals, and signs it off.
A folder without images of its own is a folder of cases: each sub-folder holding images is a case (a
slide or a patient), listed on a worklist, classified one after another; new ones appear while it runs.
Opening the same folder again resumes the saved review. Stop it with Ctrl-C.

  --port N            port to listen on (default 8080; 0 picks a free one)
  --host ADDRESS      address to bind (default 127.0.0.1, this machine only); any other address needs a
                      token, generated and printed when none is given
  --db FILE           the review database, of every case (default: <image-dir>.review.sqlite beside the folder)
  --token-file FILE   the token, required on every request as "Authorization: Bearer T" (the page gets it
                      from the printed URL); or set WBC_TOKEN; --token T works too, but every user of the
                      host can read it in ps
  --tls-cert FILE     serve HTTPS with this PEM certificate (chain) and --tls-key FILE, its private key;
                      beyond loopback without them the token crosses the network in plain HTTP
  --export-dir DIR    where "export labelled folder" writes (default: <image-dir>-reviewed beside the folder)
  --scheme S          the reporting scheme: nine (default, class by class), grouped or a JSON file
                      (docs/schemes.md): the queue uses its review threshold, the gallery and the
                      differential its categories; a review (every case in it) stays in the scheme it was started in
  --threads N         CPU threads for classifying (default: all cores)
  --precision auto|fp32|bf16  arithmetic (default auto: bf16 where the CPU has bf16 instructions, else fp32)`;

export const serveCommand: Command = {
  name: 'serve',
  summary: 'review, correct and sign off a folder\'s differential in the browser',
  usage,
  async run(argv) {
    const args = parse(argv, {
      port: { type: 'string' }, host: { type: 'string' }, db: { type: 'string' }, token: { type: 'string' },
      'token-file': { type: 'string' }, 'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' },
      'export-dir': { type: 'string' }, threads: { type: 'string' }, precision: { type: 'string' }, scheme: { type: 'string' },
    }, usage);
    if (args.flag('help')) return void printOut(usage);
    const [modelDir, imageDir] = positionals(args.positionals, ['model-dir', 'image-dir'], usage);
    const chosen = chooseToken({ file: args.text('token-file'), environment: process.env.WBC_TOKEN, option: args.text('token') });
    printWarnings(chosen.warnings);
    const server = await serve(modelDir, imageDir, {
      port: wholeNumber(args.text('port'), 'port'),
      host: args.text('host'),
      db: args.text('db'),
      token: chosen.token,
      tlsCert: args.text('tls-cert'),
      tlsKey: args.text('tls-key'),
      exportDir: args.text('export-dir'),
      threads: wholeNumber(args.text('threads'), 'threads'),
      precision: args.text('precision') as PrecisionChoice | undefined,
      scheme: args.text('scheme'),
    });
    printWarnings(server.warnings);
    printOut(`Reviewing ${imageDir} (review saved in ${server.db}); open:`);
    for (const url of server.urls) printOut(server.token ? `${url}?token=${server.token}` : url);
    if (server.token && !chosen.token) printOut(`token (send as "Authorization: Bearer <token>"): ${server.token}`);
    // Each failed classification is told once, naming its case when there are several.
    const told = new Set<string>();
    const watch = setInterval(() => {
      for (const review of server.reviews.all()) {
        const { state, error } = review.progress;
        const failure = `classification${server.reviews.single ? '' : ` of ${review.title}`} failed: ${error}`;
        if (state === 'failed' && !told.has(failure)) printWarnings([failure]);
        if (state === 'failed') told.add(failure);
      }
    }, 500);
    await new Promise<void>((resolve) => {
      const stop = () => {
        clearInterval(watch);
        void server.close().then((warnings) => {
          printWarnings(warnings);
          resolve();
        });
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  },
};
