/**
 * wbc-classifier: train, evaluate and apply a white-blood-cell image classifier, offline on the CPU.
 * One entry point per task; the `wbc` command is a thin layer over these.
 */
export { train, TRAIN_DEFAULTS, type TrainOptions, type TrainResult, type FollowerResult } from './train/train';
export { groupFromConventions, type DistributedOptions, type GroupFlags } from './distributed/options';
export type { TrainingEvent } from './train/events';
export { evaluate, type EvaluateOptions, type EvaluateResult } from './classifier/evaluate';
export { classify, type ClassifyOptions, type ClassifyResult } from './classifier/classify';
export { openClassifier, type Classifier, type ClassifierOptions, type ClassifyImagesOptions, type ImagesClassified } from './classifier/open-classifier';
export type { EvaluateFolderOptions } from './classifier/evaluate-folder';
export { recordCalibrationScores, type RecordCalibrationOptions, type CalibrationRecorded } from './classifier/record-calibration-scores';
export { chooseScheme, type SchemeChoice } from './scheme/choose-scheme';
export { BUILT_IN_SCHEMES, type Scheme, type SchemeCategory, type SchemeDefinition } from './scheme/scheme';
export { schemeDifferential, schemeDifferentialCsv, formatSchemeDifferential, type SchemeDifferential } from './classify/scheme-differential';
export { readModelInfo, type ModelInfo } from './model/model-folder';
export type { EngineChoice } from './runtime/predictor';
export { exportOnnx, type OnnxExportResult } from './export/onnx-export';
export { metadataToFacts, type ExportedModelFacts } from './runtime/metadata';
export { readModelHeader } from './runtime/onnx-proto';
export { exportWeb, type WebExportResult } from './export/web-export';
export { servePage, type PageServer } from './export/serve-page';
export { scanImageFolder, scanImages, listImages, type ImageFolder, type UnlabelledFolder } from './data/image-folder';
export { stableSplit, SPLIT_METHOD, type SplitSettings, type Sides } from './data/split';
export { splitFolder, writeSplitFolders, type SplitFolderOptions } from './data/split-folders';
export { computeMetrics, type Metrics, type ClassMetrics } from './evaluate/metrics';
export { formatMetrics } from './evaluate/report';
export { writeConfusionMatrixImage, confusionMatrixSvg } from './evaluate/confusion-image';
export { predictionsCsv } from './classify/csv';
export { differentialCount, formatDifferential, differentialCsv, type Differential } from './classify/differential';
export { differentialsByFolder, perFolderDifferentialCsv, type FolderDifferential } from './classify/per-folder';
export { per100White, type NonWhiteCount, type NonWhiteRow, type Per100White } from './classify/non-white-count';
export type { NonWhiteCrossings } from './evaluate/non-white-crossings';
export type { Prediction } from './classify/predictions';
export { serve, type ServeOptions, type RunningServer } from './serve/serve';
export { fhirBundle } from './interchange/fhir-bundle';
export { checkCaseSummary, type CaseSummary, type SummaryCategory, type SummaryNonWhite, type SummarySignOff } from './interchange/case-summary';
export { caseSummaryFromSchemeDifferential, type CaseContext } from './interchange/summary-from-differential';
export { fhirR4Errors } from './interchange/fhir-validate';
export { writeModelReport, type ReportOptions } from './report/report';
export { clopperPearsonInterval } from './trust/binomial-interval';
export { WbcError } from './util/errors';
export { expectedCalibrationError, reliabilityBins, type ReliabilityBin } from './trust/ece';
export { clopperPearsonUpper } from './trust/clopper-pearson';
export { writeReliabilityImage, reliabilitySvg } from './trust/reliability-image';
export type { CalibrationInfo, OutOfScopeInfo } from './model/model-schema';
export type { TrustAssessment, ReviewOutcome } from './trust/assess';
