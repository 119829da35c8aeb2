// Issue 9 item 7: the Traffic Manager sev-1 alert is created only after both regions have served
// Traffic Manager's health probe for a whole alert window. The probe logic runs for real against
// HTTPS stub gateways on 127.0.0.1 (self-signed: Traffic Manager does not validate the
// certificate), which answer 503 until they "serve".
import { selfSignedLocalhostCert } from "../tls";
import { strict as assert } from "assert";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { AddressInfo } from "net";
import { isoSeconds, TM_ALERT_WINDOW } from "../../components/azure/alerts";
import { ProbeTarget, waitUntilServing } from "../../components/azure/serving-check";
import { byName, byType, readStackConfig, stackRun } from "../harness";
import { CLUSTER_KEYS } from "../../infra/config";
import { durationOf } from "../../tools/deploy-path";

describe("Traffic Manager alert: created after both regions serve", function () {
    this.timeout(120_000);
    let dir: string;
    const servers: https.Server[] = [];
    const targets: ProbeTarget[] = [];
    /** Per stub: requests seen, and after how many it starts answering 200 (Infinity: never). */
    const stubs: { seen: { host?: string; path?: string; sni?: string }[]; serveAfter: number; flapAt?: number }[] = [];

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "serving-"));
        // The probe does not validate the certificate (as Traffic Manager), so any will do.
        selfSignedLocalhostCert(dir);
        for (let i = 0; i < 2; i++) {
            const stub: (typeof stubs)[number] = { seen: [], serveAfter: 0 };
            stubs.push(stub);
            const server = https.createServer(
                { key: fs.readFileSync(path.join(dir, "key.pem")), cert: fs.readFileSync(path.join(dir, "cert.pem")) },
                (req, res) => {
                    stub.seen.push({ host: req.headers.host, path: req.url, sni: (req.socket as any).servername });
                    const n = stub.seen.length;
                    const ok =
                        req.url === "/healthz" &&
                        req.headers.host === "app.platform.example.com" &&
                        n > stub.serveAfter &&
                        n !== stub.flapAt;
                    res.writeHead(ok ? 200 : 503).end();
                },
            );
            await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
            servers.push(server);
            targets.push({
                address: "127.0.0.1",
                port: (server.address() as AddressInfo).port,
                host: "app.platform.example.com",
                path: "/healthz",
            });
        }
    });
    after(() => {
        for (const s of servers) s.close();
        fs.rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(() => {
        for (const s of stubs) {
            s.seen.length = 0;
            s.flapAt = undefined;
        }
    });

    it("waits until BOTH gateways have answered 2xx for the whole window; a failure restarts the count", async () => {
        stubs[0].serveAfter = 2;
        stubs[1].serveAfter = 4;
        stubs[0].flapAt = 7; // one 503 after serving: the sustained count starts again
        const sleeps: number[] = [];
        const r = await waitUntilServing({
            targets,
            intervalSeconds: 30,
            sustainSeconds: 300,
            timeoutSeconds: 1800,
            sleep: async ms => {
                sleeps.push(ms);
            },
        });
        // Serving from round 5 (stub 1), broken at round 7 (stub 0), then 11 clean rounds (300 s / 30 s + 1): rounds 8..18.
        assert.equal(r.rounds, 18);
        assert.equal(sleeps.length, 17);
        for (const s of stubs) {
            assert.ok(
                s.seen.every(x => x.host === "app.platform.example.com" && x.path === "/healthz" && x.sni === "app.platform.example.com"),
                "Traffic Manager's probe: the health path with the app hostname as Host and SNI",
            );
        }
    });

    it("gives up at the bound, naming the failing gateway", async () => {
        stubs[0].serveAfter = 0;
        stubs[1].serveAfter = Infinity;
        const err = await waitUntilServing({
            targets,
            intervalSeconds: 30,
            sustainSeconds: 60,
            timeoutSeconds: 120,
            sleep: async () => undefined,
        }).then(
            () => undefined,
            e => e as Error,
        );
        assert.match(err!.message, /did not serve Traffic Manager's health probe for 60 s in a row within 120 s/);
        assert.match(err!.message, new RegExp(`127\\.0\\.0\\.1/healthz \\(Host app\\.platform\\.example\\.com\\): HTTP 503`));
        assert.equal(stubs[1].seen.length, 5);
    });

    for (const stack of ["dev", "prod"] as const) {
        it(`${stack}: the sev-1 alert depends on the check, which probes both gateway IPs after both Gateways exist, for the alert's window`, async () => {
            const run = await stackRun(stack);
            const alert = byType(run, "azure-native:monitor:MetricAlert").find(a => a.inputs.severity === 1)!;
            const check = byName(run, "pulumi-nodejs:dynamic:Resource", "alerts-gateways-serving");
            assert.ok(alert.dependencies.includes(check.urn), "no alert before the regions serve");
            assert.equal(alert.inputs.windowSize, TM_ALERT_WINDOW);
            assert.equal(check.inputs.sustainSeconds, isoSeconds(TM_ALERT_WINDOW));
            const dns = JSON.parse(readStackConfig(stack).config["platform:dns"]);
            const traffic = JSON.parse(readStackConfig(stack).config["platform:traffic"]);
            const outputs = run.rawOutputs as any;
            assert.deepEqual(
                check.rawInputs.targets,
                CLUSTER_KEYS.map(k => ({
                    address: outputs.clusters[k].gatewayIp.address,
                    host: dns.appHostname,
                    path: traffic.healthPath,
                    port: 443,
                })),
            );
            for (const key of CLUSTER_KEYS) {
                const gatewayRelease = byType(run, "kubernetes:helm.sh/v3:Release").find(r => r.name.startsWith(`${key}-gateway`))!;
                assert.ok(check.dependencies.includes(gatewayRelease.urn), `${key}: probing starts after its gateway is installed`);
            }
            assert.equal(durationOf(check), 330, "the deploy-path estimate counts the sustained window");
        });
    }
});
