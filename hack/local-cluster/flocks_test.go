package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A database whose flock another process holds must fail the wait, naming the holder, not hang
// the way bbolt's own open does.
func TestWaitFlockFreeNamesTheHolderWhenItGivesUp(t *testing.T) {
	db := filepath.Join(t.TempDir(), "db")
	holder, err := os.Create(db)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if err := syscall.Flock(int(holder.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	err = waitFlockFree(db, 300*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("pid %d (", os.Getpid())) {
		t.Fatalf("waitFlockFree = %v, want an error naming pid %d", err, os.Getpid())
	}
	_ = syscall.Flock(int(holder.Fd()), syscall.LOCK_UN)
	if err := waitFlockFree(db, time.Second); err != nil {
		t.Errorf("after unlock: %v", err)
	}
	if err := waitFlockFree(filepath.Join(t.TempDir(), "missing"), 0); err != nil {
		t.Errorf("a missing database is free: %v", err)
	}
}

func TestFlockPidsSkipsWaitersAndOtherInodes(t *testing.T) {
	locks := "1: FLOCK  ADVISORY  WRITE 4242 00:2a:1234 0 EOF\n" +
		"1: -> FLOCK  ADVISORY  WRITE 4343 00:2a:1234 0 EOF\n" +
		"2: POSIX  ADVISORY  WRITE 4444 00:2a:1234 0 EOF\n" +
		"3: FLOCK  ADVISORY  WRITE 4545 00:2a:9999 0 EOF\n"
	if got := flockPids(locks, 1234); len(got) != 1 || got[0] != 4242 {
		t.Errorf("flockPids = %v, want [4242]", got)
	}
}
