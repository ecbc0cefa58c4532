package cli

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestLocaleMessages runs the real headless binary under several locales:
// each speaks its language, and none makes Fyne's lang package print
// anything (it used to print "Fyne error: Error parsing user locale C",
// three lines, on every start under LANG=C.UTF-8).
func TestLocaleMessages(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want string // in the complaint about an unknown command
	}{
		{"C", []string{"LANG=C"}, "unknown command"},
		{"C.UTF-8", []string{"LANG=C.UTF-8"}, "unknown command"},
		{"LC_ALL C.UTF-8", []string{"LC_ALL=C.UTF-8", "LANG=pt_BR.UTF-8"}, "unknown command"},
		{"POSIX", []string{"LANG=POSIX"}, "unknown command"},
		{"none", nil, "unknown command"},
		{"English", []string{"LANG=en_US.UTF-8"}, "unknown command"},
		{"French", []string{"LANG=fr_FR.UTF-8"}, "unknown command"},
		{"Brazilian", []string{"LANG=pt_BR.UTF-8"}, "comando desconhecido"},
		{"LANGUAGE", []string{"LANG=en_US.UTF-8", "LANGUAGE=pt_BR:en"}, "comando desconhecido"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := append([]string{"HOME=" + os.Getenv("HOME"), "PATH=" + os.Getenv("PATH")}, tt.env...)

			var stdout, stderr bytes.Buffer
			cmd := exec.CommandContext(t.Context(), enxameBin, "version")
			cmd.Env, cmd.Stdout, cmd.Stderr = env, &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("enxame version: %v\n%s", err, stderr.String())
			}
			if stderr.Len() != 0 || !strings.HasPrefix(stdout.String(), "enxame ") {
				t.Errorf("enxame version: stdout %q, stderr %q; want the version and nothing on stderr", stdout.String(), stderr.String())
			}

			stdout.Reset()
			stderr.Reset()
			cmd = exec.CommandContext(t.Context(), enxameBin, "frobnicate")
			cmd.Env, cmd.Stdout, cmd.Stderr = env, &stdout, &stderr
			_ = cmd.Run()
			first, _, _ := strings.Cut(stderr.String(), "\n")
			if want := "enxame: " + tt.want + ` "frobnicate"`; first != want {
				t.Errorf("first line of stderr %q, want %q\n%s", first, want, stderr.String())
			}
			if strings.Contains(stderr.String(), "Fyne") {
				t.Errorf("Fyne spoke:\n%s", stderr.String())
			}
		})
	}
}

// TestNetworksNoneInPortuguese checks a status line with values in it.
func TestNetworksNoneInPortuguese(t *testing.T) {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(t.Context(), enxameBin, "networks", "-wait", "200ms",
		"-discovery-interface", "lo", "-discovery-port", "1")
	cmd.Env = []string{"HOME=" + os.Getenv("HOME"), "LANG=pt_BR.UTF-8"}
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err == nil {
		t.Fatalf("exit 0 with no network; stderr %q", stderr.String())
	}
	want := "enxame networks: nenhuma rede Enxame encontrada por perto em 200ms (há um rastreador rodando nesta rede local, com a porta UDP 1 liberada?)\n"
	if stderr.String() != want {
		t.Errorf("stderr %q, want %q (after %v)", stderr.String(), want, time.Since(start))
	}
}
