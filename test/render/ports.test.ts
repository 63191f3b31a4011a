import { describe, expect, it } from "vitest";
import { detectProtocol } from "../../src/render/ports.js";

describe("detectProtocol (a port the spec does not name)", () => {
  it.each([
    [{ port: 1, appProtocol: "http" }, "HTTP"],
    [{ port: 1, appProtocol: "HTTP2" }, "HTTP2"],
    [{ port: 1, appProtocol: "kubernetes.io/h2c" }, "HTTP2"],
    [{ port: 1, appProtocol: "grpc" }, "GRPC"],
    [{ port: 1, appProtocol: "https", name: "http" }, "TCP"],
    [{ port: 1, name: "http" }, "HTTP"],
    [{ port: 1, name: "http-web" }, "HTTP"],
    [{ port: 1, name: "http2-api" }, "HTTP2"],
    [{ port: 1, name: "grpc-api" }, "GRPC"],
    [{ port: 1, name: "grpc-web" }, "HTTP"],
    [{ port: 1, name: "httpx" }, "TCP"],
    [{ port: 1, name: "redis" }, "TCP"],
    [{ port: 1 }, "TCP"],
  ] as const)("%o is carried as %s", (port, protocol) => {
    expect(detectProtocol(port)).toBe(protocol);
  });
});
