// Rewrites the user kubeconfig AKS returns (exec plugin `kubelogin get-token --login devicecode`,
// which would block `pulumi up` on an interactive prompt) into a non-interactive login mode.
// Same outcome as `kubelogin convert-kubeconfig -l <mode>`: the exec args are rebuilt from the
// mode, keeping only `--server-id` (every mode needs it) and what the mode itself takes.
// Pure: YAML text in, YAML text out, so it is unit-tested without an engine.
import * as YAML from "yaml";

import { KubeloginMode } from "../../model/kubelogin";

export type { KubeloginMode };

const EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1";

/** Value following `flag` in an argument list, if any. */
function argValue(args: readonly string[], flag: string): string | undefined {
    const i = args.indexOf(flag);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : undefined;
}

/**
 * Arguments `kubelogin get-token` takes for `mode`.
 * - azurecli: the token comes from the signed-in Azure CLI, in its tenant; client/tenant ids and
 *   environment from the devicecode form are dropped (kubelogin's converter drops them too).
 * - workloadidentity, msi: client id, tenant and token file come from the environment
 *   (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE) or the instance's identity.
 * - spn: keeps tenant and environment; the devicecode form's `--client-id` is the Azure CLI's
 *   public client, not the service principal, so it is dropped and the SPN's id and secret come
 *   from AAD_SERVICE_PRINCIPAL_CLIENT_ID / AAD_SERVICE_PRINCIPAL_CLIENT_SECRET (or AZURE_*).
 */
function getTokenArgs(original: readonly string[], mode: KubeloginMode, userName: string): string[] {
    const serverId = argValue(original, "--server-id");
    if (!serverId) throw new Error(`kubeconfig user ${userName}: kubelogin exec args have no --server-id`);
    const args = ["get-token", "--login", mode, "--server-id", serverId];
    if (mode === "spn") {
        const tenantId = argValue(original, "--tenant-id");
        if (!tenantId) throw new Error(`kubeconfig user ${userName}: spn login needs --tenant-id, which the kubeconfig lacks`);
        args.push("--tenant-id", tenantId);
        const environment = argValue(original, "--environment");
        if (environment) args.push("--environment", environment);
    }
    return args;
}

/**
 * Converts every kubelogin exec user in `kubeconfig` to `mode`. Throws when the kubeconfig has no
 * kubelogin user at all (an unexpected format must not reach the provider unconverted).
 */
export function toNonInteractiveKubeconfig(kubeconfig: string, mode: KubeloginMode): string {
    const doc = YAML.parse(kubeconfig) as { users?: { name: string; user?: { exec?: Record<string, unknown> } }[] } | null;
    let converted = 0;
    for (const entry of doc?.users ?? []) {
        const exec = entry.user?.exec;
        if (
            !exec ||
            !String(exec.command ?? "")
                .toLowerCase()
                .includes("kubelogin")
        )
            continue;
        const args = Array.isArray(exec.args) ? exec.args.map(String) : [];
        entry.user!.exec = {
            apiVersion: exec.apiVersion ?? EXEC_API_VERSION,
            command: "kubelogin",
            args: getTokenArgs(args, mode, entry.name),
            env: null,
            ...(exec.installHint ? { installHint: exec.installHint } : {}),
            // Never prompt: `pulumi up` and CI have nobody to answer.
            interactiveMode: "Never",
            provideClusterInfo: false,
        };
        converted++;
    }
    if (converted === 0) throw new Error("kubeconfig has no kubelogin exec user to convert (unexpected AKS kubeconfig format)");
    return YAML.stringify(doc);
}
