package main

//go:generate sh -c "(cd \"$(go -C ../istio list -m -f '{{.Dir}}' sigs.k8s.io/gateway-api)/config/crd/standard\" && awk 'FNR == 1 { print \"---\" } 1' $(ls gateway.networking.k8s.io_*.yaml | grep -v _vap_)) > gateway-api-crds.gen.yaml && chmod 644 gateway-api-crds.gen.yaml"

// gateway-api-crds.gen.yaml is the standard channel of the Kubernetes Gateway API CRDs, from the
// sigs.k8s.io/gateway-api module that istio.io/istio (pinned in hack/istio) depends on, so the
// CRDs match the istiod the cluster runs. Its ValidatingAdmissionPolicy (vap_safeupgrades) is
// left out: it is no CRD. `up` does not install them: with them, istiod starts its Gateway API
// controllers for every test. test/integration/istio/gateway-api-model.test.ts applies them to a
// private cluster of its own, and checks this copy has not drifted from the module.
