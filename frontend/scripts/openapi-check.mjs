// The gateway's OpenAPI document (docs/openapi.json) as a checker for the test fakes of the gateway: a request body is
// checked as the gateway's pydantic models would (required fields, no unknown fields, types, enums, lengths, patterns),
// answering with the same field errors; a fake's answer is checked against the response model, so a fake can never
// answer in a shape the real gateway does not (missing, extra or mistyped fields).
//   checkSchema('PersonBody', body) -> [{ field, message, type }]   (empty: valid)
//   assertSchema('PersonView', answer)                             (throws on any difference)
import { readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';

const DOCUMENT = resolvePath(dirname(fileURLToPath(import.meta.url)), '../../docs/openapi.json');
let spec;

function schemas() {
  spec ??= JSON.parse(readFileSync(DOCUMENT, 'utf8'));
  return spec.components.schemas;
}

function resolve(schema) {
  if (schema && schema.$ref) return schemas()[schema.$ref.replace('#/components/schemas/', '')];
  return schema;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

function typeOf(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/**
 * The problems of `value` against `schema`, at `path`. `strict` refuses properties a schema does not name even without
 * `additionalProperties: false` (a response must be exactly the model).
 */
function check(schema, value, path, strict, errors) {
  schema = resolve(schema);
  if (!schema || Object.keys(schema).length === 0) return;
  const at = path.join('.') || 'body';
  const fail = (type, message, limits) => errors.push({ field: at, message, type, ...(limits ? { limits } : {}) });
  if (schema.anyOf) {
    for (const option of schema.anyOf) {
      const found = [];
      check(option, value, path, strict, found);
      if (found.length === 0) return;
    }
    const first = [];
    check(schema.anyOf.find((option) => resolve(option).type !== 'null') ?? schema.anyOf[0], value, path, strict, first);
    errors.push(...(first.length ? first : [{ field: at, message: 'Input does not match any allowed type', type: 'union' }]));
    return;
  }
  if (schema.enum && !schema.enum.includes(value)) return fail('enum', `Input should be ${schema.enum.map((item) => `'${item}'`).join(' or ')}`);
  const actual = typeOf(value);
  const type = schema.type ?? (schema.properties ? 'object' : undefined);
  if (type) {
    const ok = type === actual || (type === 'number' && actual === 'integer');
    if (!ok) return fail(`${type}_type`, `Input should be a valid ${type}`);
  }
  if (actual === 'string') {
    if (schema.minLength !== undefined && [...value].length < schema.minLength) fail('string_too_short', `String should have at least ${schema.minLength} character${schema.minLength === 1 ? '' : 's'}`, { min_length: schema.minLength });
    if (schema.maxLength !== undefined && [...value].length > schema.maxLength) fail('string_too_long', `String should have at most ${schema.maxLength} characters`, { max_length: schema.maxLength });
    if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value)) fail('string_pattern_mismatch', `String should match pattern '${schema.pattern}'`);
    if (schema.format === 'date' && !DATE.test(value)) fail('date_from_datetime_parsing', 'Input should be a valid date');
    if (schema.format === 'uuid' && !UUID.test(value)) fail('uuid_parsing', 'Input should be a valid UUID');
    if (schema.format === 'date-time' && !DATE_TIME.test(value)) fail('datetime_parsing', 'Input should be a valid datetime');
  }
  if (actual === 'integer' || actual === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) fail('greater_than_equal', `Input should be greater than or equal to ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) fail('less_than_equal', `Input should be less than or equal to ${schema.maximum}`);
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) fail('greater_than', `Input should be greater than ${schema.exclusiveMinimum}`);
  }
  if (actual === 'array') {
    if (schema.minItems !== undefined && value.length < schema.minItems) fail('too_short', `List should have at least ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) fail('too_long', `List should have at most ${schema.maxItems} items`);
    value.forEach((item, index) => check(schema.prefixItems?.[index] ?? schema.items, item, [...path, index], strict, errors));
  }
  if (actual === 'object' && schema.properties) {
    for (const name of schema.required ?? []) if (!(name in value)) errors.push({ field: [...path, name].join('.'), message: 'is required', type: 'missing' });
    for (const [name, item] of Object.entries(value)) {
      if (name in schema.properties) check(schema.properties[name], item, [...path, name], strict, errors);
      else if (strict || schema.additionalProperties === false) errors.push({ field: [...path, name].join('.'), message: 'Extra inputs are not permitted', type: 'extra_forbidden' });
    }
  }
}

/** The field errors the gateway would answer a request body of schema `name` with (none: it is valid). */
export function checkSchema(name, value) {
  const errors = [];
  check({ $ref: `#/components/schemas/${name}` }, value, [], false, errors);
  return errors;
}

/** Throws unless `value` is exactly what the gateway answers for response schema `name`. */
export function assertSchema(name, value) {
  const errors = [];
  check({ $ref: `#/components/schemas/${name}` }, value, [], true, errors);
  if (errors.length) throw new Error(`the fake gateway's ${name} is not what the real one answers: ${errors.map((error) => `${error.field}: ${error.message}`).join('; ')}`);
  return value;
}
