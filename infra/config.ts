// The one schema for everything that differs between environments. Stack config
// (stacks/Pulumi.<env>.yaml) is read here, validated as a whole, and handed to the rest of the
// program as a typed, frozen object. Nothing else reads pulumi.Config.
//
// Validation reports every problem at once, each prefixed with the config key it concerns
// (e.g. `platform:clusters.secondary.location`), and runs before any resource is registered.
import * as pulumi from "@pulumi/pulumi";
import { KUBELOGIN_MODES } from "../model/kubelogin";
import { z } from "zod";
import {
    AZURE_REGIONS,
    cidrsOverlap,
    isBelowZone,
    isDnsLabel,
    isDnsName,
    isEmail,
    isIpv4AddressOrCidr,
    isIpv4Cidr,
    isUuid,
    NAME_PREFIX_PATTERN,
} from "../model/validators";
import { CLUSTER_KEYS, exemptNamespaces } from "../model/names";
import { SEVERITIES } from "../model/severity";
import { MIN_KUBERNETES_MINOR } from "../model/versions";
import { UPSTREAM_REGISTRIES, UpstreamHost } from "../model/image-sources";

/** The config namespace: the Pulumi project name. */
export const CONFIG_NAMESPACE = "platform";

// Re-exported for the modules that read them from here; names.ts is their home.
export { CLUSTER_KEYS } from "../model/names";
export type { ClusterKey } from "../model/names";

/** Non-interactive kubelogin modes the Kubernetes providers may use. */

// ---------------------------------------------------------------------------------------------
// Field types
// ---------------------------------------------------------------------------------------------

const region = z.string().refine(v => AZURE_REGIONS.includes(v), {
    message: "unknown Azure region (use the programmatic name, e.g. westeurope)",
});
const cidr = z.string().refine(isIpv4Cidr, { message: "not an IPv4 CIDR with no host bits set (e.g. 10.10.0.0/16)" });
const ipRange = z.string().refine(isIpv4AddressOrCidr, { message: "not an IPv4 address or CIDR" });
const dnsName = z.string().refine(isDnsName, { message: "not a lower-case, fully qualified DNS name" });
const email = z.string().refine(isEmail, { message: "not an e-mail address" });
const dnsLabel = z.string().refine(isDnsLabel, { message: "not a DNS-1123 label (lower-case letters, digits, '-')" });
const uuid = z.string().refine(isUuid, { message: "not an Entra object id (a UUID)" });
/** A group id the platform UIs' sign-in depends on: a missing key says what it is for. */
const requiredGroup = (role: string) =>
    z
        .string({
            error: iss =>
                iss.input === undefined
                    ? `missing required key: the object id of the Entra ${role} group (AKS, Argo CD, Harbor and the Tekton dashboard sign in by group)`
                    : undefined,
        })
        .refine(isUuid, { message: "not an Entra object id (a UUID)" });
const vmSize = z.string().regex(/^Standard_[A-Za-z0-9_]+$/, "not an Azure VM size (e.g. Standard_D4ds_v5)");
const keyVaultSecretId = z
    .string()
    .regex(
        /^https:\/\/[a-z0-9-]+\.vault\.azure\.net\/secrets\/[A-Za-z0-9-]+(\/[0-9a-f]{32})?$/,
        "not a Key Vault secret identifier (https://<vault>.vault.azure.net/secrets/<name>)",
    );
const httpsUrl = z.string().regex(/^https:\/\/[^\s/]+\/\S+$/, "not an https:// repository URL");
const path = z.string().regex(/^\/[A-Za-z0-9._~\/-]*$/, "not an absolute URL path (e.g. /healthz)");
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "not a time of day in HH:MM");
const utcOffset = z.string().regex(/^[+-](0\d|1[0-4]):[0-5]\d$/, "not a UTC offset such as +00:00");
const cron = z.string().regex(/^(\S+\s+){4}\S+$/, "not a five-field cron expression");
const duration = z.string().regex(/^\d+[mh]$/, "not a duration such as 30m or 2h");
const weekDay = z.enum(["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]);
const severity = z.enum(SEVERITIES);
const geoCode = z
    .string()
    .regex(/^(WORLD|GEO-[A-Z]{2}|[A-Z]{2}(-[A-Z0-9]{1,3})?)$/, "not a Traffic Manager geographic code (WORLD, GEO-EU, DE, US-CA …)");

// ---------------------------------------------------------------------------------------------
// Sections (one per top-level config key)
// ---------------------------------------------------------------------------------------------

const clusterPlacement = z
    .object({
        /** Azure region of this cluster and its VNet. */
        location: region,
        /** Address space of the cluster's own VNet; node subnets are carved from it. */
        vnetCidr: cidr,
    })
    .strict();

const maintenanceWindow = z
    .object({
        dayOfWeek: weekDay,
        startTime: hhmm,
        utcOffset: utcOffset.default("+00:00"),
        durationHours: z.number().int().min(4).max(24),
    })
    .strict();

const nodePool = z
    .object({
        vmSize,
        minCount: z.number().int().min(1).max(1000),
        maxCount: z.number().int().min(1).max(1000),
    })
    .strict()
    .refine(p => p.minCount <= p.maxCount, {
        path: ["minCount"],
        message: "is greater than maxCount",
    });

const kubernetesSection = z
    .object({
        /** Kubernetes minor version, e.g. "1.34"; patches come from the `patch` upgrade channel. */
        version: z.string().regex(/^1\.\d{2}$/, 'not a Kubernetes minor version such as "1.34" (no patch number)'),
        /** Availability zones for every node pool; empty for a region without zones or a cheap dev stack. */
        availabilityZones: z.array(z.enum(["1", "2", "3"])).max(3),
        systemPool: nodePool,
        userPool: nodePool,
        /** Network-policy engine that enforces NetworkPolicies on the CNI Overlay data plane. */
        networkPolicy: z.enum(["cilium", "calico", "azure"]),
        podCidr: cidr,
        serviceCidr: cidr,
        dnsServiceIp: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, "not an IPv4 address"),
        /** API server authorized IP ranges; the deploying machine and CI runners must be inside them. */
        authorizedIpRanges: z.array(ipRange).min(1, "at least one range is required (the API server must not be open to the internet)"),
        /**
         * Entra group whose members are cluster admins (Azure RBAC Cluster Admin) and admins of every
         * platform UI (Argo CD role:admin, Harbor system admin). Exactly one: Harbor takes a single
         * admin group (`oidc_admin_group`), and the three groups must mean the same everywhere.
         */
        adminGroupObjectIds: z
            .array(uuid)
            .min(1, "at least one admin group is required")
            .max(1, "exactly one admin group: the platform UIs map one Entra admin group (Harbor's oidc_admin_group takes one)"),
        /**
         * Entra group with read-only access (Azure Kubernetes Service RBAC Reader; read-only in Argo
         * CD, guest in Harbor staging, the Tekton dashboard). Required: sign-in to the UIs is by group.
         */
        developersGroupObjectId: requiredGroup("developers"),
        /**
         * Entra group with read access everywhere and write access (Azure Kubernetes Service RBAC
         * Writer) only in `operatorNamespaces`: cluster-wide Writer would reach the pipeline
         * namespace's credentials and identity, and the platform namespaces.
         */
        operatorsGroupObjectId: requiredGroup("operators"),
        /** Application namespaces where the operators group may write (never system, platform or pipeline). */
        operatorNamespaces: z.array(dnsLabel).default([]),
        /**
         * Who gets Azure Kubernetes Service RBAC Cluster Admin to deploy in-cluster resources: a
         * group all deployers belong to, or the CI identity. Unset: whoever runs `pulumi up`
         * (getClientConfig) — a standing personal grant, so prod requires it and rejects a User.
         * `principalType` is declared here and ARM checks it against the object on the role
         * assignment (a mismatch fails the assignment), so a User cannot pass as a Group.
         */
        deployer: z
            .object({
                objectId: uuid,
                principalType: z.enum(["User", "ServicePrincipal", "Group"]),
            })
            .strict()
            .optional(),
        /** kubelogin login mode used by the Kubernetes providers: non-interactive only. */
        kubeloginMode: z.enum(KUBELOGIN_MODES).default("azurecli"),
        /** Node OS + Kubernetes patch upgrade window. */
        upgradeWindow: maintenanceWindow,
        /** Node image upgrade window. */
        nodeOsUpgradeWindow: maintenanceWindow,
        /** AKS control-plane tier: Standard (or Premium) carries the uptime SLA; Free has none. */
        skuTier: z.enum(["Free", "Standard", "Premium"]),
        /** Microsoft Defender for Containers sensor. */
        defender: z.boolean(),
        logRetentionDays: z.number().int().min(30).max(730),
    })
    .strict();

const registrySection = z
    .object({
        /**
         * The ACR name (global across Azure, part of `<name>.azurecr.io`). Set once per environment
         * and never derived from the DNS zone: renaming replaces the registry, which in prod is
         * protected and locked, so the replacement could not succeed.
         */
        name: z.string().regex(/^[a-z0-9]{5,50}$/, "5-50 lower-case letters and digits (a global ACR name)"),
        sku: z.enum(["Basic", "Standard", "Premium"]),
        /** Replicate to the secondary region (Premium only). */
        geoReplication: z.boolean().default(false),
        /** Days to keep untagged manifests (Premium only); omit to keep forever. */
        untaggedRetentionDays: z.number().int().min(0).max(365).optional(),
        /** Public IP ranges allowed to reach the registry (Premium only); omit for no network rules. */
        allowedIpRanges: z.array(ipRange).optional(),
        /**
         * Artifact cache: credentials for upstream registries that need them, by upstream host
         * (model/image-sources.ts). Only Key Vault references: the values stay in the vault.
         */
        cacheCredentials: z
            .partialRecord(
                z.enum(UPSTREAM_REGISTRIES.map(r => r.host) as [UpstreamHost, ...UpstreamHost[]]),
                z
                    .object({
                        keyVaultId: z
                            .string()
                            .regex(
                                /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+$/i,
                                "not a Key Vault resource id (/subscriptions/…/providers/Microsoft.KeyVault/vaults/<name>)",
                            ),
                        usernameSecretId: keyVaultSecretId,
                        passwordSecretId: keyVaultSecretId,
                    })
                    .strict(),
            )
            .optional(),
    })
    .strict();

const dnsSection = z
    .object({
        /** Azure DNS zone the stack creates; delegate to its name servers (a stack output). */
        zoneName: dnsName,
        /** Shared application hostname: a CNAME to Traffic Manager, so never the zone apex. */
        appHostname: dnsName,
        /** Harbor (primary cluster only). */
        harborHostname: dnsName,
        /** Git webhook receiver for the Tekton EventListener (primary cluster only). */
        hooksHostname: dnsName,
        /** Tekton dashboard (read-only, primary cluster only), behind oauth2-proxy (Entra sign-in). */
        tektonHostname: dnsName,
        /** Argo CD UI/API, one per region. */
        argocdHostnames: z.object({ primary: dnsName, secondary: dnsName }).strict(),
        /** ACME account e-mail for Let's Encrypt. */
        acmeEmail: email,
        /**
         * Let's Encrypt directory the Gateway's certificates come from: `staging` for stacks that are
         * rebuilt often (dev: both regions request the same names on every rebuild and would hit the
         * production rate limits), `production` where browsers must trust the certificates. Required,
         * so a new stack decides it explicitly.
         */
        acmeIssuer: z.enum(["staging", "production"], {
            error: iss => (iss.input === undefined ? "missing required key" : "must be 'staging' or 'production'"),
        }),
    })
    .strict();

const regionPair = z.object({ primary: z.number().int().min(1).max(1000), secondary: z.number().int().min(1).max(1000) }).strict();

const trafficSection = z
    .object({
        routingMethod: z.enum(["Performance", "Priority", "Weighted", "Geographic"]).default("Performance"),
        /** Path answered by each region's gateway for the Traffic Manager probe. */
        healthPath: path,
        /** DNS TTL of the Traffic Manager profile, in seconds. */
        ttlSeconds: z.number().int().min(0).max(2147483647).default(30),
        /** Priority routing: lower is preferred. */
        priorities: regionPair.optional(),
        /** Weighted routing. */
        weights: regionPair.optional(),
        /** Geographic routing: the geographic codes each region serves. */
        geoMappings: z
            .object({ primary: z.array(geoCode), secondary: z.array(geoCode) })
            .strict()
            .optional(),
    })
    .strict()
    .transform((t, ctx) => {
        // The settings of the chosen method are required, and the result carries only those (the
        // component's TrafficRouting), so nothing downstream re-checks them.
        const missing = (key: string) => {
            ctx.addIssue({ code: "custom", path: [key], message: `required when routingMethod is ${t.routingMethod}` });
            return z.NEVER;
        };
        const base = { healthPath: t.healthPath, ttlSeconds: t.ttlSeconds };
        switch (t.routingMethod) {
            case "Performance":
                return { ...base, routing: { method: "Performance" as const } };
            case "Priority":
                if (!t.priorities) return missing("priorities");
                if (t.priorities.primary === t.priorities.secondary)
                    ctx.addIssue({ code: "custom", path: ["priorities"], message: "the two regions need different priorities" });
                return { ...base, routing: { method: "Priority" as const, priorities: t.priorities } };
            case "Weighted":
                if (!t.weights) return missing("weights");
                return { ...base, routing: { method: "Weighted" as const, weights: t.weights } };
            case "Geographic": {
                const geo = t.geoMappings;
                if (!geo) return missing("geoMappings");
                for (const key of CLUSTER_KEYS) {
                    if (geo[key].length === 0)
                        ctx.addIssue({
                            code: "custom",
                            path: ["geoMappings", key],
                            message: "is empty; every region must serve at least one geographic code",
                        });
                }
                const overlap = geo.primary.filter(g => geo.secondary.includes(g));
                if (overlap.length > 0)
                    ctx.addIssue({
                        code: "custom",
                        path: ["geoMappings", "secondary"],
                        message: `overlaps primary: ${overlap.join(", ")} (a code can map to one region only)`,
                    });
                return { ...base, routing: { method: "Geographic" as const, geoMappings: geo } };
            }
        }
    });

const gatekeeperSection = z
    .object({
        /** Admission webhook failure policy: `Fail` blocks the API when Gatekeeper is down (prod). */
        failurePolicy: z.enum(["Fail", "Ignore"]),
        /** Constraint enforcement: deny in prod; warn/dryrun to roll out a new rule. */
        enforcementAction: z.enum(["deny", "warn", "dryrun"]),
        replicas: z.number().int().min(1).max(10),
        /** Extra namespaces, besides the built-in system/platform list, exempt from the constraints. */
        extraExemptNamespaces: z.array(dnsLabel).default([]),
    })
    .strict();

const syncWindow = z
    .object({
        kind: z.enum(["allow", "deny"]),
        schedule: cron,
        duration,
        manualSync: z.boolean().default(false),
    })
    .strict();

const deliverySection = z
    .object({
        /** Application source repository (Tekton builds it). */
        sourceRepoUrl: httpsUrl,
        /** Manifests repository (Argo CD deploys it; the pipeline opens digest-bump PRs on it). */
        manifestsRepoUrl: httpsUrl,
        /** Branch that triggers builds and that Argo CD tracks. */
        branch: z.string().regex(/^[A-Za-z0-9._\/-]+$/, "not a git branch name"),
        /** Path in the manifests repo per region, watched by that region's root Application. */
        manifestsPaths: z.object({ primary: z.string().min(1), secondary: z.string().min(1) }).strict(),
        /** Namespace of the pipeline: the only place registry credentials may exist. */
        pipelineNamespace: dnsLabel,
        /** Git identity of the pipeline's bot; its own commits never trigger a build. */
        botName: z.string().min(1),
        botEmail: email,
        /** Harbor pulls (and the pipeline) stop at or above this severity. */
        blockSeverity: severity,
        /** Reviewed CVE ids that do not block a pull. */
        cveAllowlist: z.array(z.string().regex(/^CVE-\d{4}-\d{4,}$/, "not a CVE id")).default([]),
        /** Bump to rotate the Harbor robot's secret (Harbor issues a new one; the pipeline's copy follows). */
        robotSecretVersion: z.number().int().min(1).default(1),
        /** Tags kept per repository in Harbor staging. */
        retainTags: z.number().int().min(1).max(1000),
        /** Harbor garbage-collection schedule. */
        gcSchedule: cron,
        /** Argo CD in HA mode (redis-ha, several replicas). */
        argocdHa: z.boolean(),
        syncWindows: z.array(syncWindow).default([]),
    })
    .strict();

const alertsSection = z
    .object({
        /** Receivers of the platform alerts (action group e-mail). */
        emails: z.array(email).min(1),
        /** An Argo CD application OutOfSync or Degraded longer than this is GitOps drift. */
        driftMinutes: z.number().int().min(5).max(1440),
    })
    .strict();

const stackSection = z.object({
    /**
     * Environment name (dev, staging, prod …): tags, outputs, and which policy-pack rules apply
     * (policy/config/<stack>.json; the prod-only rules judge `prod`).
     */
    environment: z.string().regex(/^[a-z][a-z0-9-]{1,15}$/, "2-16 lower-case letters, digits or '-', starting with a letter"),
    /** Short prefix for Azure resource names (letters and digits; ACR names allow nothing else). */
    namePrefix: z.string().regex(NAME_PREFIX_PATTERN, "2-12 lower-case letters and digits, starting with a letter"),
    clusters: z.object({ primary: clusterPlacement, secondary: clusterPlacement }).strict(),
    kubernetes: kubernetesSection,
    registry: registrySection,
    dns: dnsSection,
    traffic: trafficSection,
    gatekeeper: gatekeeperSection,
    externalDnsPolicy: z.enum(["sync", "upsert-only"]),
    /** Replicas of the platform's own data-path and issuing controllers, per cluster. */
    replicas: z
        .object({
            /** Envoy proxies behind each Gateway (a PDB keeps all but one up during drains). */
            gatewayProxy: z.number().int().min(1).max(10),
            /** cert-manager controller (more than one enables a PDB and leader election takes over). */
            certManager: z.number().int().min(1).max(5),
        })
        .strict(),
    delivery: deliverySection,
    alerts: alertsSection,
    sealedSecrets: z
        .object({
            /**
             * Generations of the shared sealing key, oldest first. All unseal; the newest seals.
             * Rotate by appending a generation, re-sealing, then dropping the old one.
             */
            keyGenerations: z
                .array(z.number().int().min(1))
                .min(1, "at least one key generation is required")
                .max(3)
                .refine(g => g.every((v, i) => i === 0 || v > g[i - 1]), "must be strictly increasing (oldest first)"),
        })
        .strict(),
    /** Single sign-on to the platform UIs (the groups are kubernetes.*GroupObjectId*). */
    sso: z
        .object({
            /**
             * Bump to rotate the Harbor app registration's client secret (Harbor's OIDC client cannot
             * use workload identity); Harbor's configuration follows on the same `up` (docs/runbooks.md).
             */
            harborClientSecretVersion: z.number().int().min(1).default(1),
        })
        .strict()
        .prefault({}),
    /** Image signatures: the pipeline signs (Tekton Chains), Ratify verifies at admission. */
    imageVerification: z
        .object({
            /**
             * Generations of the signing key, oldest first. Chains signs with the newest; admission
             * accepts a signature by any listed one. Rotate: append, re-sign or rebuild, drop the old.
             */
            keyGenerations: z
                .array(z.number().int().min(1))
                .min(1, "at least one key generation is required")
                .max(3)
                .refine(g => g.every((v, i) => i === 0 || v > g[i - 1]), "must be strictly increasing (oldest first)"),
            /** Unsigned images in application namespaces: `deny` (fail closed, prod) or `dryrun` (audit only, dev). */
            enforcementAction: z.enum(["deny", "warn", "dryrun"]),
        })
        .strict(),
    /**
     * `protect` stateful resources; CanNotDelete locks on the registry's resource group and on
     * the DNS zone's SOA record (a zone or group lock would block record deletes: DNS-01 clean-up).
     */
    protectStatefulResources: z.boolean(),
    tags: z.record(z.string(), z.string()).default({}),
});

// ---------------------------------------------------------------------------------------------
// Cross-field rules
// ---------------------------------------------------------------------------------------------

type RawConfig = z.input<typeof stackSection>;
type Issue = { path: (string | number)[]; message: string };

type Sections = Partial<z.output<typeof stackSection>>;

/** Rules across fields; each runs only when the sections it reads parsed cleanly. */
function crossFieldIssues(c: Sections): Issue[] {
    const issues: Issue[] = [];
    const add = (path: (string | number)[], message: string) => issues.push({ path, message });
    if (c.clusters) clusterRules(c.clusters, c.kubernetes, add);
    if (c.kubernetes) kubernetesRules(c.kubernetes, add);
    if (c.registry) registryRules(c.registry, add);
    if (c.dns) dnsRules(c.dns, add);
    if (c.kubernetes && c.delivery) {
        const forbidden = new Set([...exemptNamespaces(c.gatekeeper?.extraExemptNamespaces ?? []), c.delivery.pipelineNamespace]);
        c.kubernetes.operatorNamespaces.forEach((ns, i) => {
            if (forbidden.has(ns))
                add(
                    ["kubernetes", "operatorNamespaces", i],
                    `${ns} is a system, platform or pipeline namespace; operators get write access only to application namespaces`,
                );
        });
    }
    if (c.environment === "prod" && c.kubernetes) deployerRules(c.kubernetes.deployer, add);
    if (c.delivery && c.delivery.manifestsPaths.primary === c.delivery.manifestsPaths.secondary) {
        add(["delivery", "manifestsPaths", "secondary"], "is the same path as primary; each region needs its own path");
    }
    return issues;
}

type Add = (path: (string | number)[], message: string) => void;
type Out = z.output<typeof stackSection>;

function clusterRules(clusters: Out["clusters"], k8s: Out["kubernetes"] | undefined, add: Add): void {
    if (clusters.primary.location === clusters.secondary.location) {
        add(
            ["clusters", "secondary", "location"],
            `is the same region as clusters.primary.location (${clusters.primary.location}); the two clusters must be in different regions`,
        );
    }
    if (cidrsOverlap(clusters.primary.vnetCidr, clusters.secondary.vnetCidr)) {
        add(["clusters", "secondary", "vnetCidr"], "overlaps clusters.primary.vnetCidr; the VNets must be peerable");
    }
    if (!k8s) return;
    for (const key of CLUSTER_KEYS) {
        for (const other of ["podCidr", "serviceCidr"] as const) {
            if (cidrsOverlap(clusters[key].vnetCidr, k8s[other])) {
                add(["kubernetes", other], `overlaps clusters.${key}.vnetCidr`);
            }
        }
    }
}

function kubernetesRules(k8s: Out["kubernetes"], add: Add): void {
    if (cidrsOverlap(k8s.podCidr, k8s.serviceCidr)) {
        add(["kubernetes", "serviceCidr"], "overlaps kubernetes.podCidr");
    }
    const minor = Number(k8s.version.split(".")[1]);
    if (minor < MIN_KUBERNETES_MINOR) {
        add(["kubernetes", "version"], `${k8s.version} is below 1.${MIN_KUBERNETES_MINOR}, the minimum the Tekton Operator supports`);
    }
}

/** Prod: access by group (or the CI identity) only — no personal Cluster Admin grant. */
function deployerRules(deployer: Out["kubernetes"]["deployer"], add: Add): void {
    if (!deployer) {
        add(
            ["kubernetes", "deployer"],
            "required in prod: a group of the deployers or the CI identity (unset grants Cluster Admin to whoever runs up)",
        );
    } else if (deployer.principalType === "User") {
        add(
            ["kubernetes", "deployer", "principalType"],
            "is User; in prod the deployer must be a Group or the CI identity (ServicePrincipal): access by group only",
        );
    }
}

function registryRules(registry: Out["registry"], add: Add): void {
    if (registry.sku !== "Premium") {
        if (registry.geoReplication) add(["registry", "geoReplication"], "geo-replication requires sku Premium");
        if (registry.untaggedRetentionDays !== undefined) add(["registry", "untaggedRetentionDays"], "retention requires sku Premium");
        if (registry.allowedIpRanges !== undefined) add(["registry", "allowedIpRanges"], "network rules require sku Premium");
    }
    // What each upstream's cache rule supports (model/image-sources.ts `credentials`, from
    // Microsoft Learn's artifact-cache "Upstream support" table): without a credential set an
    // authenticated-only upstream's rule pulls nothing, and a credential set on an
    // unauthenticated-only one is not supported.
    for (const upstream of UPSTREAM_REGISTRIES) {
        const set = registry.cacheCredentials?.[upstream.host] !== undefined;
        if (upstream.credentials === "required" && !set)
            add(
                ["registry", "cacheCredentials", upstream.host],
                `missing required key: ACR's artifact cache pulls from ${upstream.host} only with a credential set (Key Vault references to its username and password/token; README "Upstream registry credentials")`,
            );
        if (upstream.credentials === "forbidden" && set)
            add(
                ["registry", "cacheCredentials", upstream.host],
                `ACR's artifact cache pulls from ${upstream.host} only unauthenticated; remove it`,
            );
    }
}

function dnsRules(dns: Out["dns"], add: Add): void {
    const zone = dns.zoneName;
    const hosts: [(string | number)[], string][] = [
        [["dns", "appHostname"], dns.appHostname],
        [["dns", "harborHostname"], dns.harborHostname],
        [["dns", "hooksHostname"], dns.hooksHostname],
        [["dns", "tektonHostname"], dns.tektonHostname],
        [["dns", "argocdHostnames", "primary"], dns.argocdHostnames.primary],
        [["dns", "argocdHostnames", "secondary"], dns.argocdHostnames.secondary],
    ];
    for (const [p, host] of hosts) {
        if (host === zone)
            add(
                p,
                `${host} is the apex of zone ${zone}; it must be a name below it${p[1] === "appHostname" ? " (the app hostname is a CNAME to Traffic Manager, which the apex cannot be)" : ""}`,
            );
        else if (!isBelowZone(host, zone)) add(p, `${host} is outside the DNS zone ${zone}`);
    }
    const seen = new Map<string, string>();
    for (const [p, host] of hosts) {
        const prev = seen.get(host);
        if (prev) add(p, `${host} is already used by ${prev}`);
        else seen.set(host, p.join("."));
    }
}

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

export type PlatformConfig = Readonly<z.output<typeof stackSection>> & {
    /** Secrets from stack config; they never leave Pulumi's secret wrapper. */
    readonly secrets: PlatformSecrets;
};

export interface PlatformSecrets {
    /** Token the pipeline uses to open digest-bump pull requests on the manifests repo. */
    readonly gitPushToken: pulumi.Output<string>;
    /** Read-only token Argo CD uses to read the manifests repo. */
    readonly gitReadToken: pulumi.Output<string>;
    /** HMAC secret of the git webhook (GitHub interceptor). */
    readonly webhookSecret: pulumi.Output<string>;
}

/** Secret config keys and what they are for; all required. */
export const SECRET_KEYS: Record<keyof PlatformSecrets, string> = {
    gitPushToken: "git token allowed to open pull requests on the manifests repo",
    gitReadToken: "read-only git token for Argo CD and the manifests-PR check's clone",
    webhookSecret: "HMAC secret shared with the git webhook",
};

/** The top-level (non-secret) config keys, in the order they are documented. */
export const CONFIG_KEYS = Object.keys(stackSection.shape) as (keyof RawConfig)[];

export class ConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(
            `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map(p => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

function keyName(path: readonly PropertyKey[]): string {
    const [head, ...rest] = path.map(String);
    return `${CONFIG_NAMESPACE}:${head}${rest.map(r => (/^\d+$/.test(r) ? `[${r}]` : `.${r}`)).join("")}`;
}

/**
 * Validates raw config values (as Pulumi would hand them over: parsed objects per key).
 * Pure and synchronous so it can be tested without a Pulumi runtime. Throws ConfigError.
 */
export function parseConfig(raw: Record<string, unknown>, presentSecrets: readonly string[]): Omit<PlatformConfig, "secrets"> {
    const problems: string[] = [];
    for (const key of Object.keys(raw)) {
        if (!(CONFIG_KEYS as string[]).includes(key) && !(key in SECRET_KEYS)) {
            problems.push(`${keyName([key])}: unknown config key`);
        }
    }
    for (const key of Object.keys(SECRET_KEYS)) {
        if (!presentSecrets.includes(key)) {
            problems.push(
                `${keyName([key])}: missing required secret (${SECRET_KEYS[key as keyof PlatformSecrets]}); set it with \`pulumi config set --secret ${keyName([key])} …\``,
            );
        }
    }
    // Each section is parsed on its own so that a malformed section does not hide the
    // cross-field problems of the others.
    const sections: Sections = {};
    const errorMap: z.core.$ZodErrorMap = iss => (iss.input === undefined ? "missing required key" : undefined);
    for (const key of CONFIG_KEYS) {
        const result = stackSection.shape[key].safeParse(raw[key], { error: errorMap });
        if (result.success) {
            (sections as Record<string, unknown>)[key] = result.data;
            continue;
        }
        for (const issue of result.error.issues) {
            const message =
                issue.code === "unrecognized_keys"
                    ? `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}`
                    : issue.message;
            problems.push(`${keyName([key, ...issue.path])}: ${message}`);
        }
    }
    for (const issue of crossFieldIssues(sections)) problems.push(`${keyName(issue.path)}: ${issue.message}`);
    if (problems.length > 0) throw new ConfigError(problems);
    return deepFreeze(sections as Out);
}

/**
 * The kubelogin mode depends on where `pulumi up` runs (a workstation with `az login`, a CI
 * runner with a federated token), not on the environment, so this variable may override the
 * stack's `kubernetes.kubeloginMode`.
 */
export const KUBELOGIN_MODE_ENV = "PLATFORM_KUBELOGIN_MODE";

/** Applies environment overrides to the raw config; returns the problems they have. */
export function applyEnvironmentOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): string[] {
    const mode = env[KUBELOGIN_MODE_ENV];
    if (mode === undefined || mode === "") return [];
    if (!(KUBELOGIN_MODES as readonly string[]).includes(mode)) {
        return [`${KUBELOGIN_MODE_ENV}: '${mode}' is not a kubelogin mode (${KUBELOGIN_MODES.join(", ")})`];
    }
    if (raw.kubernetes && typeof raw.kubernetes === "object") raw.kubernetes = { ...raw.kubernetes, kubeloginMode: mode };
    return [];
}

/**
 * The azure-native provider's default region (`azure-native:location`) is not ours to read, but a
 * typo there would only surface in Azure, on a resource that takes the provider's default.
 */
export function providerConfigProblems(get: (key: string) => string | undefined): string[] {
    const location = get("azure-native:location");
    if (location === undefined || AZURE_REGIONS.includes(location)) return [];
    return [`azure-native:location: '${location}' is an unknown Azure region (use the programmatic name, e.g. westeurope)`];
}

/** Reads and validates the stack's config. Call before registering any resource. */
export function loadConfig(): PlatformConfig {
    const cfg = new pulumi.Config(CONFIG_NAMESPACE);
    const raw: Record<string, unknown> = {};
    const allKeys = Object.keys(pulumi.runtime.allConfig())
        .filter(k => k.startsWith(`${CONFIG_NAMESPACE}:`))
        .map(k => k.slice(CONFIG_NAMESPACE.length + 1));
    for (const key of allKeys) {
        if (key in SECRET_KEYS) continue;
        const text = pulumi.runtime.getConfig(`${CONFIG_NAMESPACE}:${key}`)!;
        try {
            raw[key] = JSON.parse(text);
        } catch {
            raw[key] = text; // plain strings (e.g. `environment: dev`) are not JSON
        }
    }
    const presentSecrets = Object.keys(SECRET_KEYS).filter(k => pulumi.runtime.getConfig(`${CONFIG_NAMESPACE}:${k}`) !== undefined);
    const envProblems = [...providerConfigProblems(k => pulumi.runtime.getConfig(k)), ...applyEnvironmentOverrides(raw, process.env)];
    let parsed: Omit<PlatformConfig, "secrets">;
    try {
        parsed = parseConfig(raw, presentSecrets);
    } catch (e) {
        if (e instanceof ConfigError && envProblems.length) throw new ConfigError([...envProblems, ...e.problems]);
        throw e;
    }
    if (envProblems.length) throw new ConfigError(envProblems);
    const secrets = Object.fromEntries(Object.keys(SECRET_KEYS).map(k => [k, cfg.requireSecret(k)])) as unknown as PlatformSecrets;
    return Object.freeze({ ...parsed, secrets });
}

function deepFreeze<T>(value: T): T {
    if (value && typeof value === "object") {
        for (const v of Object.values(value)) deepFreeze(v);
        Object.freeze(value);
    }
    return value;
}

export type { RawConfig };
