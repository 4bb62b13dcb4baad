export interface SchemaError {
  field: string;
  message: string;
  type: string;
}
/** The field errors the gateway would answer a request body of schema `name` with (none: it is valid). */
export function checkSchema(name: string, value: unknown): SchemaError[];
/** Throws unless `value` is exactly what the gateway answers for response schema `name`. */
export function assertSchema<T>(name: string, value: T): T;
