package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/kapi-dev/kapi/host/server"
)

// runVersion prints the version the server reports at /version.
func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		return fail(stderr, fmt.Errorf("version takes no arguments, got %q", args))
	}
	out, err := json.MarshalIndent(server.Version, "", "  ")
	if err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintln(stdout, string(out))
	return 0
}
