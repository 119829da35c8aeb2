// Container Insights with managed-identity (Entra) authentication for one AKS cluster.
//
// With `addonProfiles.omsagent.config.useAADAuth: "true"` (components/azure/cluster.ts) the
// ama-logs agent authenticates with the add-on's managed identity instead of the workspace's
// shared key, and takes what to collect and where to send it from a data collection rule
// associated with the cluster. This component creates exactly what
// `az aks enable-addons -a monitoring --enable-msi-auth-for-monitoring` creates
// (azure-cli acs/addonconfiguration.py, ensure_container_insights_for_monitoring): the DCR
// `MSCI-<workspace region>-<cluster name>` in the workspace's region, and its association
// `ContainerInsightsExtension` on the cluster. Without them the agent has no route for its data.
import * as pulumi from "@pulumi/pulumi";
import * as monitor from "@pulumi/azure-native/monitor";
import { AzureGovernance } from "./governance";

/** The stream group the ContainerInsights extension emits (every standard Container Insights table). */
export const CONTAINER_INSIGHTS_STREAM = "Microsoft-ContainerInsights-Group-Default";
/** Name of the extension data source and of the association on the cluster, as the CLI/portal onboarding uses. */
export const CONTAINER_INSIGHTS_EXTENSION = "ContainerInsightsExtension";
const WORKSPACE_DESTINATION = "la-workspace";

/**
 * The agent's collection settings: the portal's "Standard" preset (every namespace, each minute)
 * with the ContainerLogV2 schema, which the CLI turns on by default for DCR-based onboarding.
 */
export const DATA_COLLECTION_SETTINGS = {
    interval: "1m",
    namespaceFilteringMode: "Off",
    enableContainerLogV2: true,
} as const;

/** `MSCI-<region>-<cluster>`, cut to the 64 characters a DCR name may have (as the CLI does). */
export function containerInsightsRuleName(location: string, clusterName: string): string {
    return `MSCI-${location}-${clusterName}`.slice(0, 64);
}

export interface ContainerInsightsArgs extends Pick<AzureGovernance, "tags"> {
    /** ARM id of the AKS cluster: the association's scope. */
    clusterId: pulumi.Input<string>;
    /** AKS cluster name (part of the rule's name). */
    clusterName: pulumi.Input<string>;
    /** Region of the rule: the Log Analytics workspace's region, as the CLI onboarding places it. */
    location: string;
    /** ARM id of the Log Analytics workspace the agent sends to. */
    workspaceId: pulumi.Input<string>;
    /** Group holding the rule (the cluster's own group, as with the CLI). */
    resourceGroupName: pulumi.Input<string>;
}

export class ContainerInsights extends pulumi.ComponentResource {
    readonly dataCollectionRuleId: pulumi.Output<string>;
    readonly dataCollectionRuleName: pulumi.Output<string>;

    constructor(name: string, args: ContainerInsightsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:azure:ContainerInsights", name, {}, opts);
        // The region is part of a physical name: fail on a display name ("West Europe") up front.
        if (!/^[a-z0-9]+$/.test(args.location)) {
            throw new Error(`ContainerInsights ${name}: location '${args.location}' is not an Azure region name (e.g. westeurope)`);
        }
        const parent = { parent: this };

        const dcr = new monitor.DataCollectionRule(
            `${name}-dcr`,
            {
                dataCollectionRuleName: pulumi.output(args.clusterName).apply(n => containerInsightsRuleName(args.location, n)),
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                kind: "Linux",
                description: "Container Insights (ama-logs, managed-identity auth) to the platform Log Analytics workspace",
                dataSources: {
                    extensions: [
                        {
                            name: CONTAINER_INSIGHTS_EXTENSION,
                            extensionName: "ContainerInsights",
                            streams: [CONTAINER_INSIGHTS_STREAM],
                            extensionSettings: { dataCollectionSettings: { ...DATA_COLLECTION_SETTINGS } },
                        },
                    ],
                },
                destinations: {
                    logAnalytics: [{ name: WORKSPACE_DESTINATION, workspaceResourceId: args.workspaceId }],
                },
                dataFlows: [{ streams: [CONTAINER_INSIGHTS_STREAM], destinations: [WORKSPACE_DESTINATION] }],
                tags: args.tags,
            },
            parent,
        );

        new monitor.DataCollectionRuleAssociation(
            `${name}-dcra`,
            {
                associationName: CONTAINER_INSIGHTS_EXTENSION,
                resourceUri: args.clusterId,
                dataCollectionRuleId: dcr.id,
                description:
                    "Association of the Container Insights data collection rule. Deleting this association will break the data collection for this AKS cluster.",
            },
            parent,
        );

        this.dataCollectionRuleId = dcr.id;
        this.dataCollectionRuleName = dcr.name;
        this.registerOutputs({ dataCollectionRuleId: this.dataCollectionRuleId });
    }
}
