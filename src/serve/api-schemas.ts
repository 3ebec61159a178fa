/**
 * The review server's JSON API as a contract: every route's parameters, body and answers, declared once.
 * The server validates requests and serializes answers with these schemas, serves them as OpenAPI at
 * GET /api/openapi.json (rendered into docs/api.md), and the page takes its types from here (type-only
 * imports: the browser never loads this file).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const nullable = <T extends TSchema>(schema: T, description?: string) =>
  Type.Union([schema, Type.Null()], description === undefined ? {} : { description });

const Time = Type.String({ description: 'ISO 8601 time (UTC)' });

export const Cell = Type.Object({
  id: Type.Integer({ minimum: 1 }),
  file: Type.String({ description: 'path relative to the opened folder' }),
  prediction: Type.String(),
  confidence: Type.Number({ minimum: 0, maximum: 1 }),
  second: Type.String({ description: 'the second most likely class' }),
  second_confidence: Type.Number({ minimum: 0, maximum: 1 }),
  needs_review: Type.Boolean(),
  out_of_scope: nullable(Type.Boolean(), 'null when the model has no out-of-scope check'),
  out_of_scope_score: nullable(Type.Number(), 'null when the model has no out-of-scope check'),
  probabilities: Type.Array(Type.Number({ minimum: 0, maximum: 1 }), { description: 'one per class, in the order of GET /api/info' }),
  group: Type.String({ description: 'the reporting scheme\'s category (GET /api/info\'s scheme), as classified: the one with the highest summed class probability; the prediction under nine' }),
  group_confidence: Type.Number({ minimum: 0, description: 'the sum of its classes\' probabilities' }),
  label: nullable(Type.String(), 'the reviewed label (a class or a bin), null while unreviewed'),
  reviewed_by: nullable(Type.String()),
  reviewed_at: nullable(Time),
  sha256: nullable(Type.String({ pattern: '^[0-9a-f]{64}$' }), 'SHA-256 of the image file it was classified from; null for a cell of a version-1 review not rescanned yet, or one waiting to be classified anew'),
  missing: Type.Boolean({ description: 'the image is gone from the folder, refused, or changed and waiting to be classified anew: kept, but left out of counts and exports' }),
  comment: nullable(Type.String(), 'a reviewer\'s free-text comment on the cell, null for none'),
  comment_by: nullable(Type.String()),
  comment_at: nullable(Time),
}, { title: 'Cell', description: 'one classified image and its review', additionalProperties: false });
export type Cell = Static<typeof Cell>;

export const SignOff = Type.Object({
  name: Type.String(),
  at: Time,
  chain_head: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'the hash of the last audit entry the sign-off sealed (SHA-256 chain; all zeros for none)' }),
}, { title: 'SignOff', description: 'who signed the review off, when, and what', additionalProperties: false });
export type SignOff = Static<typeof SignOff>;

export const Integrity = Type.Object({
  ok: Type.Boolean({ description: 'false when the record failed its check at start' }),
  problem: Type.Optional(Type.String({ description: 'the first thing that failed, in one line (naming the first bad entry)' })),
}, {
  title: 'Integrity',
  description: 'the check of the audit chain and of the chain head kept beside the database, made when the server started',
  additionalProperties: false,
});
export type FhirBundle = Static<typeof FhirBundle>;
export type Integrity = Static<typeof Integrity>;

export const RefusedFile = Type.Object({
  file: Type.String({ description: 'path relative to the opened folder' }),
  reason: Type.String({ description: 'one line' }),
}, { title: 'RefusedFile', description: 'an image file of the folder that is counted nowhere', additionalProperties: false });
export type RefusedFile = Static<typeof RefusedFile>;

export const SchemeInfo = Type.Object({
  name: Type.String({ description: 'nine (class by class), grouped, or a scheme file\'s name' }),
  categories: Type.Array(Type.Object({
    name: Type.String(),
    classes: Type.Array(Type.String()),
    loinc: Type.Optional(Type.String()),
  }, { additionalProperties: false }), { description: 'in the scheme\'s order; a non-white kind the scheme does not list is a category of its own, last' }),
}, { title: 'Scheme', description: 'the reporting scheme the review was classified and flagged under (wbc serve --scheme)', additionalProperties: false });

export const Info = Type.Object({
  title: Type.String({ description: 'the opened folder\'s name: the specimen' }),
  model: Type.Object({ name: Type.String({ description: 'the model folder\'s name' }) }, { additionalProperties: false }),
  classes: Type.Array(Type.String(), { description: 'the model\'s classes: the labels a cell can be given (the white ones numbered 1 to 9 on the page)' }),
  non_white: Type.Array(Type.String(), { description: 'the classes that are not white cells (models trained with --non-white): counted apart from the differential' }),
  scheme: SchemeInfo,
  bins: Type.Array(Type.String(), { description: 'labels for what is not a white cell of the classes, counted apart' }),
  sign_off: nullable(SignOff, 'null until the review is signed off'),
  integrity: Integrity,
  refused: Type.Array(RefusedFile, { description: 'files of the folder refused at the last scan: their real path leaves the folder, or they cannot be read' }),
}, { title: 'Info', description: 'the review\'s title, labels and sign-off', additionalProperties: false });
export type Info = Static<typeof Info>;

export const Progress = Type.Object({
  state: Type.Union([Type.Literal('classifying'), Type.Literal('done'), Type.Literal('failed')]),
  done: Type.Integer({ minimum: 0, description: 'images classified so far' }),
  total: Type.Integer({ minimum: 0, description: 'images to classify (0 until the folder is scanned)' }),
  error: Type.Optional(Type.String({ description: 'why the classification failed (state "failed" only)' })),
  skipped: Type.Integer({ minimum: 0, description: 'files that could not be read as images' }),
  warnings: Type.Array(Type.String()),
}, { title: 'Progress', description: 'the classification of the folder, in the background', additionalProperties: false });
export type Progress = Static<typeof Progress>;

export const DifferentialRow = Type.Object({
  class: Type.String(),
  count: Type.Integer({ minimum: 0 }),
  percent: Type.Number({ description: 'per 100 classified white cells' }),
  ci_low: Type.Number({ description: 'exact 95% Clopper-Pearson interval of the percentage' }),
  ci_high: Type.Number(),
}, { title: 'DifferentialRow', additionalProperties: false });

export const CategoryRow = Type.Object({
  category: Type.String(),
  loinc: Type.Optional(Type.String()),
  count: Type.Integer({ minimum: 0 }),
  percent: Type.Number({ description: 'per 100 classified white cells' }),
  ci_low: Type.Number({ description: 'exact 95% Clopper-Pearson interval of the percentage' }),
  ci_high: Type.Number(),
  classes: Type.Array(DifferentialRow, { description: 'its classes: a reviewed cell under its label, any other under its most probable class within the category' }),
}, { title: 'CategoryRow', additionalProperties: false });

const Ratio = (description: string) => Type.Object({
  value: Type.Number(),
  ci_low: Type.Number({ description: 'exact 95% interval' }),
  ci_high: Type.Number(),
}, { description, additionalProperties: false });

export const NonWhiteRow = Type.Object({
  kind: Type.String(),
  count: Type.Integer({ minimum: 0 }),
  per_100_white: nullable(Ratio('per 100 white cells'), 'for nucleated red cells (erythroblasts); null for kinds counted only (platelets) and when there are no white cells'),
}, { title: 'NonWhiteRow', additionalProperties: false });

export const Differential = Type.Object({
  scheme: Type.String({ description: 'the reporting scheme\'s name' }),
  total: Type.Integer({ minimum: 0, description: 'white cells of the model\'s classes: the denominator' }),
  rows: Type.Array(DifferentialRow, { description: 'the white classes, class by class' }),
  categories: Type.Array(CategoryRow, { description: 'the scheme\'s white-cell categories, each with its classes beneath (under nine: one per class)' }),
  it_ratio: nullable(Type.Object({
    immature: Type.Integer({ minimum: 0, description: 'bands, metamyelocytes and myelocytes' }),
    lineage: Type.Integer({ minimum: 0, description: 'those and neutrophils' }),
    value: Type.Number({ description: 'immature / lineage, a fraction' }),
    ci_low: Type.Number({ description: 'exact 95% interval, a fraction' }),
    ci_high: Type.Number(),
  }, { additionalProperties: false }), 'the I/T ratio; null where the model lacks one of its four classes'),
  non_white: Type.Array(NonWhiteRow, { description: 'cells of non-white kinds (reviewed as one, or else so classified): never in the white count; empty for a model without them' }),
  non_white_needs_review_pending: Type.Integer({ minimum: 0, description: 'of those, cells flagged for review and not reviewed yet (also in needs_review_pending)' }),
  bins: Type.Record(Type.String(), Type.Integer({ minimum: 0 }), { description: 'cells put in a bin, by bin: counted apart' }),
  out_of_scope_unreviewed: Type.Integer({ minimum: 0, description: 'out-of-scope cells not reviewed yet: counted apart' }),
  reviewed: Type.Integer({ minimum: 0 }),
  needs_review_pending: Type.Integer({ minimum: 0, description: 'cells that need review and have not had it' }),
  cells: Type.Integer({ minimum: 0 }),
}, {
  title: 'Differential',
  description: 'each cell counts under its reviewed label, or else its prediction',
  additionalProperties: false,
});
export type Differential = Static<typeof Differential>;

export const AuditRow = Type.Object({
  id: Type.Integer({ minimum: 1 }),
  kind: Type.Union(['label', 'added', 'missing', 'returned', 'replaced', 'hashed', 'comment'].map((kind) => Type.Literal(kind)), {
    description: 'label: a person\'s label change; comment: a person\'s comment on a cell, or on the case (cell_id null); the others: what a rescan of the folder found (see reason)',
  }),
  at: Time,
  who: Type.String(),
  cell_id: nullable(Type.Integer({ minimum: 1 }), 'null for a comment on the whole case'),
  file: nullable(Type.String(), 'the cell\'s file; null for a comment on the whole case'),
  old_label: nullable(Type.String(), 'the label before; for kind comment, the comment before'),
  new_label: nullable(Type.String(), 'the label after; for kind comment, the comment after (null: removed)'),
  reason: nullable(Type.String(), 'why a rescan event happened; null for a label change'),
}, { title: 'AuditRow', description: 'one change of one cell (its label, comment, or image in the folder) or of the case\'s comment; chained by hash to the one before in the case\'s chain', additionalProperties: false });
export type AuditRow = Static<typeof AuditRow>;

export const LabelledExport = Type.Object({
  folder: Type.String(),
  images: Type.Integer({ minimum: 1 }),
  perClass: Type.Record(Type.String(), Type.Integer({ minimum: 1 }), { description: 'images per class' }),
  trainArguments: Type.Array(Type.String(), {
    minItems: 1,
    description: "the folders for `wbc train`: the folder itself, or for a model with non-white kinds `<folder>/white` and, when a cell was reviewed as a kind, `--non-white <folder>/non-white`",
  }),
}, { title: 'LabelledExport', description: 'what the export wrote', additionalProperties: false });
export type LabelledExport = Static<typeof LabelledExport>;

export const OpenApiDocument = Type.Object({
  openapi: Type.String(),
  info: Type.Object({ title: Type.String(), version: Type.String() }, { additionalProperties: true }),
  paths: Type.Record(Type.String(), Type.Any()),
}, { description: 'an OpenAPI 3.1 document', additionalProperties: true });
export type OpenApiDocument = Static<typeof OpenApiDocument>;

export const ErrorAnswer = Type.Object({ error: Type.String({ description: 'one line' }) }, { title: 'Error', additionalProperties: false });

/** Bodies are small: a label, a name, or a list of ids. */
export const BODY_LIMIT_BYTES = 64 * 1024;
const MAX_BATCH = 5000;

const Label = nullable(Type.String({ minLength: 1, maxLength: 100 }), 'one of GET /api/info\'s classes or bins; null makes the cell unreviewed');
const Reviewer = Type.String({ minLength: 1, maxLength: 100 });
const IdParams = Type.Object({ id: Type.String({ pattern: '^[1-9][0-9]{0,9}$', description: 'a cell id' }) });

type ErrorCode = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 500;

/** What status codes mean where a route does not say more. */
const ERRORS: Record<Exclude<ErrorCode, 409>, string> = {
  400: 'the request does not match its schema',
  401: 'a server bound beyond loopback: the token is missing or wrong',
  403: 'a server bound to loopback: the Host header is not a loopback name',
  404: 'no such cell',
  413: `the body is over ${BODY_LIMIT_BYTES / 1024} KiB`,
  415: 'the body is not JSON',
  500: 'an unexpected failure',
};

/** The error answers of a route: the security checks' and a failure's, plus those named (with their meaning here). */
function errors(own: Partial<Record<ErrorCode, string>> = {}) {
  const codes: Partial<Record<ErrorCode, string>> = { 401: ERRORS[401], 403: ERRORS[403], ...own, 500: ERRORS[500] };
  return Object.fromEntries(Object.entries(codes).map(([code, description]) =>
    [code, Type.Object(ErrorAnswer.properties, { title: 'Error', description, additionalProperties: false })])) as
    Record<ErrorCode, typeof ErrorAnswer>;
}

/** The error answers of a route with a JSON body. */
const bodyErrors = (own: Partial<Record<ErrorCode, string>> = {}) =>
  errors({ 400: ERRORS[400], 413: ERRORS[413], 415: ERRORS[415], ...own });

/** An answer that is not JSON (the server sends bytes or text), of the given media types. */
function file(description: string, ...types: string[]) {
  const schema = Type.Unsafe<string | Uint8Array>(Type.String());
  return { description, content: Object.fromEntries(types.map((type) => [type, { schema }])) };
}

const SIGNED_OFF = 'the review is signed off; it can no longer change';

/** A FHIR R4 resource, described loosely: R4's own definitions say what it holds (docs/fhir.md). */
const FhirResource = Type.Object({ resourceType: Type.String() }, { additionalProperties: true });

export const FhirBundle = Type.Object({
  resourceType: Type.Literal('Bundle'),
  id: Type.String({ description: 'a name-based UUID of its content' }),
  type: Type.Literal('collection'),
  entry: Type.Array(Type.Object({
    fullUrl: Type.String({ description: 'urn:uuid: and the resource\'s id' }),
    resource: FhirResource,
  }, { additionalProperties: false }), { description: 'a DiagnosticReport, a Device (the model), then an Observation per category and per count kept apart' }),
}, {
  title: 'FhirBundle',
  description: 'a FHIR R4 Bundle of type collection (valid against the R4 StructureDefinitions); its resources are described in docs/fhir.md, not here',
  additionalProperties: false,
});

const CaseId = Type.String({ pattern: '^[1-9][0-9]{0,9}$', description: 'a case id, from GET /api/cases' });

export const CaseState = Type.Union(['queued', 'classifying', 'to_review', 'signed_off', 'failed'].map((state) => Type.Literal(state)), {
  description: 'queued: waiting for its turn to be classified; classifying; to_review; signed_off; failed: its classification failed (see its progress)',
});

export const WorklistRow = Type.Object({
  id: Type.Integer({ minimum: 1 }),
  name: Type.String({ description: 'the case folder\'s name' }),
  state: CaseState,
  cells: Type.Integer({ minimum: 0, description: 'cells whose image is in the folder as classified' }),
  pending_review: Type.Integer({ minimum: 0, description: 'flagged cells (needing review or out of scope) not reviewed yet: sign-off waits for them' }),
  signed_off_by: nullable(Type.String()),
  signed_off_at: nullable(Time),
}, { title: 'WorklistRow', description: 'one case (a slide or a patient) of the worklist', additionalProperties: false });
export type WorklistRow = Static<typeof WorklistRow>;

export const CaseComment = Type.Object({
  text: Type.String(),
  by: Type.String(),
  at: Time,
}, { title: 'CaseComment', description: 'a reviewer\'s comment on the whole case', additionalProperties: false });
export type CaseComment = Static<typeof CaseComment>;

/** Longest comment, in characters. */
export const MAX_COMMENT_LENGTH = 2000;
/** Free text, newlines allowed; other control characters (C0, DEL, C1) refused. */
const CommentText = nullable(Type.String({ maxLength: MAX_COMMENT_LENGTH, pattern: '^[^\\x00-\\x09\\x0B-\\x1F\\x7F-\\x9F]*$' }),
  'the comment; empty or null removes it');
const CommentBody = Type.Object({ comment: CommentText, reviewer: Reviewer }, { additionalProperties: false });

/**
 * The routes of one review (one case), by "METHOD /path" under the API base they are mounted at:
 * /api for the one folder served as one case, /api/cases/:case for each case.
 */
export const REVIEW_API = {
  'GET /info': { summary: 'The review\'s title, labels and sign-off', response: { 200: Info, ...errors() } },
  'GET /progress': { summary: 'The classification\'s progress', response: { 200: Progress, ...errors() } },
  'POST /rescan': {
    summary: 'Scan the folder again: new images are classified, gone ones marked missing, changed ones classified anew (their review dropped, kept in the audit); answers once the store is in step, the classification goes on',
    body: Type.Object({}, { additionalProperties: false }),
    response: { 200: Progress, ...bodyErrors({ 409: 'the review is signed off, the folder is being scanned or classified, or the server is stopping' }) },
  },
  'GET /cells': {
    summary: 'Every cell, in id order',
    response: { 200: Type.Array(Cell, { description: 'empty until the classification is done' }), ...errors() },
  },
  'GET /cells/:id': {
    summary: 'One cell',
    params: IdParams,
    response: { 200: Cell, ...errors({ 400: 'the id is not a cell id', 404: ERRORS[404] }) },
  },
  'GET /cells/:id/image': {
    summary: 'One cell\'s image (TIFF is sent as PNG)',
    params: IdParams,
    response: {
      200: file('the image', 'image/jpeg', 'image/png'),
      ...errors({ 400: 'the id is not a cell id', 404: 'no such cell, or its file is missing, gone or not inside the folder', 409: 'the file\'s content is not the one classified (rescan)' }),
    },
  },
  'PUT /cells/:id': {
    summary: 'Label one cell; answers once the change and its audit row are on disk',
    params: IdParams,
    body: Type.Object({ label: Label, reviewer: Type.Optional(Reviewer) }, { additionalProperties: false }),
    response: { 200: Cell, ...bodyErrors({ 400: 'an unknown label, or the request does not match its schema', 404: ERRORS[404], 409: SIGNED_OFF }) },
  },
  'PUT /cells': {
    summary: 'Label many cells in one change; all or nothing',
    body: Type.Object({
      ids: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: MAX_BATCH, uniqueItems: true }),
      label: Label,
      reviewer: Type.Optional(Reviewer),
    }, { additionalProperties: false }),
    response: {
      200: Type.Object({
        changed: Type.Integer({ minimum: 0, description: 'cells whose label changed' }),
        cells: Type.Array(Cell, { description: 'every cell named, in the order named' }),
      }, { title: 'Relabelled', description: 'the cells as they are now', additionalProperties: false }),
      ...bodyErrors({ 400: 'an unknown label, or the request does not match its schema', 404: 'an id is not a cell (nothing changed)', 409: SIGNED_OFF }),
    },
  },
  'GET /differential': { summary: 'The differential as reviewed so far', response: { 200: Differential, ...errors() } },
  'GET /audit': { summary: 'Every change of the review (labels, comments, what rescans found), oldest first', response: { 200: Type.Array(AuditRow, { description: 'the audit trail' }), ...errors() } },
  'GET /sign-off': { summary: 'Who signed the review off, and when', response: { 200: nullable(SignOff, 'null until signed off'), ...errors() } },
  'POST /sign-off': {
    summary: 'Sign the review off: it can no longer change',
    body: Type.Object({ name: Reviewer }, { additionalProperties: false }),
    response: { 200: SignOff, ...bodyErrors({ 409: 'the classification has not finished, or the review is already signed off' }) },
  },
  'GET /export/predictions.csv': {
    summary: 'The predictions CSV of wbc classify plus reviewed_label, reviewed_by, reviewed_at and comment',
    response: { 200: file('an attachment', 'text/csv'), ...errors() },
  },
  'GET /export/differential.csv': {
    summary: 'The differential CSV of wbc classify, plus one row per bin and one for unreviewed out-of-scope cells',
    response: { 200: file('an attachment', 'text/csv'), ...errors() },
  },
  'GET /fhir': {
    summary: 'The case as a FHIR R4 Bundle (docs/fhir.md): its DiagnosticReport preliminary, or final once signed off with the signer and the case comment',
    response: { 200: { description: 'a FHIR R4 Bundle of type collection: a DiagnosticReport, a Device (the model) and an Observation per category, count and bin, as docs/fhir.md describes', content: { 'application/fhir+json': { schema: FhirBundle } } }, ...errors() },
  },
  'POST /export/labelled-folder': {
    summary: 'Write the cells reviewed as a class into the export folder, one sub-folder per class (non-white kinds apart): folders wbc train accepts',
    body: Type.Object({}, { additionalProperties: false }),
    response: {
      200: LabelledExport,
      ...bodyErrors({ 409: 'no cell is reviewed as a class yet, the export folder is not an earlier export, or an image left the folder, is gone or changed since it was classified (nothing exported)' }),
    },
  },
  'PUT /cells/:id/comment': {
    summary: 'Comment on one cell (free text, audited); answers once it is on disk',
    params: IdParams,
    body: CommentBody,
    response: { 200: Cell, ...bodyErrors({ 400: 'control characters, over-long text, or the request does not match its schema', 404: ERRORS[404], 409: SIGNED_OFF }) },
  },
  'GET /comment': { summary: 'The comment on the whole case', response: { 200: nullable(CaseComment, 'null when there is none'), ...errors() } },
  'PUT /comment': {
    summary: 'Comment on the whole case (free text, audited; shown on the report as its conclusion)',
    body: CommentBody,
    response: { 200: nullable(CaseComment, 'null once removed'), ...bodyErrors({ 400: 'control characters, over-long text, or the request does not match its schema', 409: SIGNED_OFF }) },
  },
} as const;

export type ReviewRoute = keyof typeof REVIEW_API;
type Schemas = Record<string, { params?: TSchema; response: Record<number, unknown> }>;
type Mounted<T, Base extends string> = { [K in keyof T as K extends `${infer M} ${infer P}` ? `${M} ${Base}${P}` : never]: T[K] };

function mounted<T extends Schemas, Base extends string>(routes: T, base: Base): Mounted<T, Base> {
  return Object.fromEntries(Object.entries(routes).map(([route, schema]) => {
    const [method, url] = route.split(' ');
    return [`${method} ${base}${url}`, schema];
  })) as Mounted<T, Base>;
}

/** A review route under /api/cases/:case: the case id added to its parameters, and the 404 of an unknown case. */
function forCase<T extends Schemas>(routes: T): T {
  return Object.fromEntries(Object.entries(routes).map(([route, schema]) => {
    const params = schema.params as { properties?: Record<string, TSchema> } | undefined;
    const described = (code: number) => (schema.response[code] as { description?: string } | undefined)?.description;
    const notFound = described(404);
    return [route, {
      ...schema,
      params: Type.Object({ case: CaseId, ...(params?.properties ?? {}) }),
      response: {
        ...schema.response,
        ...errors({ 400: described(400) ?? 'the case is not a case id', 404: notFound ? `no such case, or ${notFound}` : 'no such case' }),
        200: schema.response[200],
      },
    }];
  })) as unknown as T;
}

/** The review routes' schemas by the base they are mounted at. */
export const REVIEW_MOUNTS = { '/api': REVIEW_API, '/api/cases/:case': forCase(REVIEW_API) } as const;
export type ReviewBase = keyof typeof REVIEW_MOUNTS;

const CaseParams = Type.Object({ case: CaseId });

/** Every route the server answers, by "METHOD /url", with its schemas. */
export const API = {
  'GET /': {
    summary: 'The review page of the one folder served, or the worklist when serving a folder of cases',
    querystring: Type.Object({ token: Type.Optional(Type.String({ description: 'the token, once: kept as an HttpOnly cookie' })) }),
    response: {
      200: file('the page', 'text/html'),
      303: Type.Null({ description: 'with the right ?token=: sets the token cookie and redirects to /' }),
      ...errors(),
    },
  },
  'GET /report': { summary: 'The printable report of the one folder served', response: { 200: file('the page', 'text/html'), ...errors() } },
  'GET /style.css': { summary: 'The pages\' style', response: { 200: file('the style sheet', 'text/css'), ...errors() } },
  'GET /app.js': { summary: 'The review page\'s script', response: { 200: file('an ES module', 'text/javascript'), ...errors() } },
  'GET /api.js': { summary: 'The pages\' shared script', response: { 200: file('an ES module', 'text/javascript'), ...errors() } },
  'GET /undo-history.js': { summary: 'The review page\'s undo history, rebuilt from the audit', response: { 200: file('an ES module', 'text/javascript'), ...errors() } },
  'GET /report.js': { summary: 'The report\'s script', response: { 200: file('an ES module', 'text/javascript'), ...errors() } },
  'GET /api/openapi.json': {
    summary: 'This API as an OpenAPI document',
    response: {
      200: OpenApiDocument,
      ...errors(),
    },
  },
  'GET /comments.js': { summary: 'The review page\'s comment boxes', response: { 200: file('an ES module', 'text/javascript'), ...errors() } },
  'GET /worklist.js': { summary: 'The worklist page\'s script', response: { 200: file('an ES module', 'text/javascript'), ...errors() } },
  'GET /cases/:case/': {
    summary: 'The review page of one case',
    params: CaseParams,
    response: { 200: file('the page', 'text/html'), ...errors({ 400: 'the case is not a case id', 404: 'no such case' }) },
  },
  'GET /cases/:case/report': {
    summary: 'The printable report of one case',
    params: CaseParams,
    response: { 200: file('the page', 'text/html'), ...errors({ 400: 'the case is not a case id', 404: 'no such case' }) },
  },
  'GET /api/cases': {
    summary: 'The worklist: every case, in the order found',
    response: { 200: Type.Array(WorklistRow), ...errors() },
  },
  ...mounted(REVIEW_MOUNTS['/api'], '/api'),
  ...mounted(REVIEW_MOUNTS['/api/cases/:case'], '/api/cases/:case'),
} as const;

export type Route = keyof typeof API;
type Json<T> = T extends TSchema ? Static<T> : never;

/** The JSON answer of each route when it succeeds. */
export type Answers = { [R in Route]: Json<(typeof API)[R]['response'][200]> };
/** The JSON body of each route (undefined: none). */
export type Bodies = { [R in Route]: (typeof API)[R] extends { body: infer B } ? Json<B> : undefined };
