/**
 * One-cycle learning rate (Smith & Topin, 2019): a warm-up from peak/startDivisor to the peak over the
 * first `warmupFraction` of the steps, then a cosine decay to peak/endDivisor.
 */
export function oneCycleLearningRate(step: number, totalSteps: number, peak: number, warmupFraction = 0.3, startDivisor = 25, endDivisor = 1e4): number {
  const warmupSteps = Math.max(1, Math.round(totalSteps * warmupFraction));
  const start = peak / startDivisor;
  const end = peak / endDivisor;
  const cosine = (from: number, to: number, progress: number) => to + ((from - to) * (1 + Math.cos(Math.PI * progress))) / 2;
  if (step < warmupSteps) return cosine(start, peak, step / warmupSteps);
  const decaySteps = Math.max(1, totalSteps - warmupSteps);
  return cosine(peak, end, Math.min(1, (step - warmupSteps) / decaySteps));
}
