package cli

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
	"time"
)

// proc is a real process whose stdout and stderr a test can wait on.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	out  *notifyBuffer
	done chan struct{}
}

// startProc starts cmd, collecting its output, and kills it when the
// test ends if it is still running.
func startProc(t *testing.T, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{t: t, cmd: cmd, out: newNotifyBuffer(), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("output of %v:\n%s", cmd.Args, p.out)
		}
	})
	return p
}

// waitFor waits, at most e2eWait, until the output contains want.
func (p *proc) waitFor(want string) {
	p.t.Helper()
	p.out.waitFor(p.t, want)
}

// wait waits at most limit for the process to exit and returns its status.
func (p *proc) wait(limit time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(limit):
		p.t.Fatalf("%v still running after %s; output:\n%s", p.cmd.Args, limit, p.out)
	}
	return p.cmd.ProcessState.ExitCode()
}

// stop signals the process and returns its exit status.
func (p *proc) stop(sig os.Signal) int {
	p.t.Helper()
	p.cmd.Process.Signal(sig)
	return p.wait(e2eWait)
}

// runCmd runs cmd to its end (at most limit) with stdout and stderr apart.
func runCmd(t *testing.T, cmd *exec.Cmd, limit time.Duration) getResult {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(limit):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%v did not finish within %s; stderr:\n%s", cmd.Args, limit, errb.String())
	}
	return getResult{cmd.ProcessState.ExitCode(), out.String(), errb.String()}
}
