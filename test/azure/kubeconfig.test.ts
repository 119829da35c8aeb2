import { strict as assert } from "assert";
import * as YAML from "yaml";
import { toNonInteractiveKubeconfig } from "../../components/azure/kubeconfig";
import { AKS_AAD_CLIENT_ID, AKS_AAD_SERVER_ID, MOCK_TENANT_ID, userKubeconfig } from "../../tools/mock-outputs";

/** The devicecode kubeconfig AKS returns for listManagedClusterUserCredentials (the engine's mock). */
const devicecode = userKubeconfig("rg-scdev-primary", "aks-scdev-primary", "westeurope");

function user(kubeconfig: string) {
    const doc = YAML.parse(kubeconfig);
    assert.equal(doc.users.length, 1);
    return doc.users[0].user.exec as { command: string; args: string[]; interactiveMode: string; apiVersion: string };
}

describe("kubeconfig rewrite (devicecode -> non-interactive kubelogin)", () => {
    it("starts from the interactive devicecode form", () => {
        assert.deepEqual(user(devicecode).args.slice(-2), ["--login", "devicecode"]);
    });

    it("azurecli: keeps --server-id, drops client/tenant/environment, never prompts", () => {
        const out = toNonInteractiveKubeconfig(devicecode, "azurecli");
        const exec = user(out);
        assert.equal(exec.command, "kubelogin");
        assert.equal(exec.apiVersion, "client.authentication.k8s.io/v1beta1");
        assert.deepEqual(exec.args, ["get-token", "--login", "azurecli", "--server-id", AKS_AAD_SERVER_ID]);
        assert.equal(exec.interactiveMode, "Never");
        assert.ok(!out.includes("devicecode"));
        assert.ok(!out.includes(AKS_AAD_CLIENT_ID), "the Azure CLI public client id is not an argument of azurecli mode");
    });

    it("keeps clusters, contexts and the server unchanged", () => {
        const before = YAML.parse(devicecode);
        const after = YAML.parse(toNonInteractiveKubeconfig(devicecode, "azurecli"));
        assert.deepEqual(after.clusters, before.clusters);
        assert.deepEqual(after.contexts, before.contexts);
        assert.equal(after["current-context"], before["current-context"]);
        assert.equal(after.users[0].name, before.users[0].name);
    });

    it("workloadidentity and msi take only the server id (the rest comes from the environment)", () => {
        for (const mode of ["workloadidentity", "msi"] as const) {
            assert.deepEqual(user(toNonInteractiveKubeconfig(devicecode, mode)).args, [
                "get-token",
                "--login",
                mode,
                "--server-id",
                AKS_AAD_SERVER_ID,
            ]);
        }
    });

    it("spn keeps tenant and environment but not the Azure CLI's client id", () => {
        assert.deepEqual(user(toNonInteractiveKubeconfig(devicecode, "spn")).args, [
            "get-token",
            "--login",
            "spn",
            "--server-id",
            AKS_AAD_SERVER_ID,
            "--tenant-id",
            MOCK_TENANT_ID,
            "--environment",
            "AzurePublicCloud",
        ]);
    });

    it("is idempotent", () => {
        const once = toNonInteractiveKubeconfig(devicecode, "azurecli");
        assert.equal(toNonInteractiveKubeconfig(once, "azurecli"), once);
    });

    it("refuses a kubeconfig it cannot convert instead of passing it through", () => {
        const admin = YAML.stringify({ apiVersion: "v1", kind: "Config", users: [{ name: "admin", user: { token: "x" } }] });
        assert.throws(() => toNonInteractiveKubeconfig(admin, "azurecli"), /no kubelogin exec user/);
        const noServer = devicecode.replace(/ {6}- --server-id\n {6}- \S+\n/, "");
        assert.throws(() => toNonInteractiveKubeconfig(noServer, "azurecli"), /--server-id/);
    });
});
