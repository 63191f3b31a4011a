package main

import (
	"slices"
	"testing"
)

func TestControllerManagerClientLimitsOnlyWhenRaised(t *testing.T) {
	st := &state{Dir: "/state", timings: defaultTimings}
	for _, a := range controllerManagerArgs(st) {
		if len(a) > 13 && a[:13] == "--kube-api-qp" {
			t.Errorf("default cluster sets %s; upstream's default must apply", a)
		}
	}
	st.ControllerQPS = 200
	args := controllerManagerArgs(st)
	if !slices.Contains(args, "--kube-api-qps=200") || !slices.Contains(args, "--kube-api-burst=300") {
		t.Errorf("raised limits missing: %v", args)
	}
}
