// Log Analytics workspace: Container Insights and Defender for both clusters report here.
import * as pulumi from "@pulumi/pulumi";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import { AzureGovernance } from "./governance";

export interface MonitoringArgs extends Pick<AzureGovernance, "tags" | "protect"> {
    namePrefix: string;
    resourceGroupName: pulumi.Input<string>;
    location: string;
    retentionDays: number;
}

export class Monitoring extends pulumi.ComponentResource {
    readonly workspaceId: pulumi.Output<string>;
    readonly workspaceName: pulumi.Output<string>;

    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:azure:Monitoring", name, {}, opts);
        const workspace = new operationalinsights.Workspace(
            `${name}-workspace`,
            {
                workspaceName: `log-${args.namePrefix}`,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                sku: { name: "PerGB2018" },
                retentionInDays: args.retentionDays,
                tags: args.tags,
            },
            { parent: this, protect: args.protect },
        );
        this.workspaceId = workspace.id;
        this.workspaceName = workspace.name;
        this.registerOutputs({ workspaceId: this.workspaceId });
    }
}
