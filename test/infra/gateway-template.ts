/**
 * Renders an API Gateway gateway-response body template the way API Gateway does: such templates are
 * not VTL, only `$context.*` references are substituted. `$context.error.messageString` is the message
 * quoted and escaped as a JSON string (AWS's own default template `{"message":$context.error.messageString}`
 * relies on it); every other value is substituted raw, as it is. A `$util`, `$input` or `#` directive
 * is refused, since API Gateway would not evaluate it.
 */

/** The values of the `$context` variables a template may reference (names without `$context.`). */
export type GatewayContext = Record<string, string>;

/** Renders `template` with `context`; throws on a reference it has no value for, or a VTL construct. */
export function renderGatewayTemplate(template: string, context: GatewayContext): string {
  const vtl = /\$util\.|\$input\.|#(set|if|foreach|end)\b/.exec(template);
  if (vtl) throw new Error(`Gateway response templates are not VTL; "${vtl[0]}" would not be evaluated`);
  return template.replace(/\$context\.([A-Za-z][A-Za-z0-9_.]*[A-Za-z0-9])/g, (_reference, name: string) => {
    if (name === 'error.messageString') return JSON.stringify(context['error.message'] ?? '');
    const value = context[name];
    if (value === undefined) throw new Error(`No value for $context.${name}`);
    return value;
  });
}
