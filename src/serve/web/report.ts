import { api, differentialTable, element } from './api.js';

/** The printable report of a review: the differential with its intervals, who signed it off and when. */
async function start(): Promise<void> {
  const [info, differential, audit] = await Promise.all([
    api('GET /api/info'),
    api('GET /api/differential'),
    api('GET /api/audit'),
  ]);
  const main = document.getElementById('report')!;
  document.title = `Differential · ${info.title}`;
  main.append(element('h1', `White-cell differential: ${info.title}`));
  main.append(element('p', info.sign_off
    ? `Signed off by ${info.sign_off.name} at ${new Date(info.sign_off.at).toLocaleString()}.`
    : 'DRAFT: not signed off yet.', info.sign_off ? 'signed' : 'draft'));
  main.append(element('p', `${differential.total} white cells counted; ${differential.reviewed} of ${differential.cells} images reviewed `
    + `(${audit.length} changes recorded). Percentages per 100 classified white cells with exact 95% Clopper–Pearson intervals.`));
  main.append(differentialTable(differential));
  const print = element('button', 'Print', 'no-print');
  print.addEventListener('click', () => window.print());
  main.append(print);
  document.body.dataset.ready = 'true';
}

start().catch((error: Error) => {
  document.getElementById('report')!.append(element('p', error.message, 'error'));
});
