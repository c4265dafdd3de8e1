import { z } from 'zod';

/**
 * Parsers for environment variables, shared by the core settings (`app-config.ts`) and the
 * settings a feature module declares (`defineModuleSettings`). Values arrive as strings.
 */
export const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, 'must be an integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const boolean = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), 'must be true or false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0),
);

/** The validated core settings a module's cross-checks may read (e.g. the HTTP body limit). */
export interface CoreSettingsView {
  http: { maxBodyBytes: number };
}

/**
 * Settings a feature module declares: its environment variables (a zod shape, parsed with every
 * other variable so one bad value fails the boot with its name), how they map to the module's typed
 * settings, and optional checks against the core settings. Register the definition in the module's
 * feature manifest (`src/features.ts`); read it with `definition.of(config)` or inject
 * `definition.token`.
 */
export interface ModuleSettingsDefinition<Shape extends z.ZodRawShape = z.ZodRawShape, T = unknown> {
  /** Where the parsed settings live in `AppConfig.modules`. */
  readonly name: string;
  readonly shape: Shape;
  // Methods, not function properties: a manifest lists definitions of different shapes as one type.
  map(env: z.output<z.ZodObject<Shape>>, core: CoreSettingsView): T;
  /** Problems (each naming its variable) with the parsed settings in the light of the core ones. */
  check?(settings: T, core: CoreSettingsView): string[];
  /** Nest injection token for the parsed settings. */
  readonly token: symbol;
  /** The parsed settings of this module in `config`. */
  of(config: { modules: Readonly<Record<string, unknown>> }): T;
}

export function defineModuleSettings<Shape extends z.ZodRawShape, T>(definition: {
  name: string;
  shape: Shape;
  map: (env: z.output<z.ZodObject<Shape>>, core: CoreSettingsView) => T;
  check?: (settings: T, core: CoreSettingsView) => string[];
}): ModuleSettingsDefinition<Shape, T> {
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
