import { strict as assert } from "assert";
import { byName, byType, stackRun, StackRun, azureLayerRun } from "../harness";
import { MOCK_SUBSCRIPTION_ID } from "../../tools/mock-outputs";
import { relativeRecordName } from "../../components/azure/dns";

const PROFILE = "azure-native:trafficmanager:Profile";
const ENDPOINT = "azure-native:trafficmanager:Endpoint";
const PIP = "azure-native:network:PublicIPAddress";

const devTraffic = { routingMethod: "Performance", healthPath: "/healthz", ttlSeconds: 30 };
const withTraffic = (traffic: Record<string, unknown>) =>
    azureLayerRun({ stack: "dev", configOverrides: { "platform:traffic": { ...devTraffic, ...traffic } } });
const endpoint = (run: StackRun, key: string) => byName(run, ENDPOINT, `traffic-${key}`);

describe("Traffic Manager and DNS", () => {
    for (const stack of ["dev", "prod"] as const) {
        it(`${stack}: Performance profile with an HTTPS probe on the health path carrying the app Host header`, async () => {
            const run = await stackRun(stack);
            const profile = byType(run, PROFILE);
            assert.equal(profile.length, 1);
            const p = profile[0].inputs as Record<string, any>;
            assert.equal(p.trafficRoutingMethod, "Performance");
            assert.equal(p.location, "global");
            assert.equal(p.dnsConfig.ttl, 30);
            assert.equal(p.dnsConfig.relativeName, p.profileName);
            assert.deepEqual(p.monitorConfig, {
                protocol: "HTTPS",
                port: 443,
                path: "/healthz",
                customHeaders: [{ name: "Host", value: stack === "dev" ? "app.dev.platform.example.com" : "app.platform.example.com" }],
                expectedStatusCodeRanges: [{ min: 200, max: 299 }],
                intervalInSeconds: 30,
                timeoutInSeconds: 10,
                toleratedNumberOfFailures: 3,
            });
        });

        it(`${stack}: one AzureEndpoints endpoint per region, targeting that region's gateway IP`, async () => {
            const run = await stackRun(stack);
            assert.equal(byType(run, ENDPOINT).length, 2);
            for (const key of ["primary", "secondary"]) {
                const e = endpoint(run, key);
                const ip = byName(run, PIP, `${key}-gateway-ip`);
                assert.equal(e.inputs.endpointType, "AzureEndpoints");
                assert.equal(
                    e.inputs.targetResourceId,
                    `/subscriptions/${MOCK_SUBSCRIPTION_ID}/resourceGroups/${ip.inputs.resourceGroupName}/providers/Microsoft.Network/publicIPAddresses/${ip.inputs.publicIpAddressName}`,
                );
                assert.ok(e.dependencies.includes(ip.urn));
                assert.equal(e.inputs.endpointStatus, "Enabled");
                for (const k of ["priority", "weight", "geoMapping", "endpointLocation"]) assert.equal(e.inputs[k], undefined, k);
            }
        });

        it(`${stack}: the app hostname is a zone-relative CNAME to the profile's FQDN`, async () => {
            const run = await stackRun(stack);
            const zone = byType(run, "azure-native:dns:Zone");
            assert.equal(zone.length, 1);
            const record = byName(run, "azure-native:dns:RecordSet", "dns-app-cname");
            const profile = byType(run, PROFILE)[0];
            assert.equal(record.inputs.recordType, "CNAME");
            assert.equal(record.inputs.relativeRecordSetName, "app");
            assert.equal(record.inputs.zoneName, zone[0].inputs.zoneName);
            assert.deepEqual(record.inputs.cnameRecord, { cname: `${profile.inputs.profileName}.trafficmanager.net` });
            assert.ok(record.dependencies.includes(profile.urn));
            assert.equal(run.outputs.trafficManagerFqdn, `${profile.inputs.profileName}.trafficmanager.net`);
            assert.deepEqual((run.outputs.dnsZone as { nameServers: string[] }).nameServers.length, 4);
        });
    }

    it("Priority routing sets each region's priority", async () => {
        const run = await withTraffic({ routingMethod: "Priority", priorities: { primary: 1, secondary: 2 } });
        assert.equal(byType(run, PROFILE)[0].inputs.trafficRoutingMethod, "Priority");
        assert.equal(endpoint(run, "primary").inputs.priority, 1);
        assert.equal(endpoint(run, "secondary").inputs.priority, 2);
    });

    it("Weighted routing sets each region's weight", async () => {
        const run = await withTraffic({ routingMethod: "Weighted", weights: { primary: 3, secondary: 1 } });
        assert.equal(byType(run, PROFILE)[0].inputs.trafficRoutingMethod, "Weighted");
        assert.equal(endpoint(run, "primary").inputs.weight, 3);
        assert.equal(endpoint(run, "secondary").inputs.weight, 1);
    });

    it("Geographic routing maps each region's geographic codes", async () => {
        const run = await withTraffic({
            routingMethod: "Geographic",
            geoMappings: { primary: ["GEO-EU", "WORLD"], secondary: ["GEO-NA"] },
        });
        assert.equal(byType(run, PROFILE)[0].inputs.trafficRoutingMethod, "Geographic");
        assert.deepEqual(endpoint(run, "primary").inputs.geoMapping, ["GEO-EU", "WORLD"]);
        assert.deepEqual(endpoint(run, "secondary").inputs.geoMapping, ["GEO-NA"]);
    });

    it("record names are relative to the zone", () => {
        assert.equal(relativeRecordName("app.dev.platform.example.com", "dev.platform.example.com"), "app");
        assert.equal(relativeRecordName("a.b.example.com", "example.com"), "a.b");
        assert.throws(() => relativeRecordName("app.example.org", "example.com"));
    });
});
