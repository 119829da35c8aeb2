// The pack as the Pulumi CLI runs it: `policy/` started by @pulumi/pulumi's run-policy-pack (ts-node,
// type-checked), serving the Analyzer gRPC service; requests carry the engine's own unknown
// sentinel. Proves the folder loads without its own node_modules and that the real analyzer
// server reports an unknown as a *mandatory* violation (it would downgrade a thrown unknown).
import { strict as assert } from "assert";
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import * as apb from "@pulumi/pulumi/proto/analyzer_pb";
import * as agrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as pulumi from "@pulumi/pulumi";

const ROOT = path.resolve(__dirname, "..", "..");
const LEVELS = ["advisory", "mandatory", "disabled", "remediate"] as const;

interface Diagnostic {
    policy: string;
    level: string;
    message: string;
    urn: string;
}

function toDiagnostics(resp: apb.AnalyzeResponse): Diagnostic[] {
    return resp
        .getDiagnosticsList()
        .map(d => ({ policy: d.getPolicyname(), level: LEVELS[d.getEnforcementlevel()], message: d.getMessage(), urn: d.getUrn() }));
}

function options(protect = false): apb.AnalyzerResourceOptions {
    const o = new apb.AnalyzerResourceOptions();
    o.setProtect(protect);
    return o;
}

describe("policy pack served over gRPC (as `pulumi preview --policy-pack policy` runs it)", function () {
    this.timeout(120_000);
    let child: ChildProcess;
    let client: agrpc.AnalyzerClient;

    before(async () => {
        child = spawn(process.execPath, [path.join(ROOT, "node_modules/@pulumi/pulumi/cmd/run-policy-pack"), "127.0.0.1:1", "."], {
            cwd: path.join(ROOT, "policy"),
        });
        // Never leave the server behind, even if mocha is interrupted before `after`.
        const stop = () => child.kill();
        process.once("exit", stop);
        let stderr = "";
        child.stderr!.on("data", d => {
            stderr += d;
        });
        const port = await new Promise<string>((resolve, reject) => {
            let out = "";
            child.stdout!.on("data", d => {
                out += d;
                const m = /^(\d+)\s*$/m.exec(out);
                if (m) resolve(m[1]);
            });
            child.on("exit", code => reject(new Error(`policy pack exited with ${code}: ${stderr}`)));
        });
        client = new agrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    });

    after(() => {
        client?.close();
        child?.kill();
    });

    const analyze = (type: string, name: string, props: Record<string, unknown>, protect = false) => {
        const req = new apb.AnalyzeRequest();
        req.setType(type);
        req.setName(name);
        req.setUrn(`urn:pulumi:dev::platform::${type}::${name}`);
        req.setProperties(structproto.Struct.fromJavaScript(props as Record<string, any>));
        req.setOptions(options(protect));
        return new Promise<Diagnostic[]>((resolve, reject) => client.analyze(req, (e, r) => (e ? reject(e) : resolve(toDiagnostics(r!)))));
    };

    it("reports a security input unknown at preview as a mandatory violation", async () => {
        const out = await analyze(
            "azure-native:containerregistry:Registry",
            "acr",
            { adminUserEnabled: pulumi.runtime.unknownValue, anonymousPullEnabled: false, sku: { name: "Premium" } },
            true,
        );
        const admin = out.filter(d => d.policy === "acr-admin-user-disabled");
        assert.equal(admin.length, 1);
        assert.equal(admin[0].level, "mandatory");
        assert.match(admin[0].message, /unknown during preview/);
    });

    it("passes a compliant resource", async () => {
        const out = await analyze(
            "azure-native:containerregistry:Registry",
            "acr",
            { adminUserEnabled: false, anonymousPullEnabled: false, sku: { name: "Premium" } },
            true,
        );
        assert.deepEqual(
            out.filter(d => d.level === "mandatory"),
            [],
        );
    });

    it("walks Helm values for pull secrets", async () => {
        const out = await analyze("kubernetes:helm.sh/v3:Release", "argocd", {
            chart: "argo-cd",
            namespace: "argocd",
            values: { configs: { cm: { "admin.enabled": false } }, controller: { imagePullSecrets: [{ name: "x" }] } },
        });
        assert.deepEqual(
            out.map(d => [d.policy, d.level]),
            [["no-registry-credentials-outside-pipeline-namespace", "mandatory"]],
        );
    });

    it("rejects an Argo CD release that leaves the local admin at the chart default (enabled)", async () => {
        const out = await analyze("kubernetes:helm.sh/v3:Release", "argocd", { chart: "argo-cd", namespace: "argocd", values: {} });
        assert.deepEqual(
            out.map(d => [d.policy, d.level]),
            [["argocd-local-admin-disabled", "mandatory"]],
        );
    });

    it("runs stack policies over the stack's resources", async () => {
        const resource = (type: string, name: string, props: Record<string, unknown>) => {
            const r = new apb.AnalyzerResource();
            r.setType(type);
            r.setName(name);
            r.setUrn(`urn:pulumi:dev::platform::${type}::${name}`);
            r.setProperties(structproto.Struct.fromJavaScript(props as Record<string, any>));
            r.setOptions(options());
            return r;
        };
        const req = new apb.AnalyzeStackRequest();
        req.setResourcesList([
            resource("azure-native:managedidentity:UserAssignedIdentity", "primary-pipeline", {
                resourceName: "id-pipeline",
                principalId: "11111111-1111-4111-8111-111111111111",
            }),
            resource("azure-native:authorization:RoleAssignment", "other-push", {
                principalId: "22222222-2222-4222-8222-222222222222",
                roleDefinitionId: "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/8311e382-0749-4cb8-b61a-304f252e45ec",
            }),
        ]);
        const out = await new Promise<Diagnostic[]>((resolve, reject) =>
            client.analyzeStack(req, (e, r) => (e ? reject(e) : resolve(toDiagnostics(r!)))),
        );
        const write = out.filter(d => d.policy === "registry-write-roles-only-for-pipeline-identity");
        assert.equal(write.length, 1);
        assert.equal(write[0].level, "mandatory");
        assert.ok(write[0].urn.endsWith("::other-push"));
    });
});
