// Waits, bounded, until every region's gateway has answered Traffic Manager's health probe for a
// sustained period — a Pulumi dynamic resource the sev-1 "endpoint Degraded" alert is created
// after (components/azure/alerts.ts), so a first deployment does not page while the regions are
// still being built (their endpoints are Degraded until the gateways serve).
//
// Why "after", not "disabled until then": a disabled alert has to be enabled by someone, on every
// new environment; this needs nobody. Why sustained: the alert fires when the endpoint state's
// Maximum over its 5-minute window is below 1, evaluated over metric data that lags; once the
// probe has succeeded for a whole window, Traffic Manager (probing every 30 s) has recorded Online
// samples inside the window the first evaluation looks at.
//
// The probe is the one Traffic Manager sends (components/azure/traffic.ts): HTTPS GET on port 443
// of the region's gateway IP, the health path, the app hostname as Host (and SNI), any 2xx, the
// certificate not validated — Traffic Manager's HTTPS probe checks "that a certificate is present,
// but [does] not validate if the certificate is valid" (PSRule for Azure, rule
// Azure.TrafficManager.Protocol, azure.github.io/PSRule.Rules.Azure). It runs where `pulumi up`
// runs, which reaches the public gateway IPs as the probe does.
//
// Runs once, on create; no diff unless the targets change; read and delete do nothing. Dynamic
// providers are serialized: only globals and Node built-ins `require`d when called.
import * as pulumi from "@pulumi/pulumi";

export interface ProbeTarget {
    /** Public IP of the region's gateway. */
    address: string;
    /** Host header and SNI (the app hostname). */
    host: string;
    /** Health path, e.g. /healthz. */
    path: string;
    /** 443 in production; tests use a local port. */
    port: number;
}

export interface ServingCheckState {
    targets: ProbeTarget[];
    intervalSeconds: number;
    /** Every target must have answered 2xx in consecutive rounds spanning this long. */
    sustainSeconds: number;
    timeoutSeconds: number;
}

/** One probe: resolves with the HTTP status, or rejects (connection, TLS, timeout). */
export async function probe(t: ProbeTarget): Promise<number> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded inside the function: it runs in a serialized dynamic provider
    const https = require("https") as typeof import("https");
    return new Promise((resolve, reject) => {
        const req = https.request(
            {
                host: t.address,
                port: t.port,
                path: t.path,
                method: "GET",
                headers: { Host: t.host },
                servername: t.host,
                rejectUnauthorized: false, // as Traffic Manager: the certificate is not validated
                timeout: 10_000, // Traffic Manager's probe timeout (components/azure/traffic.ts PROBE)
            },
            res => {
                res.resume();
                res.on("end", () => resolve(res.statusCode ?? 0));
            },
        );
        req.on("timeout", () => req.destroy(new Error("no answer within 10 s")));
        req.on("error", reject);
        req.end();
    });
}

export interface ServingWaitOptions extends Omit<ServingCheckState, "targets"> {
    targets: readonly ProbeTarget[];
    sleep?: (ms: number) => Promise<void>;
}

/**
 * Probes every target each `intervalSeconds` until all have answered 2xx for
 * `sustainSeconds` in a row (a failure restarts the count); throws after `timeoutSeconds`.
 */
export async function waitUntilServing(opts: ServingWaitOptions): Promise<{ rounds: number }> {
    const sleep = opts.sleep ?? ((ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms)));
    const needed = Math.ceil(opts.sustainSeconds / opts.intervalSeconds) + 1;
    const rounds = Math.max(needed, Math.floor(opts.timeoutSeconds / opts.intervalSeconds) + 1);
    let streak = 0;
    let last = "";
    for (let round = 1; round <= rounds; round++) {
        const failures: string[] = [];
        for (const t of opts.targets) {
            try {
                const status = await probe(t);
                if (status < 200 || status > 299) failures.push(`${t.address}${t.path} (Host ${t.host}): HTTP ${status}`);
            } catch (e) {
                failures.push(`${t.address}${t.path} (Host ${t.host}): ${(e as Error).message}`);
            }
        }
        streak = failures.length === 0 ? streak + 1 : 0;
        if (failures.length) last = failures.join("; ");
        if (streak >= needed) return { rounds: round };
        if (round < rounds) await sleep(opts.intervalSeconds * 1000);
    }
    throw new Error(
        `the regional gateways did not serve Traffic Manager's health probe for ${opts.sustainSeconds} s in a row ` +
            `within ${opts.timeoutSeconds} s (last failure: ${last || "none; not yet sustained"}). The endpoint alert is created only ` +
            `once they do; check the Gateway, its certificate and DNS (docs/runbooks.md §1), then run \`pulumi up\` again.`,
    );
}

const provider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: ServingCheckState): Promise<pulumi.dynamic.CreateResult> {
        await waitUntilServing(inputs);
        return { id: inputs.targets.map(t => `${t.address}${t.path}`).join(","), outs: inputs };
    },
    async diff(_id: pulumi.ID, olds: ServingCheckState, news: ServingCheckState): Promise<pulumi.dynamic.DiffResult> {
        const key = (s: ServingCheckState) => JSON.stringify(s.targets);
        const replace = key(olds) !== key(news);
        return { changes: replace, replaces: replace ? ["targets"] : [], deleteBeforeReplace: false };
    },
    async read(id: pulumi.ID, props?: ServingCheckState): Promise<pulumi.dynamic.ReadResult> {
        return { id, props };
    },
    async delete(): Promise<void> {
        // Nothing to undo.
    },
};

export interface GatewaysServingArgs {
    /** One per region: the gateway's public IP. */
    addresses: pulumi.Input<string>[];
    host: string;
    path: string;
    /** At least the alert's evaluation window. */
    sustainSeconds: number;
    intervalSeconds?: number;
    timeoutSeconds?: number;
}

/** Default bound: the in-cluster install after the gateways, certificates and DNS included. */
export const DEFAULT_SERVING_TIMEOUT_SECONDS = 1800;

/** Completes once every regional gateway serves the health probe (bounded); see the file comment. */
export class GatewaysServing extends pulumi.dynamic.Resource {
    constructor(name: string, args: GatewaysServingArgs, opts?: pulumi.CustomResourceOptions) {
        const intervalSeconds = args.intervalSeconds ?? 30;
        const timeoutSeconds = args.timeoutSeconds ?? DEFAULT_SERVING_TIMEOUT_SECONDS;
        if (!(
            intervalSeconds >= 1 &&
            args.sustainSeconds >= intervalSeconds &&
            timeoutSeconds >= args.sustainSeconds &&
            timeoutSeconds <= 7200
        )) {
            throw new Error(
                `${name}: need 1 <= intervalSeconds <= sustainSeconds <= timeoutSeconds <= 7200, got ${intervalSeconds}, ${args.sustainSeconds}, ${timeoutSeconds}`,
            );
        }
        super(
            provider,
            name,
            {
                targets: pulumi
                    .all(args.addresses)
                    .apply(addresses => addresses.map(address => ({ address, host: args.host, path: args.path, port: 443 }))),
                intervalSeconds,
                sustainSeconds: args.sustainSeconds,
                timeoutSeconds,
            },
            opts,
        );
    }
}

/** The provider, for unit tests. */
export const gatewaysServingProvider = provider;
