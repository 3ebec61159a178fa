/**
 * What a reviewer may call a cell: one of the model's classes, or a bin for what is not a white cell
 * of those classes. Bins are counted apart from the differential.
 */
export const REVIEW_BINS: readonly string[] = ['unidentified', 'smudge', 'artefact', 'other cell'];

export function isBin(label: string): boolean {
  return REVIEW_BINS.includes(label);
}

/** Every label a reviewer may give, in the order the page numbers them: the classes, then the bins. */
export function reviewLabels(classes: readonly string[]): string[] {
  return [...classes, ...REVIEW_BINS];
}
