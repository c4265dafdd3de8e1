import { registerDecorator, type ValidationOptions } from 'class-validator';
import { MAX_DURATION_MS, parseIsoDuration } from '../iso-duration';

function rule(name: string, test: (value: unknown) => boolean, message: string, options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `$property ${message}`, ...options },
      validator: { validate: (value: unknown) => test(value) },
    });
}

/** An ISO-8601 duration (`P1D`, `PT30M`) of at most 100 years. */
export const IsIsoDuration = (options?: ValidationOptions) =>
  rule(
    'isIsoDuration',
    (v) => {
      if (typeof v !== 'string') return false;
      const ms = parseIsoDuration(v);
      return ms !== undefined && ms <= MAX_DURATION_MS;
    },
    'must be an ISO-8601 duration such as P1D or PT30M, at most 100 years',
    options,
  );

/** A JSON object, or a string (Airflow lets the worker send these kwargs encrypted). */
export const IsObjectOrString = (options?: ValidationOptions) =>
  rule(
    'isObjectOrString',
    (v) => typeof v === 'string' || (typeof v === 'object' && v !== null && !Array.isArray(v)),
    'must be a JSON object or a string',
    options,
  );

/** An array of plain JSON objects (contents not interpreted). */
export const IsArrayOfObjects = (options?: ValidationOptions) =>
  rule(
    'isArrayOfObjects',
    (v) => Array.isArray(v) && v.every((e) => typeof e === 'object' && e !== null && !Array.isArray(e)),
    'must be an array of JSON objects',
    options,
  );

const MAX_ID = 250;
const MAX_INT = 2_147_483_647;
const isTaskId = (v: unknown): v is string => typeof v === 'string' && v.length >= 1 && v.length <= MAX_ID;

/** One entry of `tasks`: a task id, or `[task_id, map_index]`. */
export function isTaskRef(v: unknown): v is string | [string, number] {
  if (isTaskId(v)) return true;
  return Array.isArray(v) && v.length === 2 && isTaskId(v[0]) && Number.isInteger(v[1]) && (v[1] as number) >= -1 && (v[1] as number) <= MAX_INT;
}

/** `tasks` of skip-downstream: task ids (1–250 characters) or `[task_id, map_index ≥ -1]` pairs. */
export const IsTaskRefList = (options?: ValidationOptions) =>
  rule('isTaskRefList', (v) => Array.isArray(v) && v.every(isTaskRef), 'must be a list of task ids or [task_id, map_index] pairs', options);
