import { applyDecorators } from '@nestjs/common';
import { plainToInstance, Transform } from 'class-transformer';
import { ValidateBy, validateSync } from 'class-validator';

/**
 * How environment variables are declared: a class whose properties are the variables, each with
 * one `Env…` decorator and, when it has one, its default as the property's initializer (the parsed
 * value). The core settings (`app-config.ts`) and the settings a feature module declares
 * (`defineModuleSettings`) use the same decorators, and `validateEnv` runs them with
 * class-transformer and class-validator, the library the request DTOs use: one validation
 * mechanism for bodies, parameters and configuration.
 *
 * Each decorator is a class-transformer `@Transform` that parses the string (values arrive as
 * strings) and one class-validator rule, `envVariable`, that refuses what the parse refused with
 * its message. Parsing and its message are one function, so a value fails with exactly one
 * message (class-validator would otherwise report every broken rule of a stack, in an order the
 * decorators do not control).
 */

/** A value the parse refused, and why; never the value itself (a secret may be the bad value). */
export class EnvProblem {
  constructor(readonly message: string) {}
}

/** Turns the variable's text into its typed value, or says why it cannot. */
export type EnvParse<T> = (text: string) => T | EnvProblem;

/**
 * Declares an environment variable parsed by `parse`. Unset (or empty: see `loadConfig`) leaves the
 * property's initializer, which is the default, or `undefined` for an optional variable.
 */
export function EnvVariable<T>(parse: EnvParse<T>): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? parse(value) : value)),
    ValidateBy({
      name: 'envVariable',
      validator: {
        validate: (value: unknown) => !(value instanceof EnvProblem),
        defaultMessage: (args) => (args?.value instanceof EnvProblem ? args.value.message : 'is not valid'),
      },
    }),
  ) as PropertyDecorator;
}

/** An integer from `min` to `max`, written in decimal digits (surrounding blanks ignored). */
export const parseInteger =
  (min: number, max: number): EnvParse<number> =>
  (text) => {
    const trimmed = text.trim();
    if (!/^-?\d+$/.test(trimmed)) return new EnvProblem('must be an integer');
    const n = Number(trimmed);
    return n >= min && n <= max ? n : new EnvProblem(`must be from ${min} to ${max}`);
  };

/** `EnvVariable(parseInteger(min, max))`. */
export const EnvInteger = (min: number, max: number): PropertyDecorator => EnvVariable(parseInteger(min, max));

const TRUE = ['true', '1', 'yes'];
const FALSE = ['false', '0', 'no'];

/** true/1/yes or false/0/no, any case. */
export const parseBoolean: EnvParse<boolean> = (text) => {
  const word = text.trim().toLowerCase();
  return TRUE.includes(word) ? true : FALSE.includes(word) ? false : new EnvProblem('must be true or false');
};

export const EnvBoolean = (): PropertyDecorator => EnvVariable(parseBoolean);

/** Comma-separated words, trimmed and lower-cased; empty items dropped. */
export const parseWordList: EnvParse<string[]> = (text) =>
  text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0);

export const EnvWordList = (): PropertyDecorator => EnvVariable(parseWordList);

/** Comma-separated values, trimmed, case kept, empty items dropped; each checked by `item`. */
export const parseList =
  <T>(item: EnvParse<T>, options: { min?: number } = {}): EnvParse<T[]> =>
  (text) => {
    const values = text
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0)
      .map(item);
    const problem = values.find((v) => v instanceof EnvProblem);
    if (problem) return problem;
    if (values.length < (options.min ?? 0)) return new EnvProblem('must name at least one value');
    return values as T[];
  };

/** One of `values`, as written. */
export const parseOneOf =
  <const V extends readonly string[]>(values: V): EnvParse<V[number]> =>
  (text) =>
    (values as readonly string[]).includes(text) ? text : new EnvProblem(`must be one of ${values.join(', ')}`);

export const EnvOneOf = (values: readonly string[]): PropertyDecorator => EnvVariable(parseOneOf(values));

/** Non-blank text, trimmed; with `pattern`, also matching it (else `message`). */
export const parseText =
  (pattern?: RegExp, message = 'is not valid'): EnvParse<string> =>
  (text) => {
    const trimmed = text.trim();
    if (trimmed.length === 0) return new EnvProblem('must not be blank');
    return pattern && !pattern.test(trimmed) ? new EnvProblem(message) : trimmed;
  };

export const EnvText = (pattern?: RegExp, message?: string): PropertyDecorator => EnvVariable(parseText(pattern, message));

/** Any text, as written (an empty value never gets here: it counts as unset). */
export const EnvString = (): PropertyDecorator => EnvVariable((text) => text);

/**
 * Validates `env` against `envClass`: every variable the class declares is parsed, and each one
 * that fails gives one problem `NAME: message`. Variables the class does not declare are ignored
 * (the environment holds many others).
 */
export function validateEnv<E extends object>(envClass: new () => E, env: Record<string, string>): { value: E; problems: string[] } {
  const value = plainToInstance(envClass, env);
  const problems = validateSync(value).map((e) => `${e.property}: ${Object.values(e.constraints ?? {})[0] ?? 'is not valid'}`);
  return { value, problems };
}

/** The validated core settings a module's cross-checks may read (e.g. the HTTP body limit). */
export interface CoreSettingsView {
  http: { maxBodyBytes: number };
}

/**
 * Settings a feature module declares: its environment variables (a class of `Env…`-decorated
 * properties, validated with every other variable so one bad value fails the boot with its name),
 * how they map to the module's typed settings, and optional checks against the core settings.
 * Register the definition in the module's feature manifest (`src/features.ts`); read it with
 * `definition.of(config)` or inject `definition.token`.
 */
export interface ModuleSettingsDefinition<E extends object = object, T = unknown> {
  /** Where the parsed settings live in `AppConfig.modules`. */
  readonly name: string;
  /** The module's variables, declared as for the core (see `EnvVariable`). */
  readonly env: new () => E;
  // Methods, not function properties: a manifest lists definitions of different shapes as one type.
  map(env: E, core: CoreSettingsView): T;
  /** Problems (each naming its variable) with the parsed settings in the light of the core ones. */
  check?(settings: T, core: CoreSettingsView): string[];
  /** Nest injection token for the parsed settings. */
  readonly token: symbol;
  /** The parsed settings of this module in `config`. */
  of(config: { modules: Readonly<Record<string, unknown>> }): T;
}

export function defineModuleSettings<E extends object, T>(definition: {
  name: string;
  env: new () => E;
  map: (env: E, core: CoreSettingsView) => T;
  check?: (settings: T, core: CoreSettingsView) => string[];
}): ModuleSettingsDefinition<E, T> {
  const token = Symbol(`${definition.name} settings`);
  return Object.freeze({
    ...definition,
    token,
    of(config: { modules: Readonly<Record<string, unknown>> }): T {
      if (!(definition.name in config.modules)) throw new Error(`settings of module ${definition.name} were not loaded: is it listed in src/features.ts?`);
      return config.modules[definition.name] as T;
    },
  });
}
