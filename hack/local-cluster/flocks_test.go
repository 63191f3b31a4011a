package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
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

func TestMainGoroutineIsTheLastDumpsFirstBlock(t *testing.T) {
	for _, header := range []string{"goroutine 1 [syscall]:", "goroutine 1 gp=0xc000002380 m=nil [syscall]:"} {
		log := "==== starting etcd\nSIGQUIT: quit\n\ngoroutine 0 gp=0x1 m=0 mp=0x2 [idle]:\nruntime.x()\n\n" +
			header + "\nsyscall.Flock(...)\ngo.etcd.io/bbolt.flock(...)\n\ngoroutine 7 [select]:\nx()\n"
		want := header + "\nsyscall.Flock(...)\ngo.etcd.io/bbolt.flock(...)"
		if got := mainGoroutine(log); got != want {
			t.Errorf("mainGoroutine = %q, want %q", got, want)
		}
	}
	if got := mainGoroutine("no dump"); got != "" {
		t.Errorf("without a dump: %q", got)
	}
}

// The dump format is the Go runtime's, so it is checked on a real one: this test binary, run again as
// a child that blocks in helperBlockedInMain, gets SIGQUIT.
func TestMainGoroutineOfARealSigquitDump(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LOCAL_CLUSTER_TEST_BLOCK=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil { // the child's "blocked" line
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	stack := mainGoroutine(stderr.String())
	if !strings.Contains(stack, "helperBlockedInMain") {
		t.Fatalf("main goroutine of a real dump = %q; whole dump:\n%s", stack, stderr.String())
	}
}

// TestMain makes the child of TestMainGoroutineOfARealSigquitDump block in its main goroutine.
func TestMain(m *testing.M) {
	if os.Getenv("LOCAL_CLUSTER_TEST_BLOCK") == "1" {
		helperBlockedInMain()
	}
	os.Exit(m.Run())
}

func helperBlockedInMain() {
	fmt.Println("blocked")
	time.Sleep(time.Hour) // select{} would be reported as a deadlock, not dumped

}
