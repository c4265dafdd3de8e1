/**
 * Shapes shared by the query and body DTOs of every module (one copy, not one per module).
 */

/** Printable, no control characters: what Airflow ids look like, and U+0000 cannot reach PostgreSQL. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const PRINTABLE = /^[^\u0000-\u001f\u007f]+$/;

/** Any text but U+0000, which cannot reach PostgreSQL text (values, notes, descriptions may span lines). */
// eslint-disable-next-line no-control-regex -- matching U+0000 is the point
export const NO_NUL = /^[^\u0000]*$/;

/**
 * At most this many values per repeated query parameter (a sensor lists a few). Below 1000 on
 * purpose: Express's query parser keeps only the first 1000 parameters and drops the rest without a
 * word, so a longer list could never be refused, only cut.
 */
export const MAX_LIST = 500;

/**
 * `@Transform(toList)`: `?ids=a&ids=b` arrives as an array, `?ids=a` as a string: both become a
 * list (what Airflow's FastAPI `list[str]` query parameters accept).
 */
export const toList = ({ value }: { value: unknown }): unknown => (value === undefined || Array.isArray(value) ? value : [value]);
