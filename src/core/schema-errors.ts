/**
 * TypeBox's validation errors in the words suanli's messages use ("must be an integer from 1 to 64", "unknown
 * field"), for every input checked against a schema: job specs, programme files, the policy configuration. A caller
 * says what is special to its own input first and leaves the rest to `valueErrorText`.
 */
import type { TSchema } from '@sinclair/typebox';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/value';

/** A number schema's bounds in words: "from 1 to 64", "at least 0", "greater than 0", "at most 10". */
export function rangeText(schema: TSchema): string {
  const min = schema['minimum'] as number | undefined;
  const max = schema['maximum'] as number | undefined;
  const above = schema['exclusiveMinimum'] as number | undefined;
  if (min !== undefined && max !== undefined) return `from ${min} to ${max}`;
  if (above !== undefined) return `greater than ${above}`;
  if (min !== undefined) return `at least ${min}`;
  return `at most ${max}`;
}

const hasRange = (s: TSchema) =>
  s['minimum'] !== undefined || s['maximum'] !== undefined || s['exclusiveMinimum'] !== undefined;

export function valueErrorText(e: ValueError): string {
  const s = e.schema;
  switch (e.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.ObjectAdditionalProperties:
      return 'unknown field';
    case ValueErrorType.Literal:
      return `must be ${JSON.stringify(s['const'])}`;
    case ValueErrorType.Union: {
      const consts = ((s['anyOf'] as TSchema[] | undefined) ?? []).map((o) => o['const'] as unknown);
      return consts.length > 0 && consts.every((c) => typeof c === 'string')
        ? `must be one of ${consts.join(', ')}`
        : 'has the wrong type';
    }
    case ValueErrorType.String:
      return 'must be a string';
    case ValueErrorType.StringMinLength:
      return 'must not be empty';
    case ValueErrorType.StringMaxLength:
      return `must be at most ${s['maxLength']} characters`;
    case ValueErrorType.StringPattern:
      return `must match ${s['pattern']}`;
    case ValueErrorType.Number:
      return hasRange(s) ? `must be a number ${rangeText(s)}` : 'must be a number';
    case ValueErrorType.Integer:
      return hasRange(s) ? `must be an integer ${rangeText(s)}` : 'must be an integer';
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.NumberExclusiveMinimum:
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.IntegerMaximum:
      return `must be ${rangeText(s)}`;
    case ValueErrorType.Boolean:
      return 'must be true or false';
    case ValueErrorType.Array:
      return 'must be a list';
    case ValueErrorType.ArrayMinItems:
      return 'must not be empty';
    case ValueErrorType.Object:
      return 'must be a mapping';
    default:
      return e.message;
  }
}
