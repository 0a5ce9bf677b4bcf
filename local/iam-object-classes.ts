import type { PolicyDocument } from './iam-policies';

/**
 * Classes of S3 object ARNs under one principal's policies, so that local IAM simulates one object of
 * a class and reuses the decision for the others (a DeleteObjects of 1,000 keys is 1,000 authorisation
 * requests; simulating each took about 0.7 ms of blocked event loop, 0.7 s per call). Two objects of
 * one bucket are in the same class when every Resource and NotResource pattern of the policies that
 * could reach an S3 object matches both or neither, compared both case-sensitively and not. That holds
 * the decision exact when each such pattern is a literal ARN or a literal followed by one trailing `*`
 * (what CDK grants write, `arn:aws:s3:::bucket/prefix/*`): a match is then a prefix test. When a
 * principal has any other pattern that could reach an object (a `?`, a `*` inside, a policy variable),
 * it gets no classes and every object is simulated on its own.
 */

/** An S3 object ARN: the bucket's part and a non-empty key. */
const OBJECT_ARN = /^arn:aws:s3:::[a-z0-9.-]+\//;
const S3_ARN_HEAD = 'arn:aws:s3:::';

/** A pattern that can reach S3 objects, as the prefix test it stands for. */
interface ObjectPattern {
  literal: string;
  lowerLiteral: string;
  /** True when the pattern ends in `*` (a prefix), false when it is a whole ARN. */
  prefix: boolean;
}

/** The Resource and NotResource values of a statement. */
function resourceValues(statement: Record<string, unknown>): unknown[] {
  return [statement.Resource, statement.NotResource].flatMap((value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]));
}

/** The text of a pattern before its first wildcard or policy variable. */
function literalHead(pattern: string): string {
  const end = pattern.search(/[*?]|\$\{/);
  return end === -1 ? pattern : pattern.slice(0, end);
}

/**
 * The patterns of a principal's policies that can reach an S3 object, as prefix tests; undefined when
 * one of them is not a literal or a literal with a single trailing `*`, or a value is not a string
 * (then no object shares a class).
 */
export function objectPatternsOf(documents: readonly PolicyDocument[]): ObjectPattern[] | undefined {
  const patterns: ObjectPattern[] = [];
  for (const pattern of documents.flatMap((document) => document.Statement.flatMap(resourceValues))) {
    if (typeof pattern !== 'string') return undefined;
    const head = literalHead(pattern).toLowerCase();
    const reachesObjects = head.startsWith(S3_ARN_HEAD) || S3_ARN_HEAD.startsWith(head);
    if (!reachesObjects) continue;
    const literal = pattern.endsWith('*') ? pattern.slice(0, -1) : pattern;
    if (literalHead(literal) !== literal) return undefined;
    patterns.push({ literal, lowerLiteral: literal.toLowerCase(), prefix: pattern.endsWith('*') });
  }
  return patterns;
}

/**
 * The class of `resource` under the patterns: its bucket and which patterns match it, or undefined
 * when it is not an S3 object ARN or the principal has no classes.
 */
export function objectResourceClass(patterns: readonly ObjectPattern[] | undefined, resource: string): string | undefined {
  const bucket = OBJECT_ARN.exec(resource)?.[0];
  if (!patterns || !bucket || resource.length === bucket.length) return undefined;
  const lower = resource.toLowerCase();
  const bits = patterns.map(({ literal, lowerLiteral, prefix }) => {
    const sensitive = prefix ? resource.startsWith(literal) : resource === literal;
    const insensitive = prefix ? lower.startsWith(lowerLiteral) : lower === lowerLiteral;
    return `${Number(sensitive)}${Number(insensitive)}`;
  });
  return `${bucket}\n${bits.join('')}`;
}
