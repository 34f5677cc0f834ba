package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/regauth/regauth/helper"
)

func newHelperCmd(sys *Sys, g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "credential-helper get|store|erase|list|version",
		Short: "Act as a docker credential helper (docker-credential-regauth)",
		Long: `Speak the docker credential-helper protocol on standard input and output.
docker, nerdctl, buildx and crane call it when config.json says
"credsStore": "regauth" or names regauth in "credHelpers". A symlink named
docker-credential-regauth pointing at the regauth binary does the same.

get resolves with regauth's matching rules across config.json, podman's
auth files and regauth's own store; store and erase use regauth's own file
($REGAUTH_CREDENTIALS or ~/.config/regauth/credentials.json).`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, a []string) error {
			return serveHelper(c.Context(), sys, g, a[0])
		},
	}
}

// helperMain is regauth invoked as docker-credential-regauth: exactly one
// argument, the action, as docker's helpers expect.
func helperMain(ctx context.Context, args []string, sys *Sys) int {
	if len(args) != 1 {
		fmt.Fprintln(sys.Out, helper.Usage)
		return ExitError
	}
	if err := serveHelper(ctx, sys, &globalOptions{}, args[0]); err != nil {
		return report(sys.Err, err)
	}
	return ExitOK
}

// serveHelper prints protocol errors on stdout, as real helpers do (docker
// reads the message from there), and exits 1.
func serveHelper(ctx context.Context, sys *Sys, g *globalOptions, action string) error {
	if err := helper.Serve(ctx, action, sys.In, sys.Out, g.store(sys).HelperBackend()); err != nil {
		fmt.Fprintln(sys.Out, err)
		return &silentError{code: ExitError}
	}
	return nil
}
