package main

import (
	"bytes"
	"os"
	"testing"
)

// The local cluster installs the CRDs of the same Istio that istiod runs (issue 9): its embedded
// copy must be this module's base chart file byte for byte (`go generate` in hack/local-cluster).
func TestLocalClusterCRDsAreThisIstios(t *testing.T) {
	want, err := istioCRDs()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../local-cluster/istio-crds.gen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("hack/local-cluster/istio-crds.gen.yaml differs from istio.io/istio's %s; run go generate in hack/local-cluster", crdFile)
	}
}
