package main

import (
	"os/exec"
	"testing"
)

// A component that dies by a signal leaves nothing in its log: up must still say how it ended.
func TestExitStatusTellsTheSignalOfADeadComponent(t *testing.T) {
	cmd := exec.Command("sh", "-c", "kill -KILL $$")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	started["etcd"] = cmd.Process
	if got := exitStatus("etcd"); got != "signal: killed" {
		t.Errorf("exitStatus = %q, want %q", got, "signal: killed")
	}
	if got := exitStatus("etcd"); got != "" {
		t.Errorf("a second exitStatus = %q, want \"\" (reaped once)", got)
	}
}
