package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Two waits on a flock could hang without a word: etcd's bbolt opens its database with no lock
// timeout (a second etcd on the same data blocks forever, listening but never serving), and up,
// down and restart wait for each other's state lock. Both wait here instead, for a bounded time,
// and name the process that holds the lock when they give up.

// waitFlockFree waits until no process holds a flock on path (a missing file is free), and fails
// after timeout naming the holders.
func waitFlockFree(path string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		free, err := flockFree(path)
		if err != nil || free {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s is still locked after %s by %s", path, timeout, flockHolders(path))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// flockFree tries the exclusive lock bbolt takes and releases it at once.
func flockFree(path string) (bool, error) {
	f, err := os.OpenFile(path, os.O_RDONLY, 0)
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}

// flockHolders names the processes that /proc/locks lists as holding a flock on path's inode,
// with their command lines, e.g. `pid 4242 (local-cluster -state-dir /tmp/x etcd)`.
func flockHolders(path string) string {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return "an unknown process (" + err.Error() + ")"
	}
	locks, err := os.ReadFile("/proc/locks")
	if err != nil {
		return "an unknown process (" + err.Error() + ")"
	}
	var holders []string
	for _, pid := range flockPids(string(locks), st.Ino) {
		holders = append(holders, fmt.Sprintf("pid %d (%s)", pid, strings.Join(commandLine(pid), " ")))
	}
	if len(holders) == 0 {
		return "a process /proc/locks does not name"
	}
	return strings.Join(holders, ", ")
}

// flockPids parses /proc/locks lines such as `1: FLOCK  ADVISORY  WRITE 4242 00:2a:1234 0 EOF` and
// returns the pids holding (not waiting for: those lines have `->`) a flock on inode ino.
func flockPids(locks string, ino uint64) []int {
	var pids []int
	for _, line := range strings.Split(locks, "\n") {
		fields := strings.Fields(line)
		if len(fields) < 6 || fields[1] != "FLOCK" {
			continue
		}
		device := strings.Split(fields[5], ":")
		if len(device) != 3 {
			continue
		}
		inode, err := strconv.ParseUint(device[2], 10, 64)
		pid, perr := strconv.Atoi(fields[4])
		if err == nil && perr == nil && inode == ino {
			pids = append(pids, pid)
		}
	}
	return pids
}
