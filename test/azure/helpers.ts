// Lookups shared by the Azure-layer tests: values the offline engine's mocks derive from URNs
// (computed with the mocks' own functions, so the tests and the engine cannot drift apart).
import { byName, StackRun } from "../harness";
import { oidcIssuerUrl, publicIp, uuidFrom } from "../../tools/mock-outputs";

/** The address tools/mock-outputs.ts assigns to a PublicIPAddress. */
export function publicIpAddressOf(run: StackRun, name: string): string {
    return publicIp(byName(run, "azure-native:network:PublicIPAddress", name).urn);
}

/** Object id of a cluster's pre-created kubelet identity (`<key>-aks` → `<key>-kubelet-identity`). */
export function kubeletObjectIdOf(run: StackRun, clusterLogicalName: string): string {
    const key = clusterLogicalName.replace(/-aks$/, "");
    return uuidFrom(byName(run, "azure-native:managedidentity:UserAssignedIdentity", `${key}-kubelet-identity`).urn, "principal");
}

/** OIDC issuer the mock gives a ManagedCluster. */
export function issuerOf(run: StackRun, clusterLogicalName: string): string {
    const c = byName(run, "azure-native:containerservice:ManagedCluster", clusterLogicalName);
    return oidcIssuerUrl(String(c.inputs.location), c.urn);
}
