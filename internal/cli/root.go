// Package cli is regauth's command line: a thin face that parses flags and
// calls the library packages. Every command reads and writes only through
// Sys, so tests run the real commands in parallel.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/regauth/regauth/registry"
)

// Exit codes (DESIGN.md): 0 ok, 1 failure, 2 usage, 4 authentication or
// authorisation failure.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
	ExitAuth  = 4
)

// HelperName is the argv[0] under which regauth speaks the docker
// credential-helper protocol.
const HelperName = "docker-credential-regauth"

// Main runs regauth with args (without argv[0]) and returns the exit code.
func Main(ctx context.Context, args []string, sys *Sys) int {
	if strings.TrimSuffix(sys.Name, ".exe") == HelperName {
		return helperMain(ctx, args, sys)
	}
	root := newRoot(sys)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	return report(sys.Err, err)
}

// report prints err as "regauth: what: why" plus a "hint:" line when the
// error (anywhere in its chain) knows the fix, and maps it to an exit code.
func report(w io.Writer, err error) int {
	var silent *silentError
	if errors.As(err, &silent) {
		return silent.code
	}
	fmt.Fprintf(w, "regauth: %v\n", err)
	if h := hintOf(err); h != "" {
		for _, line := range strings.Split(h, "\n") {
			fmt.Fprintf(w, "hint: %s\n", line)
		}
	}
	return exitCode(err)
}

type hinter interface{ Hint() string }

func hintOf(err error) string {
	var h hinter
	if errors.As(err, &h) {
		return h.Hint()
	}
	return ""
}

func exitCode(err error) int {
	var u *usageError
	switch {
	case errors.As(err, &u):
		return ExitUsage
	case errors.Is(err, registry.ErrUnauthorized):
		return ExitAuth
	default:
		return ExitError
	}
}

// usageError marks bad invocations (exit 2).
type usageError struct {
	err  error
	hint string
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }
func (e *usageError) Hint() string  { return e.hint }

func usagef(hint, format string, a ...any) error {
	return &usageError{err: fmt.Errorf(format, a...), hint: hint}
}

// silentError carries an exit code for a command that already said
// everything it had to say.
type silentError struct{ code int }

func (e *silentError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// hintError attaches a fix to an error from a layer that did not know it.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }
func (e *hintError) Hint() string  { return e.hint }

func withHint(err error, hint string) error {
	if err == nil || hintOf(err) != "" {
		return err
	}
	return &hintError{err: err, hint: hint}
}

func newRoot(sys *Sys) *cobra.Command {
	opts := &globalOptions{}
	root := &cobra.Command{
		Use:   "regauth",
		Short: "Container-registry credentials for every tool, from one source of truth",
		Long: `regauth logs in to container registries, stores credentials where docker,
podman, nerdctl, crane and kubelet find them, and explains which credential
applies to an image and why.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionString(),
	}
	root.SetIn(sys.In)
	root.SetOut(sys.Out)
	root.SetErr(sys.Err)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{err: err, hint: fmt.Sprintf("run '%s --help' for usage", c.CommandPath())}
	})
	root.PersistentFlags().StringVar(&opts.config, "config", "", "credential file to read and write (default: $REGISTRY_AUTH_FILE, $DOCKER_CONFIG/config.json or ~/.docker/config.json)")
	root.SetVersionTemplate("{{.Version}}\n")
	root.AddCommand(
		newVersionCmd(sys),
		newLoginCmd(sys, opts),
		newLogoutCmd(sys, opts),
		newListCmd(sys, opts),
		newGetCmd(sys, opts),
		newHelperCmd(sys, opts),
		newExportCmd(sys, opts),
		newImportCmd(sys, opts),
		newConvertCmd(sys, opts),
		newLintCmd(sys, opts),
		newCreateCmd(sys, opts),
		newServeCmd(sys, opts),
		newRobotCmd(sys, opts),
		newUserCmd(sys, opts),
		newPushCmd(sys, opts),
		newCheckCmd(sys, opts),
	)
	// Unknown sub-commands are usage errors too.
	root.Args = func(c *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usagef("run 'regauth --help' to see the commands", "unknown command %q", args[0])
		}
		return nil
	}
	root.RunE = func(c *cobra.Command, args []string) error { return c.Help() }
	return root
}

// globalOptions are flags every command shares.
type globalOptions struct {
	config string
}

// args wraps cobra's positional-argument checks as usage errors.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(c *cobra.Command, a []string) error {
		if err := check(c, a); err != nil {
			return &usageError{err: err, hint: fmt.Sprintf("usage: %s", c.UseLine())}
		}
		return nil
	}
}
