package cli

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/term"
)

// Sys is everything a command may take from the outside world. Commands use
// nothing else, so tests run them in parallel with their own streams,
// environment, clock and HTTP transport.
type Sys struct {
	Name    string // argv[0]; "docker-credential-regauth" switches to helper mode
	In      io.Reader
	Out     io.Writer
	Err     io.Writer
	Getenv  func(string) string
	Environ []string
	Home    string
	UID     string // numeric user id, for podman's /run/containers/$UID/auth.json
	EtcDir  string // "/etc" normally; tests point it at a temp dir
	Now     func() time.Time

	// StdinTTY reports whether In is an interactive terminal, and
	// ReadPassword reads a line from it without echo.
	StdinTTY     bool
	StdoutTTY    bool
	StderrTTY    bool
	ReadPassword func() ([]byte, error)

	// Transport is the base HTTP transport; TLS settings are layered on a clone.
	Transport *http.Transport
}

// System returns the real process environment.
func System() *Sys {
	home, _ := os.UserHomeDir()
	return &Sys{
		Name:         filepath.Base(os.Args[0]),
		In:           os.Stdin,
		Out:          os.Stdout,
		Err:          os.Stderr,
		Getenv:       os.Getenv,
		Environ:      os.Environ(),
		Home:         home,
		UID:          strconv.Itoa(os.Getuid()),
		EtcDir:       "/etc",
		Now:          time.Now,
		StdinTTY:     term.IsTerminal(int(os.Stdin.Fd())),
		StdoutTTY:    term.IsTerminal(int(os.Stdout.Fd())) && os.Getenv("NO_COLOR") == "",
		StderrTTY:    term.IsTerminal(int(os.Stderr.Fd())),
		ReadPassword: func() ([]byte, error) { return term.ReadPassword(int(os.Stdin.Fd())) },
		Transport:    http.DefaultTransport.(*http.Transport).Clone(),
	}
}
