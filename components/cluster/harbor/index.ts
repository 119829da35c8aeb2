// Harbor, the quarantine registry (primary cluster only): the pipeline pushes to its `staging`
// project, Trivy scans on push, pulls of vulnerable artifacts are blocked, and only clean
// digests are promoted to ACR.
//
// Served through the shared Gateway (TLS ends there, cert-manager's certificate), with no
// request timeout: Envoy's default 15 s route timeout cuts multi-gigabyte layer pushes.
// Generated secrets (admin password, encryption key, internal registry password) and the storage
// key live in Secrets in Harbor's namespace and reach the chart through its `existingSecret*`
// options. The one exception is the internal PostgreSQL password: chart 1.19.1 has no
// existing-secret option for the internal database (only `database.external.existingSecret`;
// upstream PRs #1702/#1733 adding one were closed), so it is a generated value passed as
// `database.internal.password` — a nested Pulumi secret, redacted in the plan and encrypted in
// state, instead of the chart's public default "changeit".
//
// Network: ingress to the namespace is denied except from Harbor's own pods and from the Envoy
// proxies (the only way in, through the shared Gateway); egress stays open (Azure Storage, Trivy
// DB updates, replication).
//
// The robot account for the pipeline is created here, but its secret is NOT stored in the cluster
// by this component: it is an output for the SupplyChainPipeline component (pipeline.ts), which
// owns the pipeline namespace, the only place registry credentials may exist.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { NAMESPACES } from "../../../model/names";
import { chartRelease } from "../chart";
import { mirrored, PLATFORM_IMAGES } from "../platform-images";
import { gatewayRouteSpec } from "../gateway/route";
import { GATEWAY_PROXY_NAMESPACE, isolatedNamespace, NamedNetworkPolicy, namespacePeer } from "../network-policies";
import {
    Access,
    blockSettings,
    harborCron,
    HarborGcSchedule,
    HarborProject,
    HarborRetentionPolicy,
    HarborRobotAccount,
    robotFullName,
    Severity,
} from "./api";
import { podSecurityLabels } from "../../../model/admission/pod-security-levels";

/** Harbor's admin user (basic auth for the API providers). */
export const HARBOR_ADMIN_USER = "admin";
/** The quarantine project the pipeline pushes to. */
export const HARBOR_STAGING_PROJECT = "staging";
/** Name of Harbor's ClusterIP Service (`expose.clusterIP.name`) and its HTTP port. */
export const HARBOR_SERVICE = { name: "harbor", port: 80 } as const;

/**
 * What the pipeline's robot may do in the staging project: exactly what its Harbor calls need
 * (one row per call, with Harbor's check, in ./harbor/permissions.ts HARBOR_CALLS; the test holds
 * the two equal).
 */
export const PIPELINE_ROBOT_ACCESS: readonly Access[] = [
    // push-staging: crane push; promote: crane copy from Harbor.
    { resource: "repository", action: "push" },
    { resource: "repository", action: "pull" },
    // wait-for-scan: the artifact with its scan overview (GET …/artifacts/{digest}).
    { resource: "artifact", action: "read" },
    // wait-for-scan: the project's reviewed CVE allowlist (GET /projects/{name}).
    { resource: "project", action: "read" },
    // wait-for-scan: the findings (GET …/artifacts/{digest}/additions/vulnerabilities).
    { resource: "artifact-addition", action: "read" },
];

export interface HarborArgs {
    provider: k8s.Provider;
    /** ACR login server: every Harbor image is pulled through its docker.io cache rule. */
    acrLoginServer: pulumi.Input<string>;
    /** Public hostname (config `dns.harborHostname`); externalURL is https://<hostname>. */
    hostname: string;
    /** Image storage from the Azure layer (HarborStorage outputs). */
    storage: {
        accountName: pulumi.Input<string>;
        containerName: pulumi.Input<string>;
        /** Account key: a Pulumi secret. Stored only in Harbor's namespace. */
        accountKey: pulumi.Output<string>;
    };
    /** The `staging` project's policy (config `delivery.*`). */
    staging: {
        /** Pulls blocked at or above this severity; `none` blocks nothing. */
        blockSeverity: Severity;
        /** Reviewed CVE ids that do not block a pull. */
        cveAllowlist: readonly string[];
        /** Artifacts kept per repository. */
        retainTags: number;
        /** Five-field cron of garbage collection (tag retention runs on the same schedule). */
        gcSchedule: string;
    };
    /** Short name of the pipeline's robot account (default `pipeline`). */
    robotName?: string;
    /** Bump to rotate the robot secret. */
    robotSecretVersion?: number;
    /** Gateway listener (sectionName) to attach to, e.g. the HTTPS listener; default: every listener that admits the route. */
    gatewayListener?: string;
    /** What the HTTPRoute needs first: the Gateway API CRDs (the gateway chart). */
    routeDependsOn?: pulumi.Input<pulumi.Resource>[];
    /**
     * What Harbor's API calls need first: they go through the public hostname, so its
     * certificate issuer and DNS record (cert-manager, ExternalDNS). The chart itself installs
     * without waiting for any of this.
     */
    apiDependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class Harbor extends pulumi.ComponentResource {
    readonly namespace: k8s.core.v1.Namespace;
    readonly release: k8s.helm.v3.Release;
    readonly route: k8s.apiextensions.CustomResource;
    /** https://<hostname> */
    readonly url: string;
    /** Registry host for image references and `docker login` (the Harbor hostname). */
    readonly registryHost: pulumi.Output<string>;
    /** Name of the quarantine project. */
    readonly stagingProject: pulumi.Output<string>;
    /** The pipeline's robot account, limited to the staging project; the secret is a Pulumi secret. */
    readonly robot: { name: pulumi.Output<string>; secret: pulumi.Output<string> };
    /** Harbor admin password (secret), for break-glass access. */
    readonly adminPassword: pulumi.Output<string>;

    constructor(name: string, args: HarborArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:cluster:Harbor", name, {}, opts);
        const k8sOpts = { parent: this, provider: args.provider };
        const ns = NAMESPACES.harbor;
        this.url = `https://${args.hostname}`;

        this.namespace = new k8s.core.v1.Namespace(
            `${name}-ns`,
            {
                metadata: { name: ns, labels: { "app.kubernetes.io/part-of": "platform", ...podSecurityLabels(ns) } },
            },
            k8sOpts,
        );

        // Harbor requires upper, lower and digits; no specials, so basic auth and env stay simple.
        const adminPassword = new random.RandomPassword(
            `${name}-admin-password`,
            {
                length: 32,
                special: false,
                minUpper: 2,
                minLower: 2,
                minNumeric: 2,
            },
            { parent: this },
        );
        // The key Harbor encrypts stored credentials with: exactly 16 characters, and stable
        // (the chart's default is a public constant).
        const secretKey = new random.RandomPassword(
            `${name}-secret-key`,
            {
                length: 16,
                special: false,
            },
            { parent: this },
        );
        // core/jobservice -> registry basic auth; replaces the chart's well-known default password.
        const registryPassword = new random.RandomPassword(
            `${name}-registry-password`,
            {
                length: 32,
                special: false,
            },
            { parent: this },
        );
        // The internal PostgreSQL superuser password (chart default: the public "changeit").
        // Alphanumeric: the chart puts it into connection URLs and env files. PostgreSQL reads
        // it only when the data volume is first initialised: rotating it later needs an
        // `ALTER USER` in the database first (goharbor/harbor-helm#2342).
        const databasePassword = new random.RandomPassword(
            `${name}-database-password`,
            {
                length: 32,
                special: false,
            },
            { parent: this },
        );
        this.adminPassword = pulumi.secret(adminPassword.result);

        const secret = (id: string, secretName: string, data: Record<string, pulumi.Input<string>>) =>
            new k8s.core.v1.Secret(
                `${name}-${id}`,
                {
                    metadata: { name: secretName, namespace: this.namespace.metadata.name },
                    type: "Opaque",
                    stringData: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, pulumi.secret(v)])),
                },
                k8sOpts,
            );

        const adminSecret = secret("admin", "harbor-admin", { HARBOR_ADMIN_PASSWORD: adminPassword.result });
        const keySecret = secret("secret-key", "harbor-secret-key", { secretKey: secretKey.result });
        const registryAuth = secret("registry-auth", "harbor-registry-internal-auth", {
            REGISTRY_PASSWD: registryPassword.result,
            REGISTRY_HTPASSWD: pulumi.interpolate`harbor_registry_user:${registryPassword.bcryptHash}`,
        });
        // The storage account key: in Harbor's namespace only, read by the registry's azure driver.
        const storageSecret = secret("azure-storage", "harbor-azure-storage", {
            AZURE_STORAGE_ACCESS_KEY: args.storage.accountKey,
        });

        this.release = chartRelease(
            `${name}-release`,
            {
                chart: "harbor",
                releaseName: "harbor",
                namespace: this.namespace.metadata.name,
                values: harborValues(
                    args,
                    {
                        adminSecret: "harbor-admin",
                        secretKeySecret: "harbor-secret-key",
                        registryAuthSecret: "harbor-registry-internal-auth",
                        storageSecret: "harbor-azure-storage",
                    },
                    pulumi.secret(databasePassword.result),
                ),
                timeoutSeconds: 900,
            },
            { ...k8sOpts, dependsOn: [adminSecret, keySecret, registryAuth, storageSecret] },
        );

        this.route = new k8s.apiextensions.CustomResource(
            `${name}-route`,
            {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "HTTPRoute",
                metadata: { name: "harbor", namespace: this.namespace.metadata.name },
                spec: gatewayRouteSpec({
                    hostname: args.hostname,
                    listener: args.gatewayListener,
                    backend: HARBOR_SERVICE,
                    // Multi-gigabyte layer pushes outlast any fixed deadline (Envoy's default is 15 s).
                    // Gateway API: a zero duration disables the timeout; backendRequest stays unset.
                    timeouts: { request: "0s" },
                }),
            },
            { ...k8sOpts, dependsOn: [this.release, ...(args.routeDependsOn ?? [])] },
        );

        // --- Network: ingress only from Harbor itself and the Gateway's Envoy proxies ----------
        for (const [id, spec] of harborNetworkPolicies()) {
            new k8s.networking.v1.NetworkPolicy(
                `${name}-${id}`,
                {
                    metadata: { name: id, namespace: this.namespace.metadata.name },
                    spec,
                },
                k8sOpts,
            );
        }

        // --- Harbor's own configuration, through its API -------------------------------------
        const connection = {
            // Through the Gateway, as every client reaches Harbor.
            apiUrl: this.url,
            username: HARBOR_ADMIN_USER,
            password: this.adminPassword,
        };
        const apiReady = [this.release, this.route, ...(args.apiDependsOn ?? [])];
        const apiOpts: pulumi.CustomResourceOptions = { parent: this, dependsOn: apiReady };
        const block = blockSettings(args.staging.blockSeverity);
        const project = new HarborProject(
            `${name}-staging`,
            {
                ...connection,
                name: HARBOR_STAGING_PROJECT,
                public: false,
                autoScan: true,
                preventVul: block.preventVul,
                severity: block.severity,
                // The project's own, reviewed list (from config), not the system one.
                reuseSysCveAllowlist: false,
                cveAllowlist: [...args.staging.cveAllowlist],
            },
            apiOpts,
        );

        const cron = harborCron(args.staging.gcSchedule);
        new HarborRetentionPolicy(
            `${name}-staging-retention`,
            {
                ...connection,
                projectId: project.projectId,
                retainTags: args.staging.retainTags,
                // Same schedule as GC: what retention untags, the next GC run reclaims.
                cron,
            },
            { ...apiOpts, dependsOn: [...apiReady, project] },
        );

        new HarborGcSchedule(
            `${name}-gc`,
            {
                ...connection,
                cron,
                deleteUntagged: true,
                workers: 1,
            },
            apiOpts,
        );

        const robotName = args.robotName ?? "pipeline";
        const robot = new HarborRobotAccount(
            `${name}-robot-${robotName}`,
            {
                ...connection,
                name: robotName,
                project: HARBOR_STAGING_PROJECT,
                fullName: robotFullName(HARBOR_STAGING_PROJECT, robotName),
                description: "Tekton pipeline: push to and read from the staging project only",
                access: PIPELINE_ROBOT_ACCESS.map(a => ({ ...a })),
                duration: -1,
                secretVersion: args.robotSecretVersion ?? 1,
            },
            { ...apiOpts, dependsOn: [...apiReady, project] },
        );

        this.registryHost = pulumi.output(args.hostname);
        this.stagingProject = project.name;
        this.robot = {
            name: robot.fullName,
            // Explicitly secret: under mocks the SDK does not apply additionalSecretOutputs.
            secret: pulumi.secret(robot.secret),
        };

        this.registerOutputs({
            url: this.url,
            registryHost: this.registryHost,
            stagingProject: this.stagingProject,
            robotName: this.robot.name,
            robotSecret: this.robot.secret,
            adminPassword: this.adminPassword,
        });
    }
}

/** Names of the Secrets the chart reads through its existingSecret options. */
export interface HarborSecretNames {
    adminSecret: string;
    secretKeySecret: string;
    registryAuthSecret: string;
    storageSecret: string;
}

/**
 * Chart values (keys checked against harbor chart 1.19.1 values.yaml). The only secret is the
 * internal database password, kept a nested Pulumi secret: a plain object (not one `apply`), so
 * only that leaf is redacted and the rest of the values stay readable in the plan.
 */
export function harborValues(
    args: Pick<HarborArgs, "hostname" | "storage" | "acrLoginServer">,
    secrets: HarborSecretNames,
    databasePassword: pulumi.Output<string>,
): Record<string, unknown> {
    const image = (component: keyof typeof PLATFORM_IMAGES.harbor) => ({
        repository: mirrored(args.acrLoginServer, PLATFORM_IMAGES.harbor[component]),
    });
    return {
        expose: {
            // Served through the shared Gateway: a ClusterIP Service, no Ingress, no TLS of its own.
            type: "clusterIP",
            tls: { enabled: false },
            clusterIP: { name: HARBOR_SERVICE.name, ports: { httpPort: HARBOR_SERVICE.port } },
        },
        externalURL: `https://${args.hostname}`,
        existingSecretAdminPassword: secrets.adminSecret,
        existingSecretAdminPasswordKey: "HARBOR_ADMIN_PASSWORD",
        existingSecretSecretKey: secrets.secretKeySecret,
        persistence: {
            enabled: true,
            // Keep the database/redis/trivy volumes if the release is ever uninstalled.
            resourcePolicy: "keep",
            imageChartStorage: {
                // Everything goes through Harbor (and the Gateway): clients never need to reach
                // the storage account directly.
                disableredirect: true,
                type: "azure",
                azure: {
                    accountname: args.storage.accountName,
                    container: args.storage.containerName,
                    existingSecret: secrets.storageSecret,
                },
            },
        },
        registry: {
            credentials: { existingSecret: secrets.registryAuthSecret },
            registry: { image: image("registry") },
            controller: { image: image("registryctl") },
        },
        database: {
            type: "internal",
            // No existingSecret option for the internal database in this chart version.
            internal: { password: pulumi.secret(databasePassword), image: image("database") },
        },
        redis: { internal: { image: image("redis") } },
        // The jobservice log volume is ReadWriteOnce (Azure Disk): a rolling update would hang.
        updateStrategy: { type: "Recreate" },
        trivy: { enabled: true, image: image("trivy") },
        metrics: { enabled: false },
        // Chart 1.19.1 templates: every component runs <…image.repository>:<…image.tag>; the
        // repositories move to ACR, the tags stay the chart's.
        nginx: { image: image("nginx") },
        portal: { image: image("portal") },
        core: { image: image("core") },
        jobservice: { image: image("jobservice") },
        exporter: { image: image("exporter") },
    };
}

/**
 * Default-deny ingress plus the two allowed sources: Harbor's own pods (core, jobservice,
 * registry, database, redis, Trivy talk to each other) and the Envoy proxies (every client —
 * `docker push`, the pipeline, the API providers — comes through the Gateway). Not narrowed to a
 * port: the chart's nginx container port is not a chart value and changed between versions.
 */
export function harborNetworkPolicies(): NamedNetworkPolicy[] {
    return [
        ...isolatedNamespace(),
        [
            "allow-from-gateway",
            {
                podSelector: {},
                policyTypes: ["Ingress"],
                ingress: [{ from: [namespacePeer(GATEWAY_PROXY_NAMESPACE)] }],
            },
        ],
    ];
}
