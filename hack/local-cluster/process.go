package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Components run as detached processes (own session, stdio to <state>/<name>.log) that outlive the
// `up` that started them. Each one's pid is recorded in <state>/<name>.pid. Before a pid is
// signalled, its command line is checked to be this binary running that component on this state
// directory, so a recycled pid is never killed.

func pidFile(st *state, name string) string { return st.path(name + ".pid") }
func logFile(st *state, name string) string { return st.path(name + ".log") }

// componentArgv is the argv (after the executable) of a component's process.
func componentArgv(st *state, name string) []string {
	return []string{"-state-dir", st.Dir, name}
}

// startComponent starts one component in the background and records its pid.
func startComponent(ctx context.Context, st *state, name string) (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	if name == "istiod" {
		// istiod runs from hack/istio's binary, with the same argv shape (so runningPid's check
		// holds), after its chart objects and token are in place.
		if exe, err = istioBinary(); err != nil {
			return 0, err
		}
		if err := prepareIstiod(ctx, st); err != nil {
			return 0, err
		}
	}
	var env []string
	if name == "istiod" {
		if env, err = istiodEnviron(st); err != nil {
			return 0, err
		}
	}
	log, err := os.OpenFile(logFile(st, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer log.Close()
	fmt.Fprintf(log, "==== %s: starting %s\n", time.Now().UTC().Format(time.RFC3339), name)
	cmd := exec.Command(exe, componentArgv(st, name)...)
	cmd.Dir = st.Dir
	if env != nil {
		cmd.Env = env
	}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	pid := cmd.Process.Pid
	started[name] = cmd.Process
	if err := os.WriteFile(pidFile(st, name), []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return pid, err
	}
	return pid, waitComponentArgv(pid, st, name)
}

// waitComponentArgv waits until a just-started child shows its component command line. Start
// returns once the kernel has begun the exec, but the new command line is in place only a little
// later: a child descheduled in between reads as an empty /proc/<pid>/cmdline, which runningPid
// took for a dead component (and waiting on that live "dead" child hung up).
func waitComponentArgv(pid int, st *state, name string) error {
	for deadline := time.Now().Add(10 * time.Second); !isComponentProcess(pid, st, name); {
		if !alive(pid) {
			return nil // dead at its start: waitReady reports it with its exit status and log
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s (pid %d) started, but its command line is still %q after 10s", name, pid, strings.Join(commandLine(pid), " "))
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

// started holds the components this process started. They are not released: a component that dies
// before it is ready stays our zombie child, so exitStatus can reap it and tell how it ended (a
// signal leaves nothing in its log).
var started = map[string]*os.Process{}

// exitStatus reaps a component this process started and found dead, and says how it ended
// ("signal: killed", "exit status 1"); "" when it was not started by this process. It never blocks
// for long: a component that still runs (its pid file gone with its state directory, say) is
// reported as running rather than waited for.
func exitStatus(name string) string {
	proc, ok := started[name]
	if !ok {
		return ""
	}
	delete(started, name)
	for deadline := time.Now().Add(2 * time.Second); ; {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(proc.Pid, &status, syscall.WNOHANG, nil)
		switch {
		case err != nil:
			return err.Error()
		case pid == proc.Pid && status.Signaled():
			return "signal: " + status.Signal().String()
		case pid == proc.Pid:
			return fmt.Sprintf("exit status %d", status.ExitStatus())
		case time.Now().After(deadline):
			return fmt.Sprintf("pid %d still running", proc.Pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runningPid returns the recorded pid of a component if that process is alive and is the component.
func runningPid(st *state, name string) (int, bool) {
	data, err := os.ReadFile(pidFile(st, name))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, isComponentProcess(pid, st, name)
}

func isComponentProcess(pid int, st *state, name string) bool {
	if !alive(pid) {
		return false
	}
	argv := commandLine(pid)
	want := componentArgv(st, name)
	return len(argv) == len(want)+1 && slicesEqual(argv[1:], want)
}

// commandLine is pid's argv from /proc/<pid>/cmdline; nil when it cannot be read, and empty while
// the process is in the middle of its exec.
func commandLine(pid int) []string {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(cmdline) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(cmdline), "\x00"), "\x00")
}

// alive reports whether pid exists and is not a finished zombie (a component whose parent, not
// us, has not reaped it yet is dead for our purposes). While a multi-threaded process exits, its
// main thread can be a zombie before the other threads are gone and its sockets closed, so a
// zombie counts as dead only once it has no other thread.
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state is the first field after the parenthesised command name.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return false
	}
	if stat[i+2] != 'Z' && stat[i+2] != 'X' {
		return true
	}
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	return err == nil && len(tasks) > 1
}

// waitPortsClosed waits until nothing accepts connections on the ports any more, and says so
// when something still does after timeout (then it is not ours: our processes are gone).
func waitPortsClosed(ports []int, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for _, port := range ports {
		for {
			conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
			if err != nil {
				break
			}
			conn.Close()
			if time.Now().After(deadline) {
				progress(fmt.Sprintf("port %d still accepts connections, though every component has exited", port))
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// stopComponents sends sig to the running components among names, waits up to grace for them to
// exit, then kills the rest with SIGKILL and waits for them to be gone.
func stopComponents(st *state, names []string, sig syscall.Signal, grace time.Duration) error {
	pids := map[string]int{}
	for _, name := range names {
		if pid, ok := runningPid(st, name); ok {
			pids[name] = pid
			_ = syscall.Kill(pid, sig)
		}
	}
	deadline := time.Now().Add(grace)
	for len(pids) > 0 {
		for name, pid := range pids {
			if !alive(pid) {
				delete(pids, name)
			}
		}
		if len(pids) == 0 {
			break
		}
		if time.Now().After(deadline) {
			if sig == syscall.SIGKILL {
				return fmt.Errorf("still running after SIGKILL: %v", pids)
			}
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			sig, deadline = syscall.SIGKILL, time.Now().Add(10*time.Second)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, name := range names {
		if err := os.Remove(pidFile(st, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// tail returns the last n lines of a component's log, for error messages.
func tail(st *state, name string, n int) string {
	data, err := os.ReadFile(logFile(st, name))
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// lockState takes an exclusive lock on <state>/.lock for up, down and restart, so that two of
// them (two test runs in one work tree) never start or stop components at the same time. The
// lock file survives `down`. The lock is released when the returned function is called or the
// process exits; the file descriptor is close-on-exec, so components never inherit it.
func lockState(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	// Bounded, so that a stuck holder is named instead of hanging every later command (a test's
	// afterAll `down` included); no up, down or restart of its own takes this long.
	deadline := time.Now().Add(lockWait)
	for announced := false; ; announced = true {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			holders := flockHolders(f.Name())
			f.Close()
			if err == syscall.EWOULDBLOCK {
				return nil, fmt.Errorf("another up, down or restart still holds %s after %s: %s", dir, lockWait, holders)
			}
			return nil, err
		}
		if !announced {
			progress(fmt.Sprintf("waiting for another up, down or restart on %s: %s", dir, flockHolders(f.Name())))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// dumpMainGoroutine is for a component that runs but never became ready: SIGQUIT makes a Go
// process write every goroutine's stack to its log and exit, and the main goroutine's stack says
// where it is stuck (a lock, a dial). It returns that stack, or "" if none was written in 10 s.
func dumpMainGoroutine(st *state, name string) string {
	pid, ok := runningPid(st, name)
	if !ok || syscall.Kill(pid, syscall.SIGQUIT) != nil {
		return ""
	}
	for deadline := time.Now().Add(10 * time.Second); alive(pid) && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	data, err := os.ReadFile(logFile(st, name))
	if err != nil {
		return ""
	}
	return mainGoroutine(string(data))
}

// mainGoroutine returns the last "goroutine 1 ..." block of a Go traceback in log. Since Go 1.23 a
// SIGQUIT dump writes the header as `goroutine 1 gp=0x... m=nil [sleep]:`, before as `goroutine 1 [sleep]:`.
func mainGoroutine(log string) string {
	starts := mainGoroutineHeader.FindAllStringIndex(log, -1)
	if len(starts) == 0 {
		return ""
	}
	block := log[starts[len(starts)-1][0]:]
	if end := strings.Index(block, "\n\n"); end >= 0 {
		block = block[:end]
	}
	return block
}

var mainGoroutineHeader = regexp.MustCompile(`(?m)^goroutine 1 (gp=\S+ m=\S+ (mp=\S+ )?)?\[`)
