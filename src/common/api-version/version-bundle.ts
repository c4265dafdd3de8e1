import { isExactNumber } from '../json/exact-json';
import type { JsonRecord, ModuleVersionChanges, SchemaInstruction, VersionChange } from './version-changes';

/**
 * How a request's `Airflow-API-Version` is answered, reproducing Cadwyn's `VersionPickingMiddleware`
 * and `_RootCadwynAPIRouter` (cadwyn/middleware.py, cadwyn/routing.py, 7.x) with Airflow's
 * `api_version_default_value = bundle.versions[0]` (execution_api/app.py):
 * - `served`: a known version; no header → the newest; an unknown date → the closest older version
 *   ("waterfalling"; a date after the newest gets the newest). `version` is the one the response
 *   has and echoes in the header.
 * - `before_first`: no route exists for it (Cadwyn routes nothing: 404 Not Found). Cadwyn compares
 *   the raw strings, so anything that sorts before the first version lands here, including an
 *   empty header and malformed values such as `01/02/2026`.
 * - `malformed`: sorts after the first version but is not a date: Cadwyn picks the version by
 *   string order, then the route's header parameter (typed `date`) fails validation: 422.
 */
export type VersionResolution =
  | { readonly kind: 'served'; readonly version: string }
  | { readonly kind: 'before_first'; readonly requested: string }
  | { readonly kind: 'malformed'; readonly version: string };

const DATE_SHAPE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A calendar date spelled `YYYY-MM-DD`. Pydantic's lax `date` also takes a datetime at midnight
 * and a few other spellings; no Task SDK sends those, so this service refuses them (422).
 */
export function isIsoDate(value: string): boolean {
  if (!DATE_SHAPE.test(value)) return false;
  const [y, m, d] = value.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

interface Step {
  readonly path: readonly string[];
  readonly instruction: SchemaInstruction;
}

/**
 * The ordered API versions and every module's declared changes: resolves a request's version and
 * migrates a response body of a declared schema to it. Built once at start-up; a declaration that
 * names an unknown version or schema throws then. A (schema, version) migration is planned on first
 * use and cached, so a request pays for one map lookup and the steps that apply to it.
 */
export class VersionBundle {
  /** Oldest first. */
  readonly versions: readonly string[];
  readonly newest: string;
  private readonly known: ReadonlySet<string>;
  private readonly nesting = new Map<string, Readonly<Record<string, string>>>();
  private readonly changes: readonly VersionChange[];
  private readonly plans = new Map<string, readonly Step[]>();

  constructor(versions: readonly string[], modules: readonly ModuleVersionChanges[]) {
    if (versions.length === 0) throw new Error('API versions: the list is empty');
    versions.forEach((v, i) => {
      if (!isIsoDate(v)) throw new Error(`API versions: "${v}" is not a YYYY-MM-DD date`);
      if (i > 0 && v <= versions[i - 1]) throw new Error(`API versions: "${v}" is not after "${versions[i - 1]}" (list them oldest first)`);
    });
    this.versions = Object.freeze([...versions]);
    this.newest = versions[versions.length - 1];
    this.known = new Set(versions);

    for (const module of modules) {
      for (const [schema, nested] of Object.entries(module.schemas)) {
        if (this.nesting.has(schema)) throw new Error(`API versions: schema ${schema} (${module.owner}) is declared twice`);
        this.nesting.set(schema, nested);
      }
    }
    for (const [schema, nested] of this.nesting) {
      for (const [fieldName, inner] of Object.entries(nested)) {
        if (!this.nesting.has(inner)) throw new Error(`API versions: ${schema}.${fieldName} names the undeclared schema ${inner}`);
      }
    }
    const all: VersionChange[] = [];
    for (const module of modules) {
      for (const change of module.changes) {
        if (!this.known.has(change.version)) throw new Error(`API versions: ${change.name} (${module.owner}) names the unknown version ${change.version}`);
        if (change.version === versions[0])
          throw new Error(`API versions: ${change.name} (${module.owner}) is in the first version, which has no previous one`);
        for (const i of change.instructions) {
          if (!Object.hasOwn(module.schemas, i.schema))
            throw new Error(`API versions: ${change.name} changes ${i.schema}, which ${module.owner} does not declare`);
        }
        all.push(change);
      }
    }
    // Newest first, as Cadwyn migrates a response from the head down one version at a time; a
    // stable sort keeps a version's changes in their declared order.
    this.changes = Object.freeze(all.sort((a, b) => (a.version < b.version ? 1 : a.version > b.version ? -1 : 0)));
  }

  /** See `VersionResolution`. `raw` is the header as received (undefined when absent). */
  resolve(raw: string | undefined): VersionResolution {
    if (raw === undefined) return { kind: 'served', version: this.newest };
    if (this.known.has(raw)) return { kind: 'served', version: raw };
    // Cadwyn: bisect_left on the sorted version strings; index 0 means "earlier than the earliest".
    let index = 0;
    while (index < this.versions.length && this.versions[index] < raw) index++;
    if (index === 0) return { kind: 'before_first', requested: raw };
    const picked = this.versions[index - 1];
    return isIsoDate(raw) ? { kind: 'served', version: picked } : { kind: 'malformed', version: picked };
  }

  hasSchema(schema: string): boolean {
    return this.nesting.has(schema);
  }

  /** The changes a version introduced (for docs and tests), in declared order. */
  changesIn(version: string): readonly VersionChange[] {
    return this.changes.filter((c) => c.version === version);
  }

  /**
   * `body` (a response of `schema` in the newest shape) as `version` had it: a new object, `body`
   * is left as it is. The newest version returns `body` itself.
   */
  migrate(schema: string, body: unknown, version: string): unknown {
    const steps = this.plan(schema, version);
    if (steps.length === 0 || body === null || typeof body !== 'object') return body;
    const copy = cloneJson(body) as JsonRecord;
    for (const step of steps) forEachAt(copy, step.path, step.instruction.toPrevious);
    return copy;
  }

  private plan(schema: string, version: string): readonly Step[] {
    const key = `${schema}\u0000${version}`;
    const cached = this.plans.get(key);
    if (cached) return cached;
    if (!this.nesting.has(schema)) throw new Error(`API versions: no schema ${schema} is declared`);
    if (!this.known.has(version)) throw new Error(`API versions: unknown version ${version}`);
    const paths = this.pathsOf(schema);
    const steps: Step[] = [];
    for (const change of this.changes) {
      if (change.version <= version) break;
      for (const instruction of change.instructions) {
        for (const path of paths.get(instruction.schema) ?? []) steps.push({ path, instruction });
      }
    }
    this.plans.set(key, Object.freeze(steps));
    return steps;
  }

  /** Where each schema occurs inside `root` (root itself at `[]`), following the declared nesting. */
  private pathsOf(root: string): Map<string, string[][]> {
    const found = new Map<string, string[][]>();
    const walk = (schema: string, path: string[], seen: ReadonlySet<string>) => {
      found.set(schema, [...(found.get(schema) ?? []), path]);
      for (const [fieldName, inner] of Object.entries(this.nesting.get(schema) ?? {})) {
        if (seen.has(inner)) throw new Error(`API versions: schema ${inner} nests itself`);
        walk(inner, [...path, fieldName], new Set([...seen, inner]));
      }
    };
    walk(root, [], new Set([root]));
    return found;
  }
}

/**
 * A deep copy of a JSON body whose exact numbers (`JSON.rawJSON` leaves, `src/common/json/exact-json.ts`)
 * stay leaves: `structuredClone` throws `DataCloneError` on them, which turned an older caller's
 * `/run` with a big number in `dag_run.conf` into a 500.
 */
function cloneJson(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || isExactNumber(value)) return value;
  if (Array.isArray(value)) return value.map(cloneJson);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cloneJson(v)]));
}

/** Calls `fn` on every object at `path` (an array at any step means each of its objects). */
function forEachAt(value: unknown, path: readonly string[], fn: (body: JsonRecord) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) forEachAt(item, path, fn);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const record = value as JsonRecord;
  if (path.length === 0) fn(record);
  else forEachAt(record[path[0]], path.slice(1), fn);
}
