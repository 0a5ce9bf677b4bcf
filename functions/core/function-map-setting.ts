import { z } from 'zod';

/**
 * Schema of an environment variable that maps store ids to the functions a workflow invokes for them
 * (`DSR_COLLECT_FUNCTIONS`, `DSR_ERASE_FUNCTIONS`): JSON `{ "storeId": "functionName" }`, `{}` when unset.
 */
export function functionMapSetting(variable: string) {
  return z
    .string()
    .default('{}')
    .transform((text, context) => {
      try {
        return z.record(z.string(), z.string().min(1)).parse(JSON.parse(text));
      } catch {
        context.addIssue({ code: 'custom', message: `${variable} must be JSON {"storeId": "functionName"}` });
        return z.NEVER;
      }
    });
}
