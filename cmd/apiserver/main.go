// Command apiserver is kapi's server binary: kube-apiserver's flags (where one exists), a dev mode
// that makes its own certificates and admin kubeconfig, and graceful shutdown on SIGTERM/SIGINT.
// `apiserver SUBCOMMAND ...` runs a subcommand instead of the server (`apiserver version`).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// subcommands run instead of the server when named as the first argument.
var subcommands = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer) int{
	"version": runVersion,
	"plugin":  runPlugin,
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	// Every SIGTERM/SIGINT asks for the same graceful shutdown; a repeated signal (e2e's Stop
	// may send two) does not cut it short. kube-apiserver exits at once on the second signal;
	// kapi waits for the shutdown's own bound instead.
	os.Exit(dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// dispatch runs a subcommand, or the server.
func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if sub, ok := subcommands[args[0]]; ok {
			return sub(ctx, args[1:], stdout, stderr)
		}
	}
	return runServer(ctx, args, stderr)
}

func fail(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "apiserver: %v\n", err)
	return 1
}
