import { describe, expect, it } from "vitest";
import { requestInfo } from "../../src/kube/request-info.js";

describe("requestInfo", () => {
  it("derives RBAC verbs and resources from request paths", () => {
    expect(requestInfo("GET", "/api/v1/namespaces/x/services")).toEqual({ verb: "list", group: "", resource: "services" });
    expect(requestInfo("GET", "/api/v1/services", true)).toEqual({ verb: "watch", group: "", resource: "services" });
    expect(requestInfo("GET", "/api/v1/namespaces/x/services/sn0")).toEqual({ verb: "get", group: "", resource: "services" });
    expect(requestInfo("PATCH", "/apis/msvcbench.io/v1alpha1/namespaces/x/proxyservices/ps/status")).toEqual({
      verb: "patch",
      group: "msvcbench.io",
      resource: "proxyservices/status",
    });
    expect(requestInfo("PUT", "/apis/coordination.k8s.io/v1/namespaces/x/leases/l")).toEqual({ verb: "update", group: "coordination.k8s.io", resource: "leases" });
    expect(requestInfo("POST", "/apis/events.k8s.io/v1/namespaces/x/events")).toEqual({ verb: "create", group: "events.k8s.io", resource: "events" });
  });
});
