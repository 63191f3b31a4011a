package main

//go:generate sh -c "cp \"$(go -C ../istio list -m -f '{{.Dir}}' istio.io/istio)/manifests/charts/base/files/crd-all.gen.yaml\" istio-crds.gen.yaml && chmod 644 istio-crds.gen.yaml"

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"
)

// The Istio CRDs are those of the istio.io/istio module that hack/istio pins (the istiod the
// cluster runs, issue 9): istio-crds.gen.yaml is its base chart's files/crd-all.gen.yaml, copied
// by `go generate`; hack/istio's Go test and test/integration/cluster check it has not drifted.

//go:embed istio-crds.gen.yaml
var istioCRDs []byte

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// crd is one CustomResourceDefinition document of the embedded file.
type crd struct {
	name string
	json []byte
}

func istioCRDDocuments() ([]crd, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(istioCRDs)))
	var out []crd
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		data, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, err
		}
		var meta struct {
			Kind     string            `json:"kind"`
			Metadata metav1.ObjectMeta `json:"metadata"`
		}
		if err := yaml.Unmarshal(data, &meta); err != nil {
			return nil, err
		}
		if meta.Kind == "CustomResourceDefinition" {
			out = append(out, crd{meta.Metadata.Name, data})
		}
	}
}

// installCRDs server-side applies the Istio CRDs (a no-op when they are already as in the file).
func installCRDs(ctx context.Context, cfg *rest.Config) error {
	docs, err := istioCRDDocuments()
	if err != nil {
		return err
	}
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	for _, d := range docs {
		_, err := client.Resource(crdResource).Patch(ctx, d.name, types.ApplyPatchType, d.json,
			metav1.PatchOptions{FieldManager: "local-cluster", Force: ptr.To(true)})
		if err != nil {
			return fmt.Errorf("apply CRD %s: %w", d.name, err)
		}
	}
	return nil
}

// crdsEstablished returns nil when every Istio CRD is Established.
func crdsEstablished(ctx context.Context, cfg *rest.Config) error {
	docs, err := istioCRDDocuments()
	if err != nil {
		return err
	}
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	for _, d := range docs {
		u, err := client.Resource(crdResource).Get(ctx, d.name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		var c apiextensionsv1.CustomResourceDefinition
		data, err := u.MarshalJSON()
		if err != nil {
			return err
		}
		if err := yaml.Unmarshal(data, &c); err != nil {
			return err
		}
		established := false
		for _, cond := range c.Status.Conditions {
			if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
				established = true
			}
		}
		if !established {
			return fmt.Errorf("CRD %s not Established yet", d.name)
		}
	}
	return nil
}
