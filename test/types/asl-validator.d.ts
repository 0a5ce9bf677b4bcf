/** The part of asl-validator's API the tests use (the package ships no types). */
declare module 'asl-validator' {
  /** Validates an ASL definition object. */
  export default function aslValidator(definition: unknown): { isValid: boolean; errors: unknown[] };
}
