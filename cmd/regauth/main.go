// Command regauth makes private container-registry authentication work
// everywhere from one source of truth. Invoked as docker-credential-regauth it
// speaks the docker credential-helper protocol.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/regauth/regauth/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.System())
	stop()
	os.Exit(code)
}
