// Gatekeeper: the admission guard rails of one cluster. The chart (HA webhook, audit on), then
// the platform's CEL ConstraintTemplates and one constraint per template (definitions in
// gatekeeper-policies.ts, which the offline `admit` evaluates too).
//
// Gatekeeper creates a constraint's CRD only after it has accepted the template, so templates
// carry `pulumi.com/waitFor: jsonpath={.status.created}=true` and each constraint depends on its
// template; otherwise the first `pulumi up` fails with "no matches for kind".
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as YAML from "yaml";
import { NAMESPACES, SYSTEM_NAMESPACES } from "../../../model/names";
import { chartRelease } from "../chart";
import { mirrored, PLATFORM_IMAGES } from "../platform-images";
import { VERIFICATION_TIMEOUT_SECONDS } from "../image-verification";
import {
    constraint,
    CONSTRAINT_API_VERSION,
    constraintTemplate,
    EnforcementAction,
    fullyExemptNamespaces,
    POLICIES,
    policyBundle,
    PolicyDefinition,
    templateName,
} from "../../../model/admission/policies";
import { podSecurityLabels } from "../../../model/admission/pod-security-levels";
import { z } from "zod";
import { checkArgs } from "../../args-schema";

export interface GatekeeperArgs {
    /** The cluster's provider; every object goes through it. */
    provider: k8s.Provider;
    /** ACR login server (e.g. `myacr.azurecr.io`): the only registry workloads may pull from. */
    acrLoginServer: pulumi.Input<string>;
    /** The only namespace where registry credentials and imagePullSecrets are allowed. */
    pipelineNamespace: string;
    /**
     * System and platform namespaces, usually names.ts exemptNamespaces(extra): what the image rules
     * skip. The pod-security and credential rules skip only Kubernetes' own namespaces (names.ts
     * SYSTEM_NAMESPACES; see PolicyDefinition.exemption), and only namespaces every rule skips go
     * in the chart's exempt list.
     */
    exemptNamespaces: string[];
    /** deny in prod; warn/dryrun to roll out a new rule. */
    enforcementAction: EnforcementAction;
    /** Webhook failure policy: Fail (prod) blocks the API while Gatekeeper is down; Ignore fails open. */
    failurePolicy: "Fail" | "Ignore";
    /** Webhook (controller-manager) replicas. */
    replicas: number;
    /**
     * What the release installs after: objects that must exist before a fail-closed webhook does
     * because nothing can make them wait for it (see waitForAdmissionWebhook).
     */
    installAfter?: pulumi.Resource[];
}

export class Gatekeeper extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    /**
     * The chart release. Helm reports it ready only after its post-install hook's webhook probe
     * answered (see waitForAdmissionWebhook), so "after this" means "the webhook admits".
     */
    public readonly release: k8s.helm.v3.Release;
    /** Constraint kinds installed, in a stable order. */
    public readonly constraintKinds: string[];
    /**
     * The templates and constraints this Gatekeeper enforces, as one multi-document YAML: what
     * the manifests check runs before merge is exactly what admission enforces after it.
     */
    public readonly policyBundleYaml: pulumi.Output<string>;

    constructor(name: string, args: GatekeeperArgs, opts?: pulumi.ComponentResourceOptions) {
        validate(args); // before registering anything
        super("platform:cluster:Gatekeeper", name, {}, opts);
        const provider = args.provider;
        const exempt = [...new Set(args.exemptNamespaces)].sort();
        const settings = { enforcementAction: args.enforcementAction, exemptNamespaces: exempt, systemNamespaces: [...SYSTEM_NAMESPACES] };
        // Match rules depend on the pipeline namespace only, never on the registry's login server.
        const ctxForMatch = { acrLoginServer: "", pipelineNamespace: args.pipelineNamespace };

        const ns = new k8s.core.v1.Namespace(
            `${name}-ns`,
            {
                metadata: {
                    name: NAMESPACES.gatekeeper,
                    labels: {
                        // Gatekeeper never reviews its own namespace (the chart's post-install job sets the same).
                        "admission.gatekeeper.sh/ignore": "no-self-managing",
                        ...podSecurityLabels(NAMESPACES.gatekeeper),
                    },
                },
            },
            { parent: this, provider },
        );

        // With one replica a PDB of minAvailable 1 would block every node drain (AKS upgrades
        // stall); with more, at most one webhook pod is voluntarily disrupted at a time.
        const minAvailable = Math.max(args.replicas - 1, 0);
        const images = {
            controller: mirrored(args.acrLoginServer, PLATFORM_IMAGES.gatekeeper.controller),
            crds: mirrored(args.acrLoginServer, PLATFORM_IMAGES.gatekeeper.crds),
            curl: mirrored(args.acrLoginServer, PLATFORM_IMAGES.gatekeeper.curl),
        };
        const release = (this.release = chartRelease(
            `${name}-chart`,
            {
                chart: "gatekeeper",
                releaseName: "gatekeeper",
                namespace: ns.metadata.name,
                values: {
                    // Chart 3.23.0 templates: the controller and audit run <image.repository>:<image.release>;
                    // the CRD-upgrade hook <image.crdRepository>:<image.release> unless
                    // preInstall.crdRepository.image.repository is set (upgrade-crds-hook.yaml); the
                    // other hooks <…image.repository>:<…image.tag> (namespace-post-install.yaml,
                    // namespace-post-upgrade.yaml, webhook-configs-pre-delete.yaml, _helpers.tpl probeWebhook).
                    image: { repository: images.controller, crdRepository: images.crds },
                    postInstall: {
                        labelNamespace: { image: { repository: images.crds } },
                        probeWebhook: { image: { repository: images.curl } },
                    },
                    postUpgrade: { labelNamespace: { image: { repository: images.crds } } },
                    preUninstall: { deleteWebhookConfigurations: { image: { repository: images.crds } } },
                    replicas: args.replicas,
                    pdb: { controllerManager: { minAvailable } },
                    validatingWebhookFailurePolicy: args.failurePolicy,
                    // Ratify's external-data provider must answer within this (its chart's provider
                    // timeout "MUST match"; components/cluster/image-verification/index.ts).
                    validatingWebhookTimeoutSeconds: VERIFICATION_TIMEOUT_SECONDS,
                    // Audit reports violations of existing objects (e.g. created before a constraint).
                    disableAudit: false,
                    auditInterval: 60,
                    auditFromCache: false,
                    constraintViolationsLimit: 20,
                    // The templates are CEL; the engine must be on.
                    enableK8sNativeValidation: true,
                    // No mutation policies in this stack: one webhook less on the API path.
                    disableMutation: true,
                    logDenies: true,
                    controllerManager: {
                        // Only namespaces that no constraint binds. `--exempt-namespace` lets a namespace
                        // carry the admission.gatekeeper.sh/ignore label, and Gatekeeper 3.23 (flag
                        // --sync-vap-enforcement-scope, default true) also copies the list into every
                        // generated ValidatingAdmissionPolicy as a match condition that skips every
                        // object in those namespaces, labelled or not (open-policy-agent/gatekeeper
                        // v3.23.0 cdf332c: pkg/controller/constrainttemplate/constrainttemplate_controller.go
                        // transformTemplateToVAP -> webhook.GetAllExemptedNamespacesWithWildcard;
                        // pkg/drivers/k8scel/transform/cel_snippets.go matchGlobalExemptedNamespacesGlob).
                        // A platform namespace listed here would escape the pod-security and credential
                        // policies meant to bind it; per-policy exclusions stay in each constraint's match.
                        exemptNamespaces: fullyExemptNamespaces(POLICIES, ctxForMatch, settings),
                        topologySpreadConstraints:
                            args.replicas > 1
                                ? [
                                      {
                                          maxSkew: 1,
                                          topologyKey: "topology.kubernetes.io/zone",
                                          whenUnsatisfiable: "ScheduleAnyway",
                                          labelSelector: { matchLabels: { "gatekeeper.sh/operation": "webhook" } },
                                      },
                                  ]
                                : [],
                    },
                },
            },
            { parent: this, provider, dependsOn: args.installAfter ?? [] },
        ));

        const ctx = pulumi.output(args.acrLoginServer).apply(acrLoginServer => ({
            acrLoginServer,
            pipelineNamespace: args.pipelineNamespace,
        }));

        this.constraintKinds = POLICIES.map(p => p.kind);
        for (const policy of POLICIES) {
            const template = this.template(name, policy, release, provider);
            // Only the parameters depend on the registry's login server: the match rules and the
            // enforcement action stay known (reviewable) even in a from-scratch preview.
            const known = constraint(policy, ctxForMatch, settings);
            new k8s.apiextensions.CustomResource(
                `${name}-${policy.constraintName}`,
                {
                    apiVersion: CONSTRAINT_API_VERSION,
                    kind: policy.kind,
                    metadata: { name: policy.constraintName },
                    spec: { ...known.spec, parameters: ctx.apply(x => constraint(policy, x, settings).spec.parameters ?? {}) },
                },
                { parent: this, provider, dependsOn: [template] },
            );
        }

        this.policyBundleYaml = ctx.apply(x => {
            const bundle = policyBundle(x, settings);
            return [...bundle.templates, ...bundle.constraints].map(doc => YAML.stringify(doc)).join("---\n");
        });
        this.namespace = ns.metadata.name;
        this.registerOutputs({ namespace: this.namespace, constraintKinds: this.constraintKinds });
    }

    private template(
        name: string,
        policy: PolicyDefinition,
        release: pulumi.Resource,
        provider: k8s.Provider,
    ): k8s.apiextensions.CustomResource {
        const t = constraintTemplate(policy);
        return new k8s.apiextensions.CustomResource(
            `${name}-${templateName(policy)}`,
            {
                apiVersion: t.apiVersion,
                kind: t.kind,
                metadata: t.metadata,
                spec: t.spec,
            },
            { parent: this, provider, dependsOn: [release] },
        );
    }
}

/**
 * Options for a component whose Kubernetes objects must wait for a fail-closed Gatekeeper: every
 * `kubernetes:` resource below it (however deep) also depends on `release`.
 *
 * Why: with failurePolicy Fail the webhook matches every object, and the chart registers it in the
 * same Helm pass as the Deployment serving it; anything created meanwhile is rejected ("failed
 * calling webhook") and fails the `up`. Helm reports the release ready only once its post-install
 * hook has probed the webhook (open-policy-agent/gatekeeper charts/gatekeeper/templates/
 * namespace-post-install.yaml @ v3.23.0, cdf332c3: initContainers from
 * gatekeeper.postInstallWebhookProbeContainer while postInstall.probeWebhook.enabled, the default,
 * alongside the default postInstall.labelNamespace job). The alternative, installing with Ignore
 * and switching to Fail afterwards, needs a second owner of the webhook's failurePolicy that every
 * Helm upgrade resets, and leaves the cluster fail-open in between; the wait costs only the first
 * install (on later `up`s the release already exists).
 *
 * A transformation (inherited by every descendant, unlike a component's dependsOn) keeps this in
 * one place instead of in every component's Args. It cannot reach the objects of a remote
 * component (helm.v4.Chart: the provider creates them), so those go before Gatekeeper instead.
 */
export function waitForAdmissionWebhook(release: pulumi.Resource): pulumi.ComponentResourceOptions {
    const transformation: pulumi.ResourceTransformation = ({ type, props, opts }) => {
        if (!type.startsWith("kubernetes:")) return undefined;
        // A helm.v4.Chart's objects are created by the provider: no transformation here reaches them.
        if (type === "kubernetes:helm.sh/v4:Chart") {
            throw new Error(
                "waitForAdmissionWebhook: a helm.v4.Chart's objects cannot be made to wait; install it before Gatekeeper (installAfter)",
            );
        }
        const own = opts.dependsOn;
        if (own !== undefined && !Array.isArray(own) && !pulumi.Resource.isInstance(own)) {
            throw new Error(`waitForAdmissionWebhook: ${type}: dependsOn must be a resource or a list (got a promise or output)`);
        }
        const dependsOn = [...(own === undefined ? [] : Array.isArray(own) ? own : [own]), release];
        return { props, opts: { ...opts, dependsOn } };
    };
    return { transformations: [transformation] };
}

/** What GatekeeperArgs must satisfy (messages name the key). */
const ARGS_SCHEMA = z
    .object({
        replicas: z
            .number()
            .refine(n => Number.isInteger(n) && n >= 1, { error: iss => `replicas must be a positive integer (got ${iss.input})` }),
        pipelineNamespace: z.string().min(1, "pipelineNamespace is required"),
        exemptNamespaces: z.array(z.string()),
    })
    .refine(a => !a.exemptNamespaces.includes(a.pipelineNamespace), {
        error: iss =>
            `pipeline namespace '${(iss.input as { pipelineNamespace: string }).pipelineNamespace}' must not be exempt: the credential constraints are what confine it`,
    });

function validate(args: GatekeeperArgs): void {
    checkArgs(ARGS_SCHEMA, args, "Gatekeeper");
}
