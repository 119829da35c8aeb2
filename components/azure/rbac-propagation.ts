// Waits, bounded, until a new Azure RBAC grant is EFFECTIVE in a cluster — a Pulumi dynamic
// resource that polls the API server rather than sleeping.
//
// AKS evaluates Azure RBAC for Kubernetes authorization from its own copy of the role
// assignments; Microsoft documents that a new assignment can take up to five minutes to be
// picked up (learn.microsoft.com/azure/aks/manage-azure-rbac: "it can take up to five minutes for
// the role assignment to propagate"). On a from-scratch `pulumi up` the deployer's Cluster Admin
// assignment is created seconds before the first Kubernetes object, which would get 403.
//
// So create() asks the API server, as the deploying principal (the same user kubeconfig and
// kubelogin exec login the Kubernetes provider uses), whether it may do what a deployment does:
// a SelfSubjectAccessReview per action (authorization.k8s.io/v1; any authenticated user may create
// one — the system:basic-user ClusterRole). It repeats every `intervalSeconds` until every review
// says allowed, and gives up after `timeoutSeconds` with an error naming the grant, the server and
// the last answer — instead of a fixed sleep that is too short at the documented worst case and
// wasted time in the usual one.
//
// Behaviour, so that it costs nothing after the first run:
//   - create: polls as above, then records the grant id;
//   - diff: replace only when `roleAssignmentId` changes (a new grant: check again); connection
//     details or tuning alone are no diff;
//   - read (refresh) and delete: no call.
//
// Dynamic providers are serialized into the state and run by the engine: the functions below use
// only globals and Node built-ins they `require` when called.
import * as pulumi from "@pulumi/pulumi";

/** Seconds between checks. */
export const DEFAULT_INTERVAL_SECONDS = 10;
/** Give up after this long: twice the five minutes Microsoft documents. */
export const DEFAULT_TIMEOUT_SECONDS = 600;
/** Upper bound a caller may set (a typo of 36000 would otherwise stall an `up` for ten hours). */
export const MAX_TIMEOUT_SECONDS = 1800;

/** One action, as a SelfSubjectAccessReview's resourceAttributes. */
export interface AccessCheck {
    verb: string;
    group: string;
    resource: string;
}

/**
 * What deploying the platform needs cluster-wide: CRDs (the charts), namespaces, cluster-wide
 * RBAC (the charts' ClusterRoleBindings), admission webhooks (Gatekeeper, cert-manager).
 */
export const DEPLOYER_ACCESS_CHECKS: readonly AccessCheck[] = [
    { verb: "create", group: "apiextensions.k8s.io", resource: "customresourcedefinitions" },
    { verb: "create", group: "", resource: "namespaces" },
    { verb: "create", group: "rbac.authorization.k8s.io", resource: "clusterrolebindings" },
    { verb: "create", group: "admissionregistration.k8s.io", resource: "validatingwebhookconfigurations" },
];

/** A kubeconfig exec credential plugin (client.authentication.k8s.io). */
export interface ExecPlugin {
    command: string;
    args: string[];
    env: { name: string; value: string }[];
}

/** How to reach the API server as the deployer: from the user kubeconfig. */
export interface ClusterConnection {
    /** `https://…:443`. */
    server: string;
    /** Base64 PEM of the cluster CA (kubeconfig `certificate-authority-data`). */
    certificateAuthorityData: string;
    exec: ExecPlugin;
}

export interface GrantCheckState {
    /** ARM id of the role assignment waited for. */
    roleAssignmentId: string;
    connection: ClusterConnection;
    checks: AccessCheck[];
    intervalSeconds: number;
    timeoutSeconds: number;
}

/** The answer of one round of reviews. */
interface Round {
    allowed: boolean;
    detail: string;
}

export interface WaitOptions {
    connection: ClusterConnection;
    checks: readonly AccessCheck[];
    intervalSeconds: number;
    timeoutSeconds: number;
    /** Names the grant in messages. */
    what: string;
    /** Injected for tests; defaults to setTimeout. */
    sleep?: (ms: number) => Promise<void>;
}

/** Runs the exec plugin and returns its bearer token (ExecCredential `status.token`). */
export async function execCredentialToken(exec: ExecPlugin): Promise<string> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded inside the function: it runs in a serialized dynamic provider
    const { execFile } = require("child_process") as typeof import("child_process");
    const env = { ...process.env, ...Object.fromEntries(exec.env.map(e => [e.name, e.value])) };
    const stdout = await new Promise<string>((resolve, reject) => {
        execFile(exec.command, exec.args, { env, timeout: 120_000, maxBuffer: 1 << 20 }, (err, out, errOut) => {
            if (err) reject(new Error(`${exec.command} ${exec.args.join(" ")} failed: ${String(errOut || err.message).trim()}`));
            else resolve(String(out));
        });
    });
    let token: unknown;
    try {
        token = JSON.parse(stdout)?.status?.token;
    } catch {
        throw new Error(`${exec.command}: output is not an ExecCredential (JSON)`);
    }
    if (typeof token !== "string" || token === "") throw new Error(`${exec.command}: ExecCredential has no status.token`);
    return token;
}

/** POSTs one SelfSubjectAccessReview; returns HTTP status and parsed body. */
export async function postAccessReview(
    connection: ClusterConnection,
    token: string,
    check: AccessCheck,
): Promise<{ status: number; body: any }> {
    const url = new URL("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", connection.server);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded inside the function: it runs in a serialized dynamic provider
    const transport = (url.protocol === "https:" ? require("https") : require("http")) as typeof import("https");
    const payload = JSON.stringify({
        apiVersion: "authorization.k8s.io/v1",
        kind: "SelfSubjectAccessReview",
        spec: { resourceAttributes: { verb: check.verb, group: check.group, resource: check.resource } },
    });
    return new Promise((resolve, reject) => {
        const req = transport.request(
            url,
            {
                method: "POST",
                ca: Buffer.from(connection.certificateAuthorityData, "base64"),
                headers: {
                    "Content-Type": "application/json",
                    Accept: "application/json",
                    Authorization: `Bearer ${token}`,
                    "Content-Length": Buffer.byteLength(payload),
                },
                timeout: 30_000,
            },
            res => {
                let text = "";
                res.setEncoding("utf8");
                res.on("data", chunk => {
                    text += chunk;
                });
                res.on("end", () => {
                    let body: unknown = text;
                    try {
                        body = JSON.parse(text);
                    } catch {
                        /* keep the text for the message */
                    }
                    resolve({ status: res.statusCode ?? 0, body });
                });
            },
        );
        req.on("timeout", () => req.destroy(new Error("no answer within 30 s")));
        req.on("error", reject);
        req.end(payload);
    });
}

/** One round: a token, then every review; allowed only if all are. */
async function reviewRound(connection: ClusterConnection, checks: readonly AccessCheck[]): Promise<Round> {
    const token = await execCredentialToken(connection.exec);
    for (const check of checks) {
        const action = `${check.verb} ${check.group ? `${check.group}/` : ""}${check.resource}`;
        const { status, body } = await postAccessReview(connection, token, check);
        if (status !== 201 && status !== 200)
            return {
                allowed: false,
                detail: `${action}: HTTP ${status} ${typeof body === "string" ? body.slice(0, 200) : (body?.message ?? "")}`.trim(),
            };
        if (body?.status?.allowed !== true)
            return { allowed: false, detail: `${action}: not allowed${body?.status?.reason ? ` (${body.status.reason})` : ""}` };
    }
    return { allowed: true, detail: "allowed" };
}

/**
 * Polls until every check is allowed; resolves with the number of rounds. A failing round
 * (not allowed, HTTP error, token error) is retried; after `timeoutSeconds` it throws.
 */
export async function waitForGrant(opts: WaitOptions): Promise<{ rounds: number }> {
    const sleep = opts.sleep ?? ((ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms)));
    const rounds = Math.max(1, Math.floor(opts.timeoutSeconds / opts.intervalSeconds) + 1);
    let last = "";
    for (let round = 1; round <= rounds; round++) {
        try {
            const r = await reviewRound(opts.connection, opts.checks);
            if (r.allowed) return { rounds: round };
            last = r.detail;
        } catch (e) {
            last = (e as Error).message;
        }
        if (round < rounds) await sleep(opts.intervalSeconds * 1000);
    }
    throw new Error(
        `${opts.what} is not effective on ${opts.connection.server} after ${rounds} checks over ${opts.timeoutSeconds} s ` +
            `(last answer: ${last}). Azure documents up to five minutes for AKS to pick up a role assignment: check the assignment ` +
            `(az role assignment list --scope <cluster id>) and that this machine is inside the authorized IP ranges, then run \`pulumi up\` again.`,
    );
}

const provider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: GrantCheckState): Promise<pulumi.dynamic.CreateResult> {
        await waitForGrant({
            connection: inputs.connection,
            checks: inputs.checks,
            intervalSeconds: inputs.intervalSeconds,
            timeoutSeconds: inputs.timeoutSeconds,
            what: `Azure RBAC grant ${inputs.roleAssignmentId}`,
        });
        return { id: `${inputs.roleAssignmentId}/effective`, outs: inputs };
    },
    async diff(_id: pulumi.ID, olds: GrantCheckState, news: GrantCheckState): Promise<pulumi.dynamic.DiffResult> {
        const replace = olds.roleAssignmentId !== news.roleAssignmentId;
        return { changes: replace, replaces: replace ? ["roleAssignmentId"] : [], deleteBeforeReplace: false };
    },
    async read(id: pulumi.ID, props?: GrantCheckState): Promise<pulumi.dynamic.ReadResult> {
        return { id, props };
    },
    async delete(): Promise<void> {
        // Nothing to undo: the resource only ever checked.
    },
};

/** The API server, CA and exec login of the first cluster/user of a parsed kubeconfig. */
export function connectionOf(kubeconfig: any): ClusterConnection {
    const contextName = kubeconfig?.["current-context"];
    const context = (kubeconfig?.contexts ?? []).find((c: any) => c.name === contextName)?.context ?? kubeconfig?.contexts?.[0]?.context;
    const cluster = (kubeconfig?.clusters ?? []).find((c: any) => c.name === context?.cluster)?.cluster;
    const user = (kubeconfig?.users ?? []).find((u: any) => u.name === context?.user)?.user;
    if (!cluster?.server || !cluster?.["certificate-authority-data"] || !user?.exec?.command) {
        throw new Error("kubeconfig: the current context needs a server, certificate-authority-data and an exec user");
    }
    return {
        server: cluster.server,
        certificateAuthorityData: cluster["certificate-authority-data"],
        exec: { command: user.exec.command, args: (user.exec.args ?? []).map(String), env: user.exec.env ?? [] },
    };
}

export interface RbacGrantEffectiveArgs {
    /** The assignment to wait for; pass the RoleAssignment's `id` so this comes after it. */
    roleAssignmentId: pulumi.Input<string>;
    /** Where and as whom to ask (a secret: it comes from the user kubeconfig). */
    connection: pulumi.Input<ClusterConnection>;
    checks?: readonly AccessCheck[];
    intervalSeconds?: number;
    timeoutSeconds?: number;
}

/** Completes once the grant is effective (bounded); see the file comment. */
export class RbacGrantEffective extends pulumi.dynamic.Resource {
    declare readonly roleAssignmentId: pulumi.Output<string>;

    constructor(name: string, args: RbacGrantEffectiveArgs, opts?: pulumi.CustomResourceOptions) {
        const intervalSeconds = args.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS;
        const timeoutSeconds = args.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
        if (!Number.isInteger(intervalSeconds) || intervalSeconds < 1 || intervalSeconds > 60) {
            throw new Error(`${name}: intervalSeconds must be an integer from 1 to 60, got ${intervalSeconds}`);
        }
        if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < intervalSeconds || timeoutSeconds > MAX_TIMEOUT_SECONDS) {
            throw new Error(
                `${name}: timeoutSeconds must be an integer from intervalSeconds to ${MAX_TIMEOUT_SECONDS}, got ${timeoutSeconds}`,
            );
        }
        super(
            provider,
            name,
            {
                roleAssignmentId: args.roleAssignmentId,
                connection: pulumi.secret(args.connection),
                checks: [...(args.checks ?? DEPLOYER_ACCESS_CHECKS)],
                intervalSeconds,
                timeoutSeconds,
            },
            opts,
        );
    }
}

/** The provider, for unit tests. */
export const rbacGrantProvider = provider;
