import { strict as assert } from "assert";
import * as k8s from "@pulumi/kubernetes";
import {
    SEALED_SECRETS_CONTROLLER,
    SEALING_CERT_VALIDITY_HOURS,
    SEALING_KEY_LABEL,
    SEALING_KEY_SECRET,
    SealedSecrets,
    SealingKey,
    sealingKeySecretName,
} from "../../components/cluster/sealed-secrets";
import { byName, byType, freshRun, planDocument, StackRun } from "../harness";

type Spec = Record<string, any>;

describe("SealingKey and SealedSecrets", () => {
    let run: StackRun;
    before(async () => {
        run = await freshRun({
            stack: "dev",
            program: () => {
                const key = new SealingKey("sealing");
                const s = new SealedSecrets("primary", {
                    acrLoginServer: "platformacr.azurecr.io",
                    provider: new k8s.Provider("primary", {}),
                    sealingKeys: [{ generation: 1, certificatePem: key.certificatePem, privateKeyPem: key.privateKeyPem }],
                });
                return { certificate: key.certificatePem, controllerCertificate: s.certificatePem, privateKey: key.privateKeyPem };
            },
        });
    });

    it("generates one RSA-4096 key and a long-lived self-signed certificate, with no timestamps in inputs", () => {
        const key = byName(run, "tls:index/privateKey:PrivateKey", "sealing-key");
        assert.deepEqual(key.rawInputs, { algorithm: "RSA", rsaBits: 4096 });
        const cert = byName(run, "tls:index/selfSignedCert:SelfSignedCert", "sealing-cert");
        assert.equal(cert.rawInputs.validityPeriodHours, SEALING_CERT_VALIDITY_HOURS);
        assert.ok(SEALING_CERT_VALIDITY_HOURS >= 5 * 365 * 24);
        assert.ok(!/\d{4}-\d{2}-\d{2}T/.test(JSON.stringify(cert.inputs)), "no timestamps in inputs");
        assert.equal(cert.inputs.privateKeyPem, "[secret]");
    });

    it("installs the key as the active sealing key in the controller namespace", () => {
        const secret = byName(run, "kubernetes:core/v1:Secret", "primary-sealing-key-g1");
        assert.equal(secret.rawInputs.type, "kubernetes.io/tls");
        assert.deepEqual(secret.rawInputs.metadata, {
            name: sealingKeySecretName(1),
            namespace: SEALED_SECRETS_CONTROLLER.namespace,
            labels: { [SEALING_KEY_LABEL]: "active" },
        });
        const data = secret.rawInputs.stringData as Spec;
        assert.match(data["tls.key"], /BEGIN RSA PRIVATE KEY/);
        assert.match(data["tls.crt"], /BEGIN CERTIFICATE/);
        assert.equal(secret.inputs.stringData, "[secret]");
    });

    it("starts the controller after the key exists, with renewal off and a fixed name for kubeseal", () => {
        const release = byName(run, "kubernetes:helm.sh/v3:Release", "primary-sealed-secrets");
        const secret = byName(run, "kubernetes:core/v1:Secret", "primary-sealing-key-g1");
        assert.ok(release.dependencies.includes(secret.urn));
        const values = release.rawInputs.values as Spec;
        // A string: the chart renders --key-renew-period only for a non-empty value, and a number 0 would be dropped.
        assert.strictEqual(values.keyrenewperiod, "0");
        assert.equal(values.fullnameOverride, SEALED_SECRETS_CONTROLLER.name);
        assert.equal(values.secretName, SEALING_KEY_SECRET);
        assert.equal(release.rawInputs.namespace, SEALED_SECRETS_CONTROLLER.namespace);
        assert.equal(release.rawInputs.version, "2.18.5");
    });

    it("publishes the certificate in plain and keeps the private key secret everywhere", () => {
        assert.match(String(run.outputs.certificate), /BEGIN CERTIFICATE/);
        assert.equal(run.outputs.certificate, run.outputs.controllerCertificate);
        assert.equal(run.outputs.privateKey, "[secret]");
        const json = JSON.stringify(planDocument(run));
        assert.ok(!json.includes("PRIVATE KEY"));
        assert.ok(!json.includes(Buffer.from("mock-private-key").toString("base64").slice(0, 16)));
        assert.equal(byType(run, "tls:index/privateKey:PrivateKey").length, 1);
    });
});

describe("SealedSecrets key rotation", () => {
    it("installs every generation (all unseal) and publishes the newest (it seals)", async () => {
        const run = await freshRun({
            stack: "dev",
            program: () => {
                const keys = [1, 2].map(g => {
                    const k = new SealingKey(`sealing-g${g}`);
                    return { generation: g, certificatePem: k.certificatePem, privateKeyPem: k.privateKeyPem };
                });
                const s = new SealedSecrets("primary", {
                    acrLoginServer: "platformacr.azurecr.io",
                    provider: new k8s.Provider("primary", {}),
                    sealingKeys: keys,
                });
                return { newest: keys[1].certificatePem, sealing: s.certificatePem };
            },
        });
        const secrets = byType(run, "kubernetes:core/v1:Secret").map(s => s.rawInputs.metadata as Spec);
        assert.deepEqual(
            secrets.map(m => m.name),
            [sealingKeySecretName(1), sealingKeySecretName(2)],
        );
        for (const m of secrets) assert.equal(m.labels[SEALING_KEY_LABEL], "active");
        assert.equal(run.outputs.sealing, run.outputs.newest);
        const release = byType(run, "kubernetes:helm.sh/v3:Release")[0];
        assert.equal(byType(run, "kubernetes:core/v1:Secret").filter(s => release.dependencies.includes(s.urn)).length, 2);
    });

    it("refuses to start a controller without a key", async () => {
        const err = await freshRun({
            stack: "dev",
            program: () => {
                new SealedSecrets("primary", {
                    acrLoginServer: "platformacr.azurecr.io",
                    provider: new k8s.Provider("primary", {}),
                    sealingKeys: [],
                });
            },
        }).then(
            () => undefined,
            e => e as Error,
        );
        assert.match(String(err), /at least one sealing key/);
    });
});
