const NUMBER = String.raw`(\d+(?:[.,]\d+)?)`;
const ISO_DURATION = new RegExp(`^P(?:${NUMBER}Y)?(?:${NUMBER}M)?(?:${NUMBER}W)?(?:${NUMBER}D)?(?:T(?:${NUMBER}H)?(?:${NUMBER}M)?(?:${NUMBER}S)?)?$`);

const SECOND = 1000;
const DAY = 86_400 * SECOND;
/** Longest accepted duration: 100 years, far beyond any trigger timeout and safely inside a timestamptz. */
export const MAX_DURATION_MS = 36_500 * DAY;

/**
 * Parses an ISO-8601 duration (`P1D`, `PT30M`, `P1DT2H`, `PT0.5S`) into milliseconds, the way
 * Airflow's pydantic models read a `timedelta`: a year is 365 days, a month 30 days, a week 7 days.
 * Returns `undefined` for anything else (negative durations, an empty `P` or `PT`, a bare number).
 */
export function parseIsoDuration(text: string): number | undefined {
  if (text.length > 64) return undefined;
  const m = ISO_DURATION.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const [years, months, weeks, days, hours, minutes, seconds] = m.slice(1).map((v) => (v === undefined ? 0 : Number(v.replace(',', '.'))));
  const ms = Math.round((years * 365 + months * 30 + weeks * 7 + days) * DAY + (hours * 3600 + minutes * 60 + seconds) * SECOND);
  return Number.isFinite(ms) ? ms : undefined;
}
