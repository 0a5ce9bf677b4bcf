import { AsyncLocalStorage } from 'node:async_hooks';
import { CloudWatchServiceException } from '@aws-sdk/client-cloudwatch';
import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { EventBridgeServiceException } from '@aws-sdk/client-eventbridge';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager';
import { SFNServiceException } from '@aws-sdk/client-sfn';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import * as sharedClients from '../functions/shared/clients';
import { SECRET_VARIABLES } from '../functions/shared/secrets';
import { objectPatternsOf, objectResourceClass } from './iam-object-classes';
import { iamRequestsOf, type IamRequest } from './iam-requests';
import type { LocalIamPolicies } from './iam-policies';
import { LOCAL_ACCOUNT_ID } from './lambda-runtime';

/**
 * IAM enforced locally, as AWS would: every AWS call an in-process function makes, and every Lambda
 * invocation of a state machine, is evaluated with `@cloud-copilot/iam-simulate` against the policies
 * the stack synthesizes for the caller's role (`local/iam-policies.ts`), and a denied call fails with the
 * service's AccessDenied error. Calls are attributed through an async context naming the principal
 * (the function or state machine). Calls outside any principal (the local runtime itself, tests,
 * the CLI) and principals the stack has no role for (test-registered functions and machines) are not
 * checked. A function sees a secret variable (`DSR_HASH_KEY`, `DSR_CALLBACK_SECRET`) and the variable
 * naming its secret's ARN only when its role may read that secret, as in AWS where the value is fetched
 * with the role's credentials and only those functions' environment holds the ARN.
 */

const principals = new AsyncLocalStorage<string>();

/** The principal of a function's role. */
export function functionPrincipal(functionName: string): string {
  return `function:${functionName}`;
}

/** The principal of a state machine's role. */
export function stateMachinePrincipal(stateMachineName: string): string {
  return `stateMachine:${stateMachineName}`;
}

/** Runs `fn` as a principal: the AWS calls it makes are authorised against that principal's role. */
export function runAs<T>(principal: string, fn: () => T): T {
  return principals.run(principal, fn);
}

/**
 * The IAM decisions of the stack's policies, cached per principal and request; the objects of one
 * bucket share a decision when the principal's patterns cannot tell them apart (`iam-object-classes.ts`).
 */
export class LocalIam {
  private readonly decisions = new Map<string, Promise<boolean>>();
  private readonly objectPatterns = new Map<string, ReturnType<typeof objectPatternsOf>>();

  /** `objectClasses: false` simulates every S3 object on its own (the reference the classes are tested against). */
  constructor(
    readonly policies: LocalIamPolicies,
    private readonly options: { objectClasses?: boolean } = {},
  ) {}

  /** True when the stack has a role for the principal. */
  governs(principal: string): boolean {
    return principal in this.policies.principals;
  }

  /** True when the principal's policies allow the request. */
  allows(principal: string, request: IamRequest): Promise<boolean> {
    if (!this.objectPatterns.has(principal)) {
      this.objectPatterns.set(principal, this.options.objectClasses === false ? undefined : objectPatternsOf(this.policies.principals[principal] ?? []));
    }
    const resource = objectResourceClass(this.objectPatterns.get(principal), request.resource) ?? request.resource;
    const key = JSON.stringify([principal, request.action, resource, request.context ?? {}]);
    let decision = this.decisions.get(key);
    if (!decision) {
      decision = this.simulate(principal, request);
      this.decisions.set(key, decision);
    }
    return decision;
  }

  /** The first request the principal may not make, if any. */
  async firstDenied(principal: string, requests: readonly IamRequest[]): Promise<IamRequest | undefined> {
    for (const request of requests) if (!(await this.allows(principal, request))) return request;
    return undefined;
  }

  /** The AWS wording of a denial (an S3 object is named by its bucket: keys can hold customer ids). */
  deniedMessage(principal: string, request: IamRequest): string {
    const session = principal.slice(principal.indexOf(':') + 1);
    const resource = request.resource.startsWith('arn:aws:s3:::') ? request.resource.replace(/^(arn:aws:s3:::[^/]+)\/.*$/, '$1/…') : request.resource;
    return `User: arn:aws:sts::${LOCAL_ACCOUNT_ID}:assumed-role/${this.policies.roles[principal]}/${session} is not authorized to perform: ${request.action} on resource: ${resource} because no identity-based policy allows the ${request.action} action`;
  }

  private async simulate(principal: string, request: IamRequest): Promise<boolean> {
    const result = await runSimulation(
      {
        request: {
          principal: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${this.policies.roles[principal]}`,
          action: request.action,
          resource: { resource: request.resource, accountId: LOCAL_ACCOUNT_ID },
          contextVariables: request.context ?? {},
        },
        identityPolicies: (this.policies.principals[principal] ?? []).map((policy, index) => ({ name: `policy-${index}`, policy })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
    if (result.resultType === 'error') throw new Error(`Local IAM cannot evaluate ${request.action} on ${request.resource}: ${JSON.stringify(result.errors)}`);
    return result.overallResult === 'Allowed';
  }
}

/** The enforcement in force (one local AWS per process at a time). */
let active: { iam: LocalIam; region: string; secretVisibility: Map<string, boolean> } | undefined;

const MIDDLEWARE_NAME = 'dsrLocalIam';

/** The AWS-shaped AccessDenied error of a service client. */
function accessDenied(clientName: string, message: string): Error {
  const client = { $fault: 'client' as const, message };
  switch (clientName) {
    case 'S3Client':
      return new S3ServiceException({ ...client, name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    case 'DynamoDBClient':
      return new DynamoDBServiceException({ ...client, name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
    case 'SFNClient':
      return new SFNServiceException({ ...client, name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
    case 'EventBridgeClient':
      return new EventBridgeServiceException({ ...client, name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
    case 'SecretsManagerClient':
      return new SecretsManagerServiceException({ ...client, name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
    default:
      return new CloudWatchServiceException({ ...client, name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
  }
}

type Middleware = (next: (args: { input: object }) => Promise<unknown>, context: { clientName?: string; commandName?: string }) => (args: { input: object }) => Promise<unknown>;

/** Authorises each call of the principal in the async context before it is sent. */
const authorise: Middleware = (next, context) => async (args) => {
  const principal = principals.getStore();
  if (active && principal && active.iam.governs(principal)) {
    const clientName = context.clientName ?? 'unknown';
    const requests = iamRequestsOf(clientName, context.commandName ?? 'unknown', args.input as Record<string, unknown>, active.region);
    const denied = await active.iam.firstDenied(principal, requests);
    if (denied) throw accessDenied(clientName, active.iam.deniedMessage(principal, denied));
  }
  return next(args);
};

/** The shared SDK clients of `functions/shared/clients.ts` (every exported `...Client()` factory). */
function sharedClientStacks(): { add: (middleware: Middleware, options: Record<string, unknown>) => void }[] {
  return Object.entries(sharedClients)
    .filter(([name, factory]) => name.endsWith('Client') && typeof factory === 'function')
    .map(([, factory]) => (factory as () => { middlewareStack: { add: (middleware: Middleware, options: Record<string, unknown>) => void } })().middlewareStack);
}

/**
 * Turns enforcement on for this process: the middleware on the shared clients and the secret
 * variables scoped to the roles that may read them. Returns what turns it off again.
 */
export async function enableLocalIam(iam: LocalIam, region: string): Promise<() => void> {
  const secretVisibility = new Map<string, boolean>();
  for (const principal of Object.keys(iam.policies.principals)) {
    for (const variable of SECRET_VARIABLES) {
      const arn = iam.policies.secretArns[variable.secretArnEnv];
      const visible = arn !== undefined && (await iam.allows(principal, { action: 'secretsmanager:GetSecretValue', resource: arn }));
      // The value, and the ARN a function reads it by from a backend's Secrets Manager (local/backend.ts).
      secretVisibility.set(`${principal}\n${variable.env}`, visible);
      secretVisibility.set(`${principal}\n${variable.secretArnEnv}`, visible);
    }
  }
  active = { iam, region, secretVisibility };
  for (const stack of sharedClientStacks()) stack.add(authorise, { step: 'initialize', priority: 'high', name: MIDDLEWARE_NAME, override: true });
  const realEnv = process.env;
  const hidden = (key: string | symbol): boolean => {
    const principal = principals.getStore();
    return typeof key === 'string' && principal !== undefined && active?.secretVisibility.get(`${principal}\n${key}`) === false;
  };
  process.env = new Proxy(realEnv, {
    get: (target, key) => (hidden(key) ? undefined : Reflect.get(target, key)),
    has: (target, key) => !hidden(key) && Reflect.has(target, key),
    // Writes go straight to the real environment (which accepts plain assignments only).
    set: (target, key, value) => Reflect.set(target, key, value),
  });
  return () => {
    active = undefined;
    process.env = realEnv;
  };
}

/**
 * Why the principal in the async context (a state machine's role) may not invoke the function, in
 * AWS's words; undefined when it may (or nothing governs the caller).
 */
export async function invokeDenial(functionArn: string): Promise<string | undefined> {
  return requestDenial({ action: 'lambda:InvokeFunction', resource: functionArn });
}

/**
 * Why the principal in the async context may not make a request that no SDK client carries (a state
 * machine's own service calls, such as a Distributed Map's states:StartExecution), in AWS's words;
 * undefined when it may (or nothing governs the caller).
 */
export async function requestDenial(request: IamRequest): Promise<string | undefined> {
  const principal = principals.getStore();
  if (!active || !principal || !active.iam.governs(principal)) return undefined;
  return (await active.iam.allows(principal, request)) ? undefined : active.iam.deniedMessage(principal, request);
}
